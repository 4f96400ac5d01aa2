/**
 * How many cases a property test draws. A mutation run (`npm run mutate`, SLUICE_MUTATION=1) runs each test
 * once per mutant it covers, so there a fifth of the cases (at least 20): a mutant of the arithmetic fails
 * within the first few dozen cases, and the full counts stay in the normal suite.
 */
export function propertyRuns(full: number): number {
  return process.env.SLUICE_MUTATION === '1' ? Math.max(20, Math.ceil(full / 5)) : full;
}
