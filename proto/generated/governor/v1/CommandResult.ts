// Original file: proto/governor/v1/agent_link.proto

import type { ErrorInfo as _governor_v1_ErrorInfo, ErrorInfo__Output as _governor_v1_ErrorInfo__Output } from '../../governor/v1/ErrorInfo.js';
import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from '../../governor/v1/InstanceStatus.js';
import type { MetricsReport as _governor_v1_MetricsReport, MetricsReport__Output as _governor_v1_MetricsReport__Output } from '../../governor/v1/MetricsReport.js';

export interface CommandResult {
  /**
   * The command's id.
   */
  'command_id'?: (string);
  /**
   * True when the command succeeded.
   */
  'ok'?: (boolean);
  /**
   * Why it failed (when ok is false).
   */
  'error'?: (_governor_v1_ErrorInfo | null);
  /**
   * Status of the instance(s) concerned after the command.
   */
  'instances'?: (_governor_v1_InstanceStatus)[];
  /**
   * METRICS: current metrics.
   */
  'metrics'?: (_governor_v1_MetricsReport | null);
  /**
   * ENSURE: cold-start time in ms (0 when the instance was already hot).
   */
  'cold_start_ms'?: (number | string);
  /**
   * LOGS: the requested lines.
   */
  'lines'?: (string)[];
  /**
   * Short human summary of what was done ("started pid 1234").
   */
  'summary'?: (string);
}

export interface CommandResult__Output {
  /**
   * The command's id.
   */
  'command_id': (string);
  /**
   * True when the command succeeded.
   */
  'ok': (boolean);
  /**
   * Why it failed (when ok is false).
   */
  'error': (_governor_v1_ErrorInfo__Output | null);
  /**
   * Status of the instance(s) concerned after the command.
   */
  'instances': (_governor_v1_InstanceStatus__Output)[];
  /**
   * METRICS: current metrics.
   */
  'metrics': (_governor_v1_MetricsReport__Output | null);
  /**
   * ENSURE: cold-start time in ms (0 when the instance was already hot).
   */
  'cold_start_ms': (number);
  /**
   * LOGS: the requested lines.
   */
  'lines': (string)[];
  /**
   * Short human summary of what was done ("started pid 1234").
   */
  'summary': (string);
}
