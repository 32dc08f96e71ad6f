// Original file: proto/governor/v1/common.proto

import type { ExitInfo as _governor_v1_ExitInfo, ExitInfo__Output as _governor_v1_ExitInfo__Output } from '../../governor/v1/ExitInfo.js';
import type { LifecycleEvent as _governor_v1_LifecycleEvent, LifecycleEvent__Output as _governor_v1_LifecycleEvent__Output } from '../../governor/v1/LifecycleEvent.js';

/**
 * Status of one instance (one handler on one agent) as the agent sees it.
 */
export interface InstanceStatus {
  /**
   * Handler name.
   */
  'handler'?: (string);
  /**
   * Lifecycle state: stopped | starting | running | backoff | stopping | exited | fatal | unknown.
   */
  'state'?: (string);
  /**
   * PID of the handler's main process (the shim's child, the process the shim waits for); 0 when not
   * running or not yet known. Observed processes: the PID watched.
   */
  'pid'?: (number);
  /**
   * Process group id; 0 when not running.
   */
  'pgid'?: (number);
  /**
   * Restarts since the spec was applied.
   */
  'restarts'?: (number);
  /**
   * always-on | on-demand | observed.
   */
  'mode'?: (string);
  /**
   * On-demand temperature: cold | warming | hot | cooling | frozen; empty for always-on.
   */
  'temperature'?: (string);
  /**
   * Last exit, if any.
   */
  'last_exit'?: (_governor_v1_ExitInfo | null);
  /**
   * When the current process started, ISO-8601; empty when not running.
   */
  'started_at'?: (string);
  /**
   * Hash of the spec the instance runs (changes on rolling update).
   */
  'spec_hash'?: (string);
  /**
   * Health: unknown | healthy | unhealthy | none (no check configured).
   */
  'health'?: (string);
  /**
   * Last health-check failure reason, if any.
   */
  'health_reason'?: (string);
  /**
   * Newest lifecycle events, oldest first (bounded).
   */
  'events'?: (_governor_v1_LifecycleEvent)[];
  /**
   * Replica index of this instance (0..count-1) when a handler runs several instances on one agent.
   */
  'index'?: (number);
  /**
   * Instance key on the agent: the handler name for index 0, `name#i` for the others.
   */
  'instance'?: (string);
  /**
   * Observed processes only: the PID the agent watches (never signals).
   */
  'observed'?: (boolean);
  /**
   * PID of the exit-status shim that leads the process group (diagnosis); 0 when not running.
   */
  'shim_pid'?: (number);
  /**
   * notify handlers: the last STATUS= text the handler sent (empty when none).
   */
  'notify_status'?: (string);
  /**
   * On-demand, hot or frozen: ms since the instance was last busy or used; 0 otherwise.
   */
  'idle_ms'?: (number | string);
  /**
   * On-demand, hot: ms until the idle action (cool or freeze) is due; -1 while busy (never while it stays
   * busy). Frozen: ms until its frozen_timeout stop, 0 without one. 0 otherwise.
   */
  'cools_in_ms'?: (number | string);
  /**
   * On-demand: why the instance counts as busy now (`BUSY=1`, `cpu 3.1% > 1%`, `2 connections on :8080`,
   * `lease until 2026-12-02T10:00:00Z`); empty when idle.
   */
  'busy_reason'?: (string);
  /**
   * On-demand: when the longest lease held on it ends, ISO-8601; empty when none.
   */
  'lease_until'?: (string);
}

/**
 * Status of one instance (one handler on one agent) as the agent sees it.
 */
export interface InstanceStatus__Output {
  /**
   * Handler name.
   */
  'handler': (string);
  /**
   * Lifecycle state: stopped | starting | running | backoff | stopping | exited | fatal | unknown.
   */
  'state': (string);
  /**
   * PID of the handler's main process (the shim's child, the process the shim waits for); 0 when not
   * running or not yet known. Observed processes: the PID watched.
   */
  'pid': (number);
  /**
   * Process group id; 0 when not running.
   */
  'pgid': (number);
  /**
   * Restarts since the spec was applied.
   */
  'restarts': (number);
  /**
   * always-on | on-demand | observed.
   */
  'mode': (string);
  /**
   * On-demand temperature: cold | warming | hot | cooling | frozen; empty for always-on.
   */
  'temperature': (string);
  /**
   * Last exit, if any.
   */
  'last_exit': (_governor_v1_ExitInfo__Output | null);
  /**
   * When the current process started, ISO-8601; empty when not running.
   */
  'started_at': (string);
  /**
   * Hash of the spec the instance runs (changes on rolling update).
   */
  'spec_hash': (string);
  /**
   * Health: unknown | healthy | unhealthy | none (no check configured).
   */
  'health': (string);
  /**
   * Last health-check failure reason, if any.
   */
  'health_reason': (string);
  /**
   * Newest lifecycle events, oldest first (bounded).
   */
  'events': (_governor_v1_LifecycleEvent__Output)[];
  /**
   * Replica index of this instance (0..count-1) when a handler runs several instances on one agent.
   */
  'index': (number);
  /**
   * Instance key on the agent: the handler name for index 0, `name#i` for the others.
   */
  'instance': (string);
  /**
   * Observed processes only: the PID the agent watches (never signals).
   */
  'observed': (boolean);
  /**
   * PID of the exit-status shim that leads the process group (diagnosis); 0 when not running.
   */
  'shim_pid': (number);
  /**
   * notify handlers: the last STATUS= text the handler sent (empty when none).
   */
  'notify_status': (string);
  /**
   * On-demand, hot or frozen: ms since the instance was last busy or used; 0 otherwise.
   */
  'idle_ms': (number);
  /**
   * On-demand, hot: ms until the idle action (cool or freeze) is due; -1 while busy (never while it stays
   * busy). Frozen: ms until its frozen_timeout stop, 0 without one. 0 otherwise.
   */
  'cools_in_ms': (number);
  /**
   * On-demand: why the instance counts as busy now (`BUSY=1`, `cpu 3.1% > 1%`, `2 connections on :8080`,
   * `lease until 2026-12-02T10:00:00Z`); empty when idle.
   */
  'busy_reason': (string);
  /**
   * On-demand: when the longest lease held on it ends, ISO-8601; empty when none.
   */
  'lease_until': (string);
}
