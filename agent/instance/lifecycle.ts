/**
 * The supervised instance's lifecycle (DESIGN §3): the state union, the table of allowed transitions and
 * the bounded event history that explains every change.
 */
import { StateError } from '../../shared/errors.js';
import type { InstanceState } from '../../shared/instance-states.js';

export { INSTANCE_STATES, type InstanceState } from '../../shared/instance-states.js';

/** Allowed transitions; anything else is a bug and throws IllegalTransitionError. */
export const TRANSITIONS: Readonly<Record<InstanceState, readonly InstanceState[]>> = {
  // From stopped: a start, or the outcome of restoring a persisted handle (adopted / exited / unverifiable).
  stopped: ['starting', 'running', 'exited', 'unknown', 'backoff', 'fatal'],
  starting: ['running', 'backoff', 'exited', 'fatal', 'stopping', 'stopped'],
  running: ['exited', 'stopping', 'stopped'],
  backoff: ['starting', 'stopped', 'fatal'],
  // To `unknown` when the group could not be signalled (refused, EPERM): never signalled further.
  stopping: ['stopped', 'unknown'],
  exited: ['starting', 'backoff', 'fatal', 'stopped'],
  fatal: ['starting', 'stopped'],
  // Only an explicit start or stop (an admin's decision) leaves `unknown`; neither signals the old PID.
  unknown: ['starting', 'stopped'],
};

export class IllegalTransitionError extends StateError {
  constructor(
    readonly instance: string,
    readonly from: InstanceState,
    readonly to: InstanceState,
  ) {
    super(`instance ${instance}: illegal state transition ${from} → ${to}`);
  }
}

export function assertTransition(instance: string, from: InstanceState, to: InstanceState): void {
  if (!TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(instance, from, to);
}

export interface InstanceEvent {
  /** Epoch ms. */
  at: number;
  /** Upper-case kind: STARTED, RUNNING, EXITED, BACKOFF, FATAL, STOPPING, KILLED, STOPPED, ADOPTED, RESTORE_FAILED... */
  type: string;
  /** Human text, starting with the type: `EXITED code=1`, `BACKOFF 4s`. */
  message: string;
}

export const MAX_EVENTS = 50;

/** Appends an event, keeping the newest `max`. */
export function appendEvent(list: InstanceEvent[], ev: InstanceEvent, max = MAX_EVENTS): void {
  list.push(ev);
  if (list.length > max) list.splice(0, list.length - max);
}
