/**
 * What the supervisor tells its listeners (the master link, the local socket, tests): every state change
 * and lifecycle event of its instances and observed processes, health verdict changes, applied spec sets.
 * Instances and the observed set emit on the supervisor itself; nothing forwards them.
 */
import type { EventEmitter } from 'node:events';
import type { StateChange } from '../instance/status.js';
import type { InstanceEvent } from '../instance/lifecycle.js';
import type { InstanceMetrics } from './metrics-report.js';

export interface SupervisorEvents {
  state: [StateChange];
  event: [{ handler: string; event: InstanceEvent }];
  /** An instance's health verdict changed (`handler` is the instance key). */
  health: [{ handler: string }];
  /**
   * An instance's status changed without a state change: its main process was found late, an on-demand
   * instance turned busy or idle or its lease changed, or it was frozen or thawed (temperature `frozen`).
   */
  status: [{ handler: string }];
  /** A set of specs was applied (instances may have been removed, which changes no state). */
  applied: [];
  /** A metrics sample was taken (whoever asked: the metrics push, `gov metrics`, the control loop). */
  metrics: [InstanceMetrics[]];
}

/** The supervisor, as those that report to it see it. */
export type SupervisorEmitter = EventEmitter<SupervisorEvents>;
