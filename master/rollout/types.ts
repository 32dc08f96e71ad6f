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
/**
 * One instance's step. `skipped`: never started (or stopped by an operator); `aborted`: under way when the
 * rollout was aborted — its command was sent (the instance may run the target spec), its health gate never
 * finished.
 */
export type StepState =
  'pending' | 'in_progress' | 'healthy' | 'failed' | 'rolled_back' | 'skipped' | 'aborted';
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
  /** The instance's handler (a rollout may cover several). */
  handler: string;
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
  /**
   * Internal: an UPDATE reached (or may have reached) the instance — set once a command was about to be sent
   * (not for one refused before sending, e.g. its agent not connected); rollback puts these back.
   */
  changed: boolean;
  /**
   * Internal: a replica the update adds (its spec's count or agents place it, no agent ran it when the rollout
   * was made). APPLY does not start it while the rollout holds its handler (engine.ts `deferredInstances`):
   * its step does, in its batch; a rollback to a spec that does not place it removes it (failure.ts).
   */
  added?: boolean;
  /**
   * Internal: its rollback step ran and failed (`reason` says why). A rollback goes on with the other
   * instances and ends `failed` naming these; a resume of the rollback tries them again.
   */
  rollback_failed?: boolean;
  /**
   * Internal: the step's UPDATE, stored before it is sent (its execution and command ids). A step a master
   * stopped in the middle of (`interrupted`, store.ts `recover`) is not sent again when it was carried out
   * (`from_pid`); otherwise this same command is sent again: the agent answers a command id it still
   * remembers from its cache, and carries it out once if it never got it.
   */
  execution_id?: string;
  command_id?: string;
  interrupted?: boolean;
  /**
   * Internal: the PID the instance ran when the step's last run began (0: none), stored before its command is
   * sent. An interrupted step whose instance now runs another process on the step's spec had its command
   * carried out: it is not sent again (step.ts `alreadyCarriedOut`).
   */
  from_pid?: number;
  /** Internal: the instance's restarts count when the step's last run began (with `from_pid`). */
  from_restarts?: number;
}

export interface RolloutBatchRecord {
  index: number;
  state: BatchState;
  started_at: string;
  done_at: string;
  /** `agent/instance`. */
  instances: string[];
}

/** One handler a rollout covers, with its spec versions. */
export interface RolloutHandlerRecord {
  name: string;
  /** update: from → to; restart: both the current one. */
  from_version: number;
  to_version: number;
  /** rollback: the version re-registered as current (a copy of from_version); 0 otherwise. */
  rollback_version: number;
  /**
   * Only some of the handler's instances were asked for (`web@edge-1`, `--agent`): its others were left on
   * the spec they ran, so its success does not end an earlier update's hold (engine.ts `heldHandlers`).
   */
  partial?: boolean;
}

/**
 * A rollout as stored: its update policy (the covered specs' blocks merged by the strictest, see policy.ts,
 * with the request's overrides) and its progress. `handler`, `from_version`, `to_version` and
 * `rollback_version` repeat the FIRST of `handlers` (the shape before rollouts covered several handlers).
 */
export interface RolloutRecord extends UpdateSpec {
  id: string;
  handler: string;
  /** Every handler covered, in order (the first is `handler`). */
  handlers: RolloutHandlerRecord[];
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
  /**
   * Internal: why the rollout is rolling back (its `error` when the rollback began). A rollback that was
   * interrupted (master restart) and resumed puts it back as `error`, so the record still says why.
   */
  rollback_cause?: string;
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

/** True when `r` covers `handler`. */
export function covers(r: Pick<RolloutRecord, 'handlers'>, handler: string): boolean {
  return r.handlers.some((h) => h.name === handler);
}

/** The record of `name` in `r` (every instance's handler has one). */
export function handlerOf(r: Pick<RolloutRecord, 'handlers' | 'id'>, name: string): RolloutHandlerRecord {
  const h = r.handlers.find((x) => x.name === name);
  if (!h) throw new RolloutStateError(`rollout ${r.id} does not cover handler ${name}`);
  return h;
}

/** Copies the first handler's versions to the record's top-level fields (kept for older readers). */
export function syncFirstHandler(r: RolloutRecord): void {
  const first = r.handlers[0];
  if (!first) return;
  r.handler = first.name;
  r.from_version = first.from_version;
  r.to_version = first.to_version;
  r.rollback_version = first.rollback_version;
}
