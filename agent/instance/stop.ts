/**
 * Stopping an instance's process group and cgroup with escalation: its stop signal to the whole group and
 * every process of its cgroup (a daemon that left the group with setsid included), then SIGCONT to the same
 * (a process stopped by SIGSTOP runs its stop signal's handler), SIGKILL to both once
 * `stop_timeout` passed — whoever leads the group by then; the cgroup by v2 `cgroup.kill`, else each PID of
 * cgroup.procs, re-read and repeated while members remain (a fork bomb forks on) — until the group and the
 * cgroup are empty; past `killDeadlineMs` of SIGKILLs the stop fails (`stuck`). A stop is done when nothing
 * of the handler is left (DESIGN §8 item 11). Timers come from the clock.
 * Never signals what it could not verify (DESIGN §3): every signal goes through the backend's one group
 * rule (`group-signal.ts`); a refused signal (observed-process guard, EPERM) ends the stop instead of waiting.
 */
import { formatDuration } from '../../shared/durations.js';
import type { ExitStatus, Handle, ProcessBackend } from '../process/backend.js';
import { stopwatch, type Clock } from '../../shared/clock.js';
import { isCgroupOnly } from '../process/cgroup-tracking.js';

/** How long SIGKILL is repeated on a group that still has members before the stop is reported failed. */
export const KILL_DEADLINE_MS = 10_000;

export interface GroupStop {
  backend: ProcessBackend;
  clock: Clock;
  signal: NodeJS.Signals;
  timeoutMs: number;
  /**
   * Longest polling interval while waiting for the group to empty. Where nothing tells when the cgroup
   * empties (v1, no cgroup), the wait starts at QUICK_POLL_MS and grows with the time since the signal
   * (`pollDelay`).
   */
  pollMs: number;
  /** How long SIGKILL is repeated before giving up (default KILL_DEADLINE_MS). */
  killDeadlineMs?: number;
  /**
   * When the stop signal was sent already (epoch ms on `clock`): a stop an agent restart interrupted goes on,
   * its signal not sent again (a second SIGTERM means "quit now" to many programs), SIGKILL at this +
   * `timeoutMs`. Absent: the stop signal is sent now.
   */
  signalledAt?: number;
  /** True once waiting should end without a result (the instance was disposed; processes are left alone). */
  cancelled(): boolean;
  /** Records an event: the escalation (`KILLED ...`) or why a signal was not sent (`NOT_SIGNALLED ...`). */
  note(type: string, message: string): void;
}

export type StopResult =
  /** The group is empty (or the process is gone / no longer ours, then never signalled). */
  | { kind: 'exited'; exit: ExitStatus }
  /** A signal was refused while the group is alive: nothing more may be sent. */
  | { kind: 'refused'; reason: string }
  /** The group still had live members after SIGKILL was repeated until the kill deadline. */
  | { kind: 'stuck'; reason: string }
  /** The instance was disposed while waiting. */
  | { kind: 'cancelled' };

const UNKNOWN_EXIT: ExitStatus = { code: null, signal: null };

/** The first polls of a wait that nothing wakes (v1 cgroups, process groups only). */
export const QUICK_POLL_MS = 2;

/**
 * The wait before the next poll for emptiness, `elapsedMs` after the stop signal, where nothing wakes the
 * wait: a quarter of the time so far (a group that empties is seen at most a quarter of the stop's time
 * late; a 200-process tree dies within tens of ms, so a flat `pollMs` of 20 was up to half of it), at least
 * QUICK_POLL_MS, at most `pollMs` (a handler that takes seconds to shut down is polled at `pollMs`).
 */
export function pollDelay(elapsedMs: number, pollMs: number): number {
  return Math.min(pollMs, Math.max(QUICK_POLL_MS, Math.floor(elapsedMs / 4)));
}

/**
 * What a stop's texts call the group it signals: `group PGID` (with `(cgroup DIR)` when `withCgroup` and it
 * has one), or for a handle with no shim and no process group of its own (PID and PGID 0: a held daemon
 * group, stray-shims.ts `heldGroups`) its cgroup alone, which is all it has.
 */
