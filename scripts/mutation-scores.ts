/**
 * `npm run mutate` (after StrykerJS): prints each mutated file's mutation score from reports/mutation/mutation.json
 * and exits 1 when any file scores below 85%. Score = (killed + timed out) / (killed + timed out + survived + not
 * covered); mutants that do not compile, that crash the runner or that a `Stryker disable` comment marks
 * equivalent, and static mutants (module-level code, see stryker.config.mjs) are left out. Run it alone
 * (`npm run mutate:scores`) after `npm run mutate -- --part <part>`: it judges the files that report holds.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIN_SCORE = 85;

/** The part of the mutation-testing-report schema read here. */
interface MutationReport {
  files: Record<string, { mutants: { status: string }[] }>;
}

export interface FileScore {
  file: string;
  detected: number;
  undetected: number;
  excluded: number;
  /** Percent, or undefined when the file has no mutant that counts. */
  score: number | undefined;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** Per-file scores of a report, sorted by file. */
export function fileScores(report: MutationReport): FileScore[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => {
      let detected = 0;
      let undetected = 0;
      for (const { status } of mutants) {
        if (DETECTED.has(status)) detected++;
        else if (UNDETECTED.has(status)) undetected++;
      }
      const counted = detected + undetected;
      const score = counted === 0 ? undefined : (100 * detected) / counted;
      return { file, detected, undetected, excluded: mutants.length - counted, score };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** Prints the per-file scores of the report at `reportPath`; true when every file scores at least MIN_SCORE. */
export function printScores(reportPath: string): boolean {
  const scores = fileScores(JSON.parse(readFileSync(reportPath, 'utf8')) as MutationReport);
  const width = Math.max(4, ...scores.map((s) => s.file.length));
  console.log(`${'file'.padEnd(width)}  score    detected  undetected  excluded`);
  let failing = 0;
  for (const s of scores) {
    const low = s.score !== undefined && s.score < MIN_SCORE;
    if (low) failing++;
    const score = s.score === undefined ? '   n/a' : `${s.score.toFixed(1).padStart(5)}%`;
    console.log(
      `${s.file.padEnd(width)}  ${score}  ${String(s.detected).padStart(8)}  ${String(s.undetected).padStart(10)}  ${String(s.excluded).padStart(8)}${low ? '  < 85%' : ''}`,
    );
  }
  if (failing > 0) {
    console.error(`${failing} of ${scores.length} files score below ${MIN_SCORE}%`);
    return false;
  }
  console.log(`every file scores at least ${MIN_SCORE}%`);
  return true;
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (!printScores(join(root, 'reports', 'mutation', 'mutation.json'))) process.exit(1);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
