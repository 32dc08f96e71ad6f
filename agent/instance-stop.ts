/**
 * Stopping an instance's process with escalation: its stop signal to the whole process group, SIGKILL
 * to the group once `stop_timeout` passed, then polling until the group is empty. Timers come from the clock.
 */
import { formatDuration } from '../shared/durations.js';
import type { ExitStatus, Handle, ProcessBackend } from './backend.js';
import type { Clock } from './clock.js';

export interface GroupStop {
  backend: ProcessBackend;
  clock: Clock;
  signal: NodeJS.Signals;
  timeoutMs: number;
  /** Polling interval while waiting for the group to empty. */
  pollMs: number;
  /** True once waiting should end without a result (the instance was disposed; processes are left alone). */
  cancelled(): boolean;
  /** The escalation happened (`KILLED ...` message). */
  onKill(message: string): void;
}

/** Stops the group of `h`; resolves with the exit once the group is empty, or null when cancelled first. */
export async function stopGroup(h: Handle, o: GroupStop): Promise<ExitStatus | null> {
  const { backend, clock } = o;
  backend.signalGroup(h, o.signal);
  const deadline = clock.now() + o.timeoutMs;
  let killed = false;
  while (!o.cancelled() && (backend.isRunning(h) || backend.groupAlive(h))) {
    if (!killed && clock.now() >= deadline) {
      killed = true;
      o.onKill(`KILLED SIGKILL to group ${h.pgid} after stop_timeout ${formatDuration(o.timeoutMs)}`);
      backend.signalGroup(h, 'SIGKILL');
    }
    await new Promise<void>((r) => clock.after(o.pollMs, r));
  }
  if (o.cancelled()) return null;
  return backend.readExit(h) ?? { code: null, signal: killed ? 'SIGKILL' : null };
}
