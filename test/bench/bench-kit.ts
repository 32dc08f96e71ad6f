/** Small tools every benchmark uses: percentiles, a free port, waiting on a condition. */
import os from 'node:os';
import { readProcStat } from '../../shared/proc.js';
export { freePort } from '../agent/health-helpers.js';

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ on Linux). */
export const CLOCK_TICKS = 100;

/** CPU time (user + system) of process `pid` so far, in clock ticks (/proc/PID/stat); NaN once it is gone. */
export function cpuTicks(pid: number): number {
  const st = readProcStat(pid);
  return st ? st.utime + st.stime : NaN;
}

/** `load average L on N cores`, printed beside a timed figure (a busy host slows every figure). */
export function loadNote(): string {
  return `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
}

/** The p-th percentile (0..100) of an ascending list; NaN when empty. */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** The median of `xs` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : s.length ? (s[mid - 1]! + s[mid]!) / 2 : NaN;
}

/** Polls `fn` every 10 ms until it is true; throws naming `what` after `timeoutMs`. */
export async function until(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
