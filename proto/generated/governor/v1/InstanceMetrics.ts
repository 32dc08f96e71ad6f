// Original file: proto/governor/v1/common.proto

import type { ExitInfo as _governor_v1_ExitInfo, ExitInfo__Output as _governor_v1_ExitInfo__Output } from '../../governor/v1/ExitInfo.js';

/**
 * Resource figures of one instance, summed over its process tree.
 */
export interface InstanceMetrics {
  /**
   * Handler name.
   */
  'handler'?: (string);
  /**
   * PID measured (0 when not running).
   */
  'pid'?: (number);
  /**
   * CPU usage in percent of one core.
   */
  'cpu_percent'?: (number | string);
  /**
   * Resident memory in bytes.
   */
  'memory_bytes'?: (number | string);
  /**
   * Milliseconds since the process started.
   */
  'uptime_ms'?: (number | string);
  /**
   * Restarts since the spec was applied.
   */
  'restarts'?: (number);
  /**
   * Lifecycle state.
   */
  'state'?: (string);
  /**
   * Last exit, if any.
   */
  'last_exit'?: (_governor_v1_ExitInfo | null);
  /**
   * always-on | on-demand | observed.
   */
  'mode'?: (string);
  /**
   * On-demand temperature: cold | warming | hot | cooling | frozen (empty for always-on).
   */
  'temperature'?: (string);
  /**
   * Cold starts performed (on-demand).
   */
  'cold_starts'?: (number);
  /**
   * Last cold-start time in ms (on-demand).
   */
  'last_cold_start_ms'?: (number | string);
  /**
   * Memory measured the last time the instance was hot (on-demand), bytes.
   */
  'last_hot_memory_bytes'?: (number | string);
  /**
   * Cold-start times (ms) of the cold starts in the last hour (on-demand).
   */
  'recent_cold_starts_ms'?: (number | string)[];
  /**
   * Replica index (see InstanceStatus.index).
   */
  'index'?: (number);
  /**
   * Instance key (see InstanceStatus.instance).
   */
  'instance'?: (string);
  /**
   * CPU time the instance's process tree used since the agent began measuring this tree, seconds: a
   * counter that never goes down while the same process tree runs (a child that exits keeps what it used);
   * it starts again from 0 when the instance's process is restarted or the agent restarts.
   */
  'cpu_seconds'?: (number | string);
}

/**
 * Resource figures of one instance, summed over its process tree.
 */
export interface InstanceMetrics__Output {
  /**
   * Handler name.
   */
  'handler': (string);
  /**
   * PID measured (0 when not running).
   */
  'pid': (number);
  /**
   * CPU usage in percent of one core.
   */
  'cpu_percent': (number);
  /**
   * Resident memory in bytes.
   */
  'memory_bytes': (number);
  /**
   * Milliseconds since the process started.
   */
  'uptime_ms': (number);
  /**
   * Restarts since the spec was applied.
   */
  'restarts': (number);
  /**
   * Lifecycle state.
   */
  'state': (string);
  /**
   * Last exit, if any.
   */
  'last_exit': (_governor_v1_ExitInfo__Output | null);
  /**
   * always-on | on-demand | observed.
   */
  'mode': (string);
  /**
   * On-demand temperature: cold | warming | hot | cooling | frozen (empty for always-on).
   */
  'temperature': (string);
  /**
   * Cold starts performed (on-demand).
   */
  'cold_starts': (number);
  /**
   * Last cold-start time in ms (on-demand).
   */
  'last_cold_start_ms': (number);
  /**
   * Memory measured the last time the instance was hot (on-demand), bytes.
   */
  'last_hot_memory_bytes': (number);
  /**
   * Cold-start times (ms) of the cold starts in the last hour (on-demand).
   */
  'recent_cold_starts_ms': (number)[];
  /**
   * Replica index (see InstanceStatus.index).
   */
  'index': (number);
  /**
   * Instance key (see InstanceStatus.instance).
   */
  'instance': (string);
  /**
   * CPU time the instance's process tree used since the agent began measuring this tree, seconds: a
   * counter that never goes down while the same process tree runs (a child that exits keeps what it used);
   * it starts again from 0 when the instance's process is restarted or the agent restarts.
   */
  'cpu_seconds': (number);
}
