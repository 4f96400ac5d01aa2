/**
 * The command line of every benchmark script, through node:util's parseArgs: an unknown option or a
 * bad value stops the script with an error that names the script, the option and the value, rather
 * than a run that silently measured something else.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The options of a script, as parseArgs takes them. */
export type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; tokens: true; strict: true; allowPositionals: boolean }>>;

export interface CommandLine<O extends Options> {
  readonly values: Parsed<O>['values'];
  readonly positionals: readonly string[];
  /** The command that reproduces the run, without the options that only choose where output goes. */
  readonly command: string;
}

/** `--quick`: a short smoke run (CI); `BENCH_QUICK=1` turns it on for every benchmark of `npm run bench`. */
export const QUICK_OPTION = { quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' } } as const;

/** `--write` / `--no-write`: whether the run rewrites its RESULTS.md section (by default a full run does, a quick one does not). */
export const WRITE_OPTIONS = { write: { type: 'boolean' }, 'no-write': { type: 'boolean', default: false } } as const;

export function shouldWrite(values: { readonly quick?: boolean; readonly write?: boolean; readonly 'no-write'?: boolean }): boolean {
  return values.write ?? (!values.quick && !values['no-write']);
}

export interface CommandLineSettings {
  /** The npm script, for messages and for the command that reproduces the run (`npm run <script> -- ...`). */
  readonly script: string;
  /** Options that change where the output goes, not what is measured: left out of `command`. */
  readonly notInCommand?: readonly string[];
  readonly allowPositionals?: boolean;
  readonly args?: readonly string[];
}

/** Parses the arguments (default `process.argv`); `command` is the command that reproduces the figures. */
export function parseCommandLine<const O extends Options>(options: O, settings: CommandLineSettings): CommandLine<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: [...(settings.args ?? process.argv.slice(2))],
      options,
      tokens: true,
      strict: true,
      allowPositionals: settings.allowPositionals ?? false,
    });
  } catch (error) {
    throw new Error(`${settings.script}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const kept = parsed.tokens.flatMap((token) => {
    if (token.kind !== 'option' || settings.notInCommand?.includes(token.name)) return [];
    if (token.value === undefined) return [token.rawName];
    return token.inlineValue ? [`${token.rawName}=${token.value}`] : [token.rawName, token.value];
  });
  const command = `npm run ${settings.script}${kept.length > 0 ? ` -- ${kept.join(' ')}` : ''}`;
  return { values: parsed.values, positionals: parsed.positionals, command };
}

/** `text` as an integer ≥ `min`, or `fallback` when the option was not given; a bad value names the option and the script. */
export function integerOption(script: string, name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${script}: --${name} must be an integer ≥ ${min}, got ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}

/** A comma-separated `--name` value as a list, each item checked against `known`; undefined when not given. */
export function listOption(script: string, name: string, text: string | undefined, known: readonly string[]): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').filter(Boolean);
  for (const item of items) {
    if (!known.includes(item))
      throw new Error(`${script}: --${name} ${JSON.stringify(item.slice(0, 40))} is not one of ${known.join(', ')}`);
  }
  return items;
}
