/**
 * How long a handler's own settings let an operation on it take (DESIGN §3): the start window, the readiness
 * deadline, the stop timeout. The agent runs its timers by these rules; the master adds them to a command's
 * timeout (`commandWaitMs`), so a `gov stop` of a handler with `stop_timeout: 60s` is not reported as a
 * master that did not answer.
 */
import { timerDelay } from './durations.js';
import type { HandlerSpec } from './spec.js';

/**
 * systemd's default TimeoutStartSec: a `notify: true` handler must have said READY=1, and a daemonizing
 * (`type: forking`) program's first process must have exited, by then (spec `start_timeout` overrides).
 */
export const DEFAULT_START_TIMEOUT_MS = 90_000;

/** Milliseconds after the spawn by which a health-checked instance must be healthy to be ready. */
export function readinessDeadlineMs(spec: Pick<HandlerSpec, 'start_seconds' | 'health'>): number {
  const h = spec.health;
  if (!h) return timerDelay(spec.start_seconds * 1000);
  // A sum of bounded durations can still exceed what a timer can run: capped (it then fires late, never at once).
  return timerDelay(spec.start_seconds * 1000 + h.unhealthy_threshold * h.interval_ms + h.timeout_ms);
}

/** The longest a start waits to leave `starting` (running, not ready, or failed): its start window. */
export function startWaitMs(spec: HandlerSpec): number {
  const confirmed = spec.notify === true || spec.type === 'forking';
  return confirmed ? (spec.start_timeout_ms ?? DEFAULT_START_TIMEOUT_MS) : readinessDeadlineMs(spec);
}

/**
 * How long a stop may wait for its handler: its `stop_timeout` (then SIGKILL ends it at once; a group that
 * resists SIGKILL, rare, may outlast the command: its late answer corrects the record).
 */
export function stopWaitMs(spec: HandlerSpec): number {
  return spec.stop_timeout_ms;
}

/**
 * How long a command of `kind` may wait on an instance of `spec` beyond the agent's own work: a stop its
 * stop, a start (an ensure's wake-up) its start window, a restart both, an APPLY the stops it makes (its
 * starts answer at the spawn). Nothing for the rest.
 */
export function commandWaitMs(kind: string, spec: HandlerSpec): number {
  switch (kind) {
    case 'STOP':
    case 'APPLY':
      return stopWaitMs(spec);
    case 'START':
    case 'ENSURE':
      return startWaitMs(spec);
    case 'RESTART':
      return stopWaitMs(spec) + startWaitMs(spec);
    default:
      return 0;
  }
}
