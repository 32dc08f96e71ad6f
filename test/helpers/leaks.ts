/**
 * The run must end by itself (no mocha `exit: true`): once the last root hook has cleaned up, a watchdog
 * waits `graceMs` for the event loop to drain. If something still keeps the process alive — a server,
 * stream, socket, timer, child or watcher a test or the code under test never closed — it prints what is
 * open and fails the run, instead of hanging CI or being hidden by a forced exit. The watchdog's own
 * timer never keeps the process alive.
 */

/** How long the run may take to drain after the last hook (env `GOV_TEST_LEAK_GRACE_MS` overrides). */
export const LEAK_GRACE_MS = 10_000;

/** One line per open handle: its type and what identifies it (address, PID and argv, fd). */
export function describeOpenHandles(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.map((h) => {
    const o = h as Record<string, unknown> & { constructor?: { name?: string } };
    const parts: string[] = [o.constructor?.name ?? typeof h];
    const call = (name: string): unknown => {
      const f = o[name];
      try {
        return typeof f === 'function' ? (f as () => unknown).call(h) : undefined;
      } catch {
        return undefined;
      }
    };
    const address = call('address');
    if (address && typeof address === 'object' && Object.keys(address).length > 0)
      parts.push(`address ${JSON.stringify(address)}`);
    if (o.remoteAddress) parts.push(`remote ${String(o.remoteAddress)}:${String(o.remotePort)}`);
    if (typeof o.pid === 'number') parts.push(`pid ${o.pid}`, JSON.stringify(o.spawnargs));
    if (typeof o.fd === 'number') parts.push(`fd ${o.fd}`);
    return parts.join(' ');
  });
}

/** Arms the watchdog (call it last, from the root `after` hook). */
export function armLeakWatchdog(graceMs = Number(process.env.GOV_TEST_LEAK_GRACE_MS) || LEAK_GRACE_MS): void {
  setTimeout(() => {
    const open = describeOpenHandles().filter((d) => !/^(WriteStream|ReadStream|Socket) fd [012]$/.test(d));
    process.stderr.write(
      `\nThe test run did not exit ${graceMs} ms after its last hook: something a test or the code under ` +
        `test opened is still open.\n  resources: ${process.getActiveResourcesInfo().join(', ')}\n` +
        open.map((d) => `  handle: ${d}\n`).join(''),
    );
    const code = typeof process.exitCode === 'number' && process.exitCode > 0 ? process.exitCode : 1;
    // Mocha sets the exit code from its failures in an 'exit' listener: ours, added later, runs after it.
    process.on('exit', () => (process.exitCode = code));
    process.exit(code);
  }, graceMs).unref();
}
