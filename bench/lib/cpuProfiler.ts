/**
 * A V8 CPU profile of a bench server's load only (started by the orchestrator after the warm-up, so not
 * of loading the modules), through the inspector. Not `node --cpu-prof`: under `--import tsx` that also
 * profiles the module-loader thread, under the same file name.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export class CpuProfiler {
  private session: Session | undefined;

  /** Starts sampling every `intervalUs` µs; a second call does nothing. */
  async start(intervalUs = 100): Promise<void> {
    if (this.session) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.session.post('Profiler.start');
  }

  /** Writes the profile to `path` (read it with bench/lib/cpuProfileSummary.ts, Chrome DevTools or speedscope), if started. */
  async stopAndWrite(path: string): Promise<void> {
    if (!this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    this.session.disconnect();
    this.session = undefined;
  }
}
