/**
 * Exponential backoff with a cap and jitter, as a pure function (randomness passed in): a handler's
 * restarts after failed starts (agent/instance/restart-policy.ts) and the agent's dial loop to the
 * master (agent/link/master-link.ts).
 */
import { timerDelay } from './durations.js';

export interface BackoffSpec {
  initial_ms: number;
  max_ms: number;
  factor: number;
  /** 0..1: fraction of the delay added or removed at random. */
  jitter: number;
}

/**
 * The delay before retry number `n` (1-based): `initial × factor^(n-1)`, ± `jitter` of it at random from
 * `random()` in [0,1), never above `max_ms`.
 */
export function backoffDelay(b: BackoffSpec, n: number, random: () => number): number {
  // Never above max_ms, nor above what a timer can run (longer timers fire at once), nor NaN:
  // factor^n overflows to Infinity long before n runs out, and 0 × Infinity is NaN.
  const cap = timerDelay(b.max_ms);
  const growth = Math.pow(b.factor, Math.max(0, n - 1));
  const base = b.initial_ms === 0 ? 0 : Math.min(cap, b.initial_ms * growth);
  const jittered = base * (1 + b.jitter * (2 * random() - 1));
  return timerDelay(Math.round(Math.min(cap, jittered)));
}