export function groupText(h: Handle, withCgroup = true): string {
  if (isCgroupOnly(h)) return `cgroup ${h.cgroup}`;
  return `group ${h.pgid}${withCgroup && h.cgroup ? ` (cgroup ${h.cgroup})` : ''}`;
}

/**
 * True while anything of `h` is left: its shim, a member of its process group, or a process in its cgroup.
 * The one rule for "the handler is gone" (stops, leftovers of exited processes).
 */
export function leftAlive(backend: ProcessBackend, h: Handle): boolean {
  return (
    backend.isRunning(h) ||
    backend.cgroupPopulated(h) ||
    backend.groupAlive(h) ||
    (h.cgroup === undefined && backend.strayAlive(h))
  );
}

/** Stops the group of `h`; resolves once the group is empty, a signal was refused, or it was cancelled. */
export async function stopGroup(h: Handle, o: GroupStop): Promise<StopResult> {
  const { backend, clock } = o;
  // A process group that is not provably ours (its number reused) is not waited for once the cgroup empties.
  let groupOurs = true;
  // Without a cgroup, a main that left the group (setsid) is reached only through itself and the group it
  // leads (the backend's stray rule): waited for and signalled with the shim's group.
  const stray = h.cgroup === undefined;
  // Cheapest first: the cgroup is one small read, the process group a walk of /proc.
  const alive = (): boolean =>
    backend.isRunning(h) ||
    backend.cgroupPopulated(h) ||
    (groupOurs && backend.groupAlive(h)) ||
    (stray && backend.strayAlive(h));
  if (!alive()) return { kind: 'exited', exit: backend.readExit(h) ?? UNKNOWN_EXIT };
  if (h.cgroup !== undefined && !backend.groupOwned(h)) groupOurs = false;
  const send = (h: Handle, o: GroupStop, signal: NodeJS.Signals): StopResult | null => {
    const res = sendToGroup(h, o, signal);
    if (stray && backend.signalStray(h, signal) && followedByCont(signal)) backend.signalStray(h, 'SIGCONT');
    return res;
  };
  if (o.signalledAt === undefined) {
    const first = send(h, o, o.signal);
    if (first) return first;
  }
  // Time since the stop signal: what passed before this call by the wall clock (a stop resumed by the next agent
  // counts from its recorded signal; a time ahead of now, the wall clock stepped back since, counts as now), then
  // by a monotonic stopwatch. A step of the wall clock during the stop (NTP) neither stretches stop_timeout
  // (a hung handler up for the size of a step back) nor cuts it short (SIGKILL at once on a step forward).
  const before = o.signalledAt === undefined ? 0 : Math.max(0, clock.now() - o.signalledAt);
  const sinceCall = stopwatch(clock);
  const sinceSignal = (): number => before + sinceCall();
  // From this stop's own first SIGKILL: a resumed stop whose deadline passed long ago still gives it its time.
  let killUntil = Infinity;
  let killed = false;
  // Where the kernel says when the cgroup empties (v2 cgroup.events), the wait ends then, not at the next
  // poll; the poll stays at `pollMs` (the shim, the process group). Elsewhere (v1, no cgroup) the poll
  // alone tells, at `pollDelay`.
  let wake: (() => void) | null = null;
  const unwatch = backend.watchCgroup?.(h, () => wake?.()) ?? null;
  try {
    return await waitEmpty();
  } finally {
    unwatch?.();
  }

  async function waitEmpty(): Promise<StopResult> {
    while (!o.cancelled() && alive()) {
      if (sinceSignal() >= o.timeoutMs) {
        if (killed && sinceSignal() >= killUntil) {
          return {
            kind: 'stuck',
            reason: `${groupText(h)} still has live processes ${formatDuration(o.killDeadlineMs ?? KILL_DEADLINE_MS)} after SIGKILL`,
          };
        }
        const res = send(h, o, 'SIGKILL');
        if (res) return res;
        if (!killed) {
          killUntil = sinceSignal() + (o.killDeadlineMs ?? KILL_DEADLINE_MS);
          o.note(
            'KILLED',
            `KILLED SIGKILL to ${groupText(h, false)} after stop_timeout ${formatDuration(o.timeoutMs)}`,
          );
        }
        killed = true;
      }
      const delay = unwatch === null ? pollDelay(sinceSignal(), o.pollMs) : o.pollMs;
      await new Promise<void>((r) => {
        const t = clock.after(delay, r);
        wake = () => {
          t.cancel();
          // After the rest of this I/O phase: the shim's exit, heard in the same phase, is reaped first, so
          // its zombie does not keep its process group "alive" for one more walk of /proc.
          setImmediate(r);
        };
      });
      wake = null;
    }
    if (o.cancelled()) return { kind: 'cancelled' };
    return { kind: 'exited', exit: backend.readExit(h) ?? { code: null, signal: killed ? 'SIGKILL' : null } };
  }
}

