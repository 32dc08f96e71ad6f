/**
 * On-demand mode decisions (DESIGN §3), pure, time passed in: the temperature of an instance from its
 * lifecycle state, the idle decision, and the bounded record of recent cold starts.
 */
import type { HandlerMode } from '../../shared/spec.js';
import { MAX_RECENT_COLD_STARTS } from '../../shared/fleet-telemetry.js';
import type { Temperature } from '../../shared/instance-states.js';
import type { InstanceState } from '../instance/lifecycle.js';

/** `frozen`: paused by the cgroup freezer after idling (`idle_action: freeze`); same PID, thawed by ensure. */
export type { Temperature };

/**
 * cold = stopped (also exited, fatal, and unknown: nothing of ours runs), warming = starting (also
 * backoff: a restart is coming), hot = running, frozen = running but paused by the freezer, cooling =
 * stopping. Empty for always-on instances.
 */
export function temperatureOf(mode: HandlerMode, state: InstanceState, frozen = false): Temperature | '' {
  if (mode !== 'on-demand') return '';
  if (frozen && state === 'running') return 'frozen';
  switch (state) {
    case 'starting':
    case 'backoff':
      return 'warming';
    case 'running':
      return 'hot';
    case 'stopping':
      return 'cooling';
    default:
      return 'cold';
  }
}

export type IdleDecision = { action: 'cool'; idleMs: number } | { action: 'wait'; delayMs: number };

/**
 * Cool once `idleTimeoutMs` passed since the instance was last active (used through the governor, or
 * seen busy: `idleSince`); otherwise wait for the rest of it.
 */
export function decideIdle(lastActive: number, idleTimeoutMs: number, now: number): IdleDecision {
  const idle = now - lastActive;
  if (idle >= idleTimeoutMs) return { action: 'cool', idleMs: idle };
  return { action: 'wait', delayMs: idleTimeoutMs - idle };
}

/**
 * What says an on-demand instance is busy (DESIGN §3 "Idleness from activity"). The live ones (BUSY=1,
 * the lease) hold from the moment they are set; the measured ones (CPU, connections) are those of the
 * last observation (a metrics sample, or the idle check's own).
 */
export interface ActivitySignals {
  /** `BUSY=1` said, no `IDLE=1` since. */
  saidBusy: boolean;
  /** Epoch ms when the lease ends; null: none. */
  leaseUntil: number | null;
  /** Established TCP connections per port the instance listens on (ports with none are left out). */
  connections: ReadonlyMap<number, number>;
  /** CPU of its process tree over the last sampling window, percent of one core; null: not measured. */
  cpuPercent: number | null;
  /** Above this the tree counts as busy (spec `idle_cpu`). */
  idleCpuPercent: number;
}

