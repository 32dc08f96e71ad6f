/**
 * The handler's MAIN process: the shim's child, the process the shim waits for (the handler itself, also
 * when it execs: `setpriv … --` and the cgroup join prefix exec, so the PID stays). It is what an operator
 * sees as the handler's PID (`gov ps`, `kill -HUP`), while the shim stays the group leader (group signals,
 * the exit status).
 *
 * Identity: its PID and /proc start time (field 22; set at fork, unchanged by exec), recorded in the handle
 * (`main_pid`, `main_start_time`). A recorded main is believed only while it is alive, has the recorded
 * start time and its parent is the handle's verified shim: a PID reused by a stranger fails at least the
 * last two, so it is never signalled. The shim forks once, so its one live child is the main.
 */
import type { ProcStat } from '../../shared/proc.js';
import type { Handle, MainProcess, ProcessBackend } from './backend.js';

/** How long a spawn waits for the shim's child to appear before reporting the start without a main. */
export const MAIN_DISCOVERY_TIMEOUT_MS = 5_000;
/**
 * Polling interval of that wait for its first MAIN_DISCOVERY_FLAT_POLLS polls (the shim forks within a few
 * ms: a main that appears is seen within 1 ms of it, not up to 4 ms late); it then doubles up to the cap.
 */
export const MAIN_DISCOVERY_POLL_MS = 1;
export const MAIN_DISCOVERY_FLAT_POLLS = 4;
/** Longest polling interval: a burst of spawns on a loaded host must not become a /proc read storm. */
export const MAIN_DISCOVERY_POLL_MAX_MS = 32;

/** The main process recorded in `h`, if any. */
export function recordedMain(h: Handle): MainProcess | null {
  return h.main_pid !== undefined && h.main_start_time !== undefined
    ? { pid: h.main_pid, start_time: h.main_start_time }
    : null;
}

/** `pid=123` for event messages: the main pid, or while it is unknown `pid=- (shim 122)`. */
export function describePids(h: Handle): string {
  return h.main_pid !== undefined ? `pid=${h.main_pid}` : `pid=- (shim ${h.pid})`;
}

/** `h` with `main` recorded (or without a main when null). */
export function withMain(h: Handle, main: MainProcess | null): Handle {
  const { main_pid: _p, main_start_time: _s, main_notified: _n, ...rest } = h;
  return main ? { ...rest, main_pid: main.pid, main_start_time: main.start_time } : rest;
}

/** Why process `st` is not the main recorded as `main` under shim `shimPid`, or null when it is. */
export function mainMismatch(main: MainProcess, shimPid: number, st: ProcStat | null): string | null {
  if (st === null || st.state === 'Z' || st.state === 'X') return `main pid ${main.pid} is gone`;
  if (st.startTime !== main.start_time)
    return `main pid ${main.pid} was reused: start time ${st.startTime} differs from recorded ${main.start_time}`;
  if (st.ppid !== shimPid)
    return `main pid ${main.pid} is not the child of shim ${shimPid} (its parent is ${st.ppid})`;
  return null;
}

/**
 * Polls `backend.findMain(h)` right after a spawn until the shim's child is there, the shim is gone (the
 * handler exited at once), or MAIN_DISCOVERY_TIMEOUT_MS passed; null when not found. Never blocks the event
 * loop (real timers: a /proc poll, not a policy decision).
 */
export async function awaitMain(
  backend: ProcessBackend,
  h: Handle,
  timeoutMs = MAIN_DISCOVERY_TIMEOUT_MS,
): Promise<MainProcess | null> {
  const deadline = performance.now() + timeoutMs;
  let wait = MAIN_DISCOVERY_POLL_MS;
  for (let poll = 1; ; poll++) {
    const main = backend.findMain(h);
    if (main) return main;
    if (!backend.isRunning(h) || performance.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, wait));
    if (poll >= MAIN_DISCOVERY_FLAT_POLLS) wait = Math.min(wait * 2, MAIN_DISCOVERY_POLL_MAX_MS);
  }
}
