/** What a run ran on, recorded with its results: figures from different machines or versions do not compare. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { REPO_ROOT } from './paths.js';

export interface Machine {
  readonly node: string;
  readonly cores: number;
  readonly cpuModel: string;
}

export function machine(): Machine {
  return { node: process.version, cores: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' };
}

/** The installed version of each package, by name ("not installed" for a missing one). */
export function packageVersions(names: readonly string[]): Record<string, string> {
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(`${REPO_ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  return Object.fromEntries(names.map((name) => [name, version(name)]));
}

/** "name version, name version, ...", for a results section. */
export const versionList = (versions: Readonly<Record<string, string>>): string =>
  Object.entries(versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
