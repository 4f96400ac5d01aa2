/** Where the benchmarks read and write, resolved from this file so that any working directory will do. */
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** bench/, with a trailing slash: RESULTS.md, the charts and results/ live here. */
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** bench/results/: the JSON of each run, read by the combined report. */
export const RESULTS_DIR = `${BENCH_DIR}results/`;
/** CPU profiles asked for with `--profile` (git-ignored). */
export const CPU_PROFILE_DIR = `${REPO_ROOT}.tmp/cpu-profiles`;

/** The path of a benchmark's own script, for forking it: `script` relative to `from` (pass `import.meta.url`). */
export const scriptPath = (script: string, from: string): string => fileURLToPath(new URL(script, from));
