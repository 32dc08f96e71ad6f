/** Helpers for observe-only tests: a workload started outside the governor that records signals. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, trackPid, waitFor } from '../helpers/common.js';

/** A signal-recorder started outside the governor (its own process group), tracked for cleanup by PID. */
export async function outsideWorkload(
  dir: string,
  extraArgs: string[] = [],
): Promise<{ pid: number; log: string }> {
  const log = path.join(dir, `signals-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const ready = `${log}.ready`;
  writeFileSync(log, '');
  const child = spawn(process.execPath, [fixture('signal-recorder.mjs'), log, ready, ...extraArgs], {
    detached: true,
    stdio: 'ignore',
  });
  trackPid(child.pid);
  child.unref();
  await waitFor(() => existsSync(ready), { what: 'outside workload ready' });
  return { pid: child.pid!, log };
}

export function signalsRecorded(log: string): string {
  return readFileSync(log, 'utf8');
}
