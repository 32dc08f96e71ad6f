/**
 * The calling thread's own CPU time (thread-cpu.c, built with the other native helpers): what the main
 * thread itself spent, where process.cpuUsage() also counts every other thread of the process (the libuv
 * pool, V8's compiler and GC helpers). Node.js 20 has no call for it (process.threadCpuUsage is 23.9+).
 *
 * Loading never throws: when the addon did not build or does not load, `threadCpu()` returns the reason, and
 * the caller measures with process.cpuUsage() instead (and says so).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { addonPath } from './linux-sockets.js';

export interface ThreadCpu {
  /** The calling thread's CPU time (user and system), in nanoseconds since the thread started. */
  threadCpuNs(): number;
}

export type LoadedThreadCpu = { ok: true; native: ThreadCpu } | { ok: false; reason: string };

let loaded: LoadedThreadCpu | null = null;

/** The addon, loaded once, or why it is unavailable. */
export function threadCpu(): LoadedThreadCpu {
  if (loaded) return loaded;
  const file = addonPath('thread_cpu');
  try {
    const native = createRequire(import.meta.url)(file) as ThreadCpu;
    native.threadCpuNs(); // refused by a seccomp filter: throws here
    loaded = { ok: true, native };
  } catch (err) {
    const why = fs.existsSync(file)
      ? `it does not load: ${(err as Error).message.split('\n')[0]}`
      : 'it was not built (npm ci builds it with node-gyp; see the install output)';
    loaded = { ok: false, reason: `the thread CPU clock (${file}) is unavailable: ${why}` };
  }
  return loaded;
}
