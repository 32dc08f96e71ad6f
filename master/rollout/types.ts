/**
 * A rollout's persisted shape (same field names as the proto `Rollout`, plus a few internal fields) and
 * its state union: one table of allowed transitions, changed only through `setRolloutState`.
 */
import { StateError } from '../../shared/errors.js';
import type { UpdateSpec } from '../../shared/update-policy.js';

export const ROLLOUT_STATES = [
  'pending',
  'running',
  'paused',
  'rolling_back',
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export type RolloutKind = 'restart' | 'update';
export type StepState = 'pending' | 'in_progress' | 'healthy' | 'failed' | 'rolled_back' | 'skipped';
export type BatchState = 'pending' | 'in_progress' | 'done' | 'failed';

/** Rollouts that still hold the handler (another one is refused meanwhile). */
export const ACTIVE_STATES: ReadonlySet<RolloutState> = new Set([
  'pending',
  'running',
  'paused',
  'rolling_back',
]);
export const TERMINAL_STATES: ReadonlySet<RolloutState> = new Set([
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
]);

/** Allowed transitions; anything else is a bug (or a call in the wrong state) and throws. */
export const ROLLOUT_TRANSITIONS: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  pending: ['running', 'paused', 'aborted', 'failed'],
  running: ['paused', 'rolling_back', 'succeeded', 'aborted', 'failed'],
  // A resume goes back to where it was (running, or rolling_back after a master restart).
  paused: ['running', 'rolling_back', 'aborted', 'failed'],
  rolling_back: ['rolled_back', 'paused', 'aborted', 'failed'],
  succeeded: [],
  failed: [],
  aborted: [],
  rolled_back: [],
};

export interface RolloutInstanceRecord {
  agent: string;
  /** Instance key on the agent (`web`, `web#1`). */
  instance: string;
  batch: number;
  state: StepState;
  old_pid: number;
  new_pid: number;
  reason: string;
  started_at: string;
  done_at: string;
  /** Internal: an UPDATE reached (or may have reached) the instance; rollback puts these back. */
  changed: boolean;
}

export interface RolloutBatchRecord {
  index: number;
  state: BatchState;
  started_at: string;
  done_at: string;
  /** `agent/instance`. */
  instances: string[];
}

/** A rollout as stored: its update policy (the spec's, with the request's overrides) and its progress. */
export interface RolloutRecord extends UpdateSpec {
  id: string;
  handler: string;
  kind: RolloutKind;
  state: RolloutState;
  from_version: number;
  to_version: number;
  batches: RolloutBatchRecord[];
  instances: RolloutInstanceRecord[];
  current_batch: number;
  created_at: string;
  updated_at: string;
  completed_at: string;
  error: string;
  issued_by: string;
  rollback_version: number;
  /** Internal: the progress deadline counts from here (start or last resume), ISO-8601. */
  running_since: string;
  /** Internal: the state a resume returns to (`running`, or `rolling_back` after a master restart). */
  resume_to: 'running' | 'rolling_back';
  /** Internal: an admin asked for a pause; honoured before the next batch. */
  pause_requested: boolean;
}

export class RolloutStateError extends StateError {}

/** The one place a rollout's state changes. Returns `{from, to}` for the caller to log. */
export function setRolloutState(
  r: RolloutRecord,
  to: RolloutState,
  at: string,
): { from: RolloutState; to: RolloutState } {
  const from = r.state;
  if (!ROLLOUT_TRANSITIONS[from].includes(to)) {
    throw new RolloutStateError(`rollout ${r.id} is ${from}; it cannot become ${to}`);
  }
  r.state = to;
  r.updated_at = at;
  if (TERMINAL_STATES.has(to)) r.completed_at = at;
  return { from, to };
}

/** `agent/instance`, as batches list them. */
export function stepName(i: Pick<RolloutInstanceRecord, 'agent' | 'instance'>): string {
  return `${i.agent}/${i.instance}`;
}