/**
 * Whether `signal` is followed by SIGCONT to the same targets: a stopped process (SIGSTOP, `gov signal STOP`)
 * holds a queued stop signal until it runs again, so without it every stop of a stopped handler ended in
 * SIGKILL after the whole stop_timeout. As systemd does (SendSIGCONT=yes): not after SIGKILL (it needs no
 * running) nor after SIGCONT itself.
 */
export function followedByCont(signal: NodeJS.Signals): boolean {
  return signal !== 'SIGKILL' && signal !== 'SIGCONT';
}

/**
 * Signals the group when it is provably ours, and every process in the handle's cgroup (ours by where it
 * is) that the group signal did not reach, then SIGCONT the same way (`followedByCont`): each process gets
 * each signal once. A result ends the stop, null: signalled (or emptied), go on.
 */
function sendToGroup(h: Handle, o: GroupStop, signal: NodeJS.Signals): StopResult | null {
  const res = sendOnce(h, o, signal);
  if (res === null && followedByCont(signal)) {
    // The same targets by the same rules (signalGroup verifies the group again); what it cannot reach by
    // now (emptied, no longer provably ours) is left alone, and the stop signal's outcome stands.
    const grouped = o.backend.signalGroup(h, 'SIGCONT');
    o.backend.signalCgroup(h, 'SIGCONT', undefined, grouped ? h.pgid : undefined);
  }
  return res;
}

function sendOnce(h: Handle, o: GroupStop, signal: NodeJS.Signals): StopResult | null {
  const { backend } = o;
  // v2: one read of cgroup.events, not a /proc read per member (v1: the members are read).
  if (backend.cgroupPopulated(h)) {
    const owned = backend.groupOwned(h);
    const grouped = owned && backend.signalGroup(h, signal);
    if (owned && !grouped && backend.isRunning(h)) return refusedResult(h, signal);
    backend.signalCgroup(h, signal, undefined, grouped ? h.pgid : undefined);
    return null;
  }
  // PIDs of adopted processes are polled only now and then: the PID (and group) may be someone else's.
  if (!backend.groupOwned(h)) {
    if (!backend.isRunning(h) && !backend.groupAlive(h)) return null; // emptied meanwhile: the loop ends
    o.note(
      'NOT_SIGNALLED',
      isCgroupOnly(h)
        ? `NOT_SIGNALLED cgroup ${h.cgroup} has no process left (a held group with no shim of its own` +
            `${h.main_pid ? `, daemon pid ${h.main_pid}` : ''}); ${signal} not sent`
        : `NOT_SIGNALLED pid ${h.pid} is gone or no longer the recorded process; ${signal} not sent to group ${h.pgid}`,
    );
    return { kind: 'exited', exit: backend.readExit(h) ?? UNKNOWN_EXIT };
  }
  if (backend.signalGroup(h, signal)) return null;
  if (!backend.isRunning(h) && !backend.groupAlive(h)) return null;
  return refusedResult(h, signal);
}

function refusedResult(h: Handle, signal: NodeJS.Signals): StopResult {
  return {
    kind: 'refused',
    reason: `${signal} to group ${h.pgid} was refused (an observed process in the group, or no permission)`,
  };
}
