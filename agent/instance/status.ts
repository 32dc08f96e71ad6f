/**
 * What a supervised instance reports: its status document (the hello inventory, status pushes, `gov ps`)
 * and the notice of a state change. Shared by the supervisor, the observed set and the wire mapping.
 */
import type { HandlerSpec } from '../../shared/spec.js';
import type { HealthStatus } from '../health/checks.js';
import type { InstanceEvent, InstanceState } from './lifecycle.js';
import type { Temperature } from '../on-demand/policy.js';
import type { LastExit } from '../supervisor/state-store.js';

export interface StateChange {
  handler: string;
  from: InstanceState;
  to: InstanceState;
  at: number;
}

export interface InstanceStatus {
  handler: string;
  /** Replica index (0 for the first instance) and the instance key (`web`, `web#1`). */
  index: number;
  instance: string;
  state: InstanceState;
  /** The handler's main process (the shim's child; for observed processes the PID watched); null when unknown. */
  pid: number | null;
  /** The exit-status shim that leads the process group (null for observed processes). */
  shim_pid: number | null;
  pgid: number | null;
  restarts: number;
  /** `observed` for processes the agent did not start (attached or discovered). */
  mode: HandlerSpec['mode'] | 'observed';
  last_exit: LastExit | null;
  started_at: number | null;
  spec_hash: string;
  events: InstanceEvent[];
  /** On-demand temperature (cold | warming | hot | cooling | frozen); empty for always-on. */
  temperature: Temperature | '';
  /** none (no check) | unknown | healthy | unhealthy, and the last failure reason. */
  health: HealthStatus;
  health_reason: string;
  /** The last sd_notify `STATUS=` text (notify handlers); empty when none. */
  notify_status: string;
  /** On-demand activity (hot or frozen instances; otherwise the idle defaults below). */
  activity: ActivityStatus;
}

/**
 * What a metrics sample reads of an instance: its status without the events, health and activity, which
 * status() copies or computes (a sample every interval for every instance, most of them never pushed).
 */
export type SampledStatus = Pick<
  InstanceStatus,
  | 'handler'
  | 'index'
  | 'instance'
  | 'state'
  | 'pid'
  | 'shim_pid'
  | 'mode'
  | 'restarts'
  | 'last_exit'
  | 'started_at'
  | 'temperature'
>;

/** Why an on-demand instance is busy, or how long it has been idle and when the idle action is due. */
export interface ActivityStatus {
  /** ms since the instance was last busy or used; 0 when not hot or frozen. */
  idle_ms: number;
  /** Hot: ms until the idle action is due, -1 while busy; frozen: until the frozen_timeout stop (0: none). */
  cools_in_ms: number;
  /** `BUSY=1`, `cpu 3.1% > 1%`, `2 connections on :8080`, `lease until …`; empty when idle. */
  busy_reason: string;
  /** Epoch ms when the longest lease ends; null when none. */
  lease_until: number | null;
}

/** The activity of an instance that is not hot or frozen (and of always-on and observed ones). */
export const NO_ACTIVITY: Readonly<ActivityStatus> = {
  idle_ms: 0,
  cools_in_ms: 0,
  busy_reason: '',
  lease_until: null,
};
