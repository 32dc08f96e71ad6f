/**
 * The restart decision as a pure function (no timers, time passed in): what to do after a handler's
 * process exited, given its spec, its recent history and how it exited.
 */
import { backoffDelay, type BackoffSpec } from '../../shared/backoff.js';
import type { RestartPolicy } from '../../shared/spec.js';

export interface RestartPolicySpec {
  restart: RestartPolicy;
  /** A process that exits sooner than this counts as a failed start. */
  start_seconds: number;
  /** Failed starts in a row tolerated before `fatal`. */
  start_retries: number;
  backoff: BackoffSpec;
}

export interface RestartHistory {
  /** Failed starts in a row so far (before this exit). */
  failedStarts: number;
}

export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** Epoch ms the process was spawned. */
  spawnedAt: number;
  /**
   * The start was never confirmed and timed out (start_timeout: no READY=1 of a notify handler, a forking
   * handler's first process still running): a failed start however long it ran.
   */
  unconfirmed?: boolean;
  /**
   * It has a health check and exited while still `starting`, the check never passed: a failed start however
   * long it ran, so one that never gets ready backs off and ends `fatal` after start_retries, `start_seconds:
   * 0` included, instead of being restarted at once forever (supervisord's STARTING → BACKOFF).
   */
  beforeHealthy?: boolean;
}

export interface RestartDecision {
  /** `restart` after `delayMs`; `none`: stay exited (the policy says so); `fatal`: give up. */
  action: 'restart' | 'none' | 'fatal';
  delayMs: number;
  reason: string;
  /** True when the exit counts as a failed start (before start_seconds, or before it was ever running). */
  failedStart: boolean;
  /** The history to keep for the next decision. */
  history: RestartHistory;
}

function failed(exit: ExitFacts): boolean {
  return exit.signal !== null || exit.code !== 0;
}

export function describeExit(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `signal=${exit.signal}`;
  return exit.code === null ? 'code=unknown' : `code=${exit.code}`;
}

export function decideRestart(
  policy: RestartPolicySpec,
  history: RestartHistory,
  exit: ExitFacts,
  now: number,
  random: () => number = Math.random,
): RestartDecision {
  const ranMs = now - exit.spawnedAt;
  const failedStart =
    exit.unconfirmed === true || exit.beforeHealthy === true || ranMs < policy.start_seconds * 1000;
  const wanted = policy.restart === 'always' || (policy.restart === 'on-failure' && failed(exit));
  if (!failedStart) {
    // A start that outlived start_seconds resets the retry count.
    const reset = { failedStarts: 0 };
    if (!wanted) {
      return { action: 'none', delayMs: 0, failedStart, history: reset, reason: noRestart(policy, exit) };
    }
    return {
      action: 'restart',
      delayMs: 0,
      failedStart,
      history: reset,
      reason: `restart: ${policy.restart}, exited (${describeExit(exit)}) after ${ranMs}ms`,
    };
  }
  const failedStarts = history.failedStarts + 1;
  const next = { failedStarts };
  if (!wanted) {
    return { action: 'none', delayMs: 0, failedStart, history: next, reason: noRestart(policy, exit) };
  }
  if (failedStarts > policy.start_retries) {
    return {
      action: 'fatal',
      delayMs: 0,
      failedStart,
      history: next,
      reason: `${failedStarts} failed starts in a row (start_retries: ${policy.start_retries})`,
    };
  }
  return {
    action: 'restart',
    delayMs: backoffDelay(policy.backoff, failedStarts, random),
    failedStart,
    history: next,
    reason: `exited (${describeExit(exit)}) ${ranMs}ms after start, ${failedWhy(policy, exit, ranMs)}; retry ${failedStarts}/${policy.start_retries}`,
  };
}

function failedWhy(policy: RestartPolicySpec, exit: ExitFacts, ranMs: number): string {
  if (exit.unconfirmed) return 'its start not confirmed in time (start_timeout)';
  if (ranMs < policy.start_seconds * 1000) return `before start_seconds (${policy.start_seconds}s)`;
  return 'before its health check ever passed';
}

function noRestart(policy: RestartPolicySpec, exit: ExitFacts): string {
  return `restart: ${policy.restart}, not restarting after ${describeExit(exit)}`;
}
