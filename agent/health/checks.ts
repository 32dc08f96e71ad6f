/**
 * Health-check decisions (DESIGN §3), pure: consecutive probe results → verdict and the probing cadence
 * (the readiness deadline is shared/handler-waits.ts). No timers or I/O here; `monitor.ts` runs the probes.
 *
 * Semantics:
 * - `healthy_threshold` consecutive passes → `healthy`; `unhealthy_threshold` consecutive failures →
 *   `unhealthy`; otherwise the verdict stays what it was (`unknown` before the first one).
 * - Readiness: a starting instance is probed at a fast cadence until it is healthy — for its first
 *   READY_FAST_FOR_MS, then 5 times slower: most handlers answer within that time and are seen at once, and
 *   50 handlers booting for seconds on a busy host (a restart of all) are not probed 100 times a second each
 *   by the agent that has to spawn them. Failures during this phase are counted and their reason reported,
 *   but do not make it `unhealthy` (a boot grace, like Docker's start period) — until the readiness deadline
 *   (shared/handler-waits.ts): `start_seconds + unhealthy_threshold × interval + timeout` after the spawn,
 *   the time a steady check would need to call it unhealthy. Not healthy by then → `unhealthy`; the
 *   instance stays `starting` (not ready, never killed for it, as Nomad does).
 */
import { timerDelay } from '../../shared/durations.js';
import type { HealthSpec } from '../../shared/spec.js';

/** `none`: no check configured; `unknown`: configured, no verdict yet (or not active). */
export type { HealthStatus } from '../../shared/instance-states.js';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (`http 503`, `connect ECONNREFUSED 127.0.0.1:8080`); empty when ok. */
  reason: string;
}

export interface HealthCounts {
  status: 'unknown' | 'healthy' | 'unhealthy';
  /** Consecutive passes / failures up to and including the last probe. */
  passes: number;
  failures: number;
  /** The last failure's reason (kept after a later pass, for `gov ps`). */
  reason: string;
}

export const INITIAL_HEALTH: HealthCounts = { status: 'unknown', passes: 0, failures: 0, reason: '' };

/** Readiness probing cadence for cheap probes (tcp, http) and for exec probes (a process each). */
export const READY_PROBE_MS = 10;
export const READY_EXEC_PROBE_MS = 100;
/** How long after the readiness phase began it is probed at that cadence; 5 times slower afterwards. */
export const READY_FAST_FOR_MS = 500;

/**
 * The verdict after one more probe result. `grace` (readiness phase, before the deadline): failures are
 * counted but never turn the verdict into `unhealthy`.
 */
export function judgeHealth(
  prev: HealthCounts,
  probe: ProbeResult,
  th: Pick<HealthSpec, 'healthy_threshold' | 'unhealthy_threshold'>,
  grace = false,
): HealthCounts {
  if (probe.ok) {
    const passes = prev.passes + 1;
    return {
      status: passes >= th.healthy_threshold ? 'healthy' : prev.status,
      passes,
      failures: 0,
      reason: prev.reason,
    };
  }
  const failures = prev.failures + 1;
  return {
    status: !grace && failures >= th.unhealthy_threshold ? 'unhealthy' : prev.status,
    passes: 0,
    failures,
    reason: probe.reason || 'failed',
  };
}

/** At the readiness deadline: anything but healthy becomes unhealthy (with the last reason). */
export function expireReadiness(prev: HealthCounts): HealthCounts {
  if (prev.status === 'healthy') return prev;
  return { ...prev, status: 'unhealthy', reason: prev.reason || 'no passing health check yet' };
}

/**
 * Delay before the next probe: fast while waiting for readiness (`readyForMs`: since that phase began), the
 * configured interval otherwise.
 */
export function probeDelayMs(h: HealthSpec, readiness: boolean, readyForMs = 0): number {
  if (!readiness) return timerDelay(h.interval_ms);
  const fast = h.exec ? READY_EXEC_PROBE_MS : READY_PROBE_MS;
  return timerDelay(Math.min(h.interval_ms, readyForMs < READY_FAST_FOR_MS ? fast : 5 * fast));
}

/** `http http://x/health`, `tcp 8080`, `exec check.sh` — for events and logs. */
export function describeCheck(h: HealthSpec): string {
  if (h.http) return `http ${h.http}`;
  if (h.tcp !== undefined) return `tcp ${h.tcp}`;
  return `exec ${(h.exec ?? []).join(' ')}`;
}