/** Why the instance is busy now (`BUSY=1`, `lease until …`, `2 connections on :8080`, `cpu 3.1% > 1%`); '' when idle. */
export function busyReason(a: ActivitySignals, now: number): string {
  if (a.saidBusy) return 'BUSY=1';
  if (a.leaseUntil !== null && a.leaseUntil > now)
    return `lease until ${new Date(a.leaseUntil).toISOString()}`;
  if (a.connections.size > 0) {
    const ports = [...a.connections.keys()].sort((x, y) => x - y);
    const n = [...a.connections.values()].reduce((x, y) => x + y, 0);
    return `${n} connection${n === 1 ? '' : 's'} on ${ports.map((p) => `:${p}`).join(', ')}`;
  }
  if (a.cpuPercent !== null && a.cpuPercent > a.idleCpuPercent)
    return `cpu ${round1(a.cpuPercent)}% > ${round1(a.idleCpuPercent)}%`;
  return '';
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The unit of the CPU times /proc reports (USER_HZ: 100 per second on Linux). */
export const CPU_TICK_MS = 10;
/** The longest CPU window an idle look waits for, whatever a tiny `idle_cpu` would need. */
export const MAX_IDLE_CPU_WINDOW_MS = 10_000;

/**
 * How long the CPU window an idle look judges `idle_cpu` over must be: long enough that two clock ticks (the
 * unit CPU time is counted in) are no more than idle_cpu of it — 2 s for the default 1 %. A tree using twice
 * idle_cpu then never reads as idle, however its ticks fall (over 300 ms, a handler using 3 % of a core
 * reads 0 % in most windows); at least MIN_CPU_WINDOW_MS, at most MAX_IDLE_CPU_WINDOW_MS.
 */
export function idleCpuWindowMs(idleCpuPercent: number, minMs: number): number {
  const needed = idleCpuPercent > 0 ? Math.ceil((2 * CPU_TICK_MS * 100) / idleCpuPercent) : Infinity;
  return Math.min(MAX_IDLE_CPU_WINDOW_MS, Math.max(minMs, needed));
}

/**
 * When the instance was last active: its last use or busy moment, or the end of a lease that ran out
 * since (a lease holds it busy up to its end, so it idles from then on).
 */
export function idleSince(lastActive: number, leaseUntil: number | null, now: number): number {
  return leaseUntil === null ? lastActive : Math.max(lastActive, Math.min(leaseUntil, now));
}

/** The idle timer's next look: when the idle action is due, or earlier when a lease ends before. */
export function nextIdleCheck(
  lastActive: number,
  leaseUntil: number | null,
  idleTimeoutMs: number,
  now: number,
): number {
  const due = idleSince(lastActive, leaseUntil, now) + idleTimeoutMs;
  const at = leaseUntil !== null && leaseUntil > now ? Math.min(due, leaseUntil) : due;
  return Math.max(0, at - now);
}

/** The activity figures of a hot (or frozen) on-demand instance (status.ts ActivityStatus). */
export function activityOf(
  busy: string,
  lastActive: number,
  leaseUntil: number | null,
  idleTimeoutMs: number,
  now: number,
): { idle_ms: number; cools_in_ms: number; busy_reason: string; lease_until: number | null } {
  const lease = leaseUntil !== null && leaseUntil > now ? leaseUntil : null;
  if (busy) return { idle_ms: 0, cools_in_ms: -1, busy_reason: busy, lease_until: lease };
  const idle = Math.max(0, now - idleSince(lastActive, leaseUntil, now));
  return {
    idle_ms: idle,
    cools_in_ms: Math.max(0, idleTimeoutMs - idle),
    busy_reason: '',
    lease_until: lease,
  };
}

/** A lease of `holdMs` taken now: renewing never shortens one (the later end wins). */
export function renewLease(current: number | null, holdMs: number, now: number): number {
  return Math.max(current ?? 0, now + holdMs);
}

export interface ColdStart {
  /** Epoch ms when the instance became hot. */
  at: number;
  ms: number;
}

export const COLD_START_WINDOW_MS = 3_600_000;
export { MAX_RECENT_COLD_STARTS };

/** The cold starts of the last hour (newest last, at most MAX_RECENT_COLD_STARTS), plus `added` if given. */
export function recentColdStarts(list: readonly ColdStart[], now: number, added?: ColdStart): ColdStart[] {
  const out = list.filter((c) => c.at > now - COLD_START_WINDOW_MS);
  if (added) out.push(added);
  return out.length > MAX_RECENT_COLD_STARTS ? out.slice(out.length - MAX_RECENT_COLD_STARTS) : out;
}

const WAKE_PREFERENCE: readonly InstanceState[] = ['running', 'starting', 'backoff', 'stopping'];

/** Which of a handler's instances an `ensure` wakes: a hot one, else a warming/cooling one, else the first. */
export function chooseToWake(states: readonly InstanceState[]): number {
  for (const want of WAKE_PREFERENCE) {
    const i = states.indexOf(want);
    if (i >= 0) return i;
  }
  return 0;
}
