import type { ChildProcess } from 'node:child_process';

/**
 * Asks a forked server to exit (`stopMessage` over IPC, so it can finish what it writes on exit, such as
 * a CPU profile), and kills it by PID if it has not exited within `killAfterMs`.
 */
export async function stopChild(child: ChildProcess, stopMessage: object, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send(stopMessage);
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, killAfterMs);
  await exited;
  clearTimeout(timer);
}
