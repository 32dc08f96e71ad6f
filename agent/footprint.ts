/**
 * The agent's V8 settings. An agent idles most of its life (a sample every few seconds, a heartbeat, an
 * occasional command), so its process trades peak JavaScript speed for memory: V8's optimizing compiler
 * (TurboFan) is off. Its compiles are what an idle agent's resident memory held beyond its live heap: the
 * compiler's own machine code paged in from the node binary and the memory its compile threads allocate. The
 * bytecode interpreter and the baseline compiler (Sparkplug) still run everything; the agent's busy paths move
 * bytes mostly in native code (pipes, TLS, HTTP/2 framing).
 *
 * Measured with 100 idle handlers (`npm run bench -- idle`): RSS about 65 → 59 MiB when set before the agent's
 * code loads (set after it had loaded, 62 MiB: start-up had already run the compiler), CPU 0.150 → 0.117 %.
 * The cost, in the exec benchmark (100 MB of output, interleaved runs): 120-132 MB/s against 138-140 without;
 * the agent's CPU per MB is unchanged (3.0-3.6 ms against 3.4-4.0), the master's rises from 3.4-3.9 to 5.7-6.2
 * ms (its CPU profile shows four times the garbage collection; why was not established). Set by `gov agent`
 * (master/cli/gov.ts) before it loads the bundle, and by `node dist/agent/main.js`; never in the master or
 * the CLI.
 */
import v8 from 'node:v8';

export function favourSmallFootprint(): void {
  v8.setFlagsFromString('--no-opt');
}
