/**
 * The calling thread's own CPU time (thread-cpu.c, built with the other native helpers): what the main
 * thread itself spent, where process.cpuUsage() also counts every other thread of the process (the libuv
 * pool, V8's compiler and GC helpers). Node.js 20 has no call for it (process.threadCpuUsage is 23.9+).
 *
 * Loading never throws: when the addon did not build or does not load, `threadCpu()` returns the reason, and
 * the caller measures with process.cpuUsage() instead (and says so).
 */
import { loadAddon, type LoadedAddon } from './linux-sockets.js';

export interface ThreadCpu {
  /** The calling thread's CPU time (user and system), in nanoseconds since the thread started. */
  threadCpuNs(): number;
}

export type LoadedThreadCpu = LoadedAddon<ThreadCpu>;

let loaded: LoadedThreadCpu | null = null;

/** The addon, loaded once, or why it is unavailable. */
export function threadCpu(): LoadedThreadCpu {
  return (loaded ??= loadAddon<ThreadCpu>(
    'thread_cpu',
    (file) => `the thread CPU clock (${file}) is unavailable`,
    (native) => native.threadCpuNs(), // refused by a seccomp filter: throws here
  ));
}
