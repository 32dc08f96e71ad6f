// Original file: proto/governor/v1/admin.proto

import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from '../../governor/v1/HostMetrics.js';
import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from '../../governor/v1/InstanceMetrics.js';

/**
 * One agent's metrics as it pushed them.
 */
export interface MetricsSample {
  'host'?: (_governor_v1_HostMetrics | null);
  /**
   * Its instances (narrowed by the handler filter).
   */
  'instances'?: (_governor_v1_InstanceMetrics)[];
}

/**
 * One agent's metrics as it pushed them.
 */
export interface MetricsSample__Output {
  'host': (_governor_v1_HostMetrics__Output | null);
  /**
   * Its instances (narrowed by the handler filter).
   */
  'instances': (_governor_v1_InstanceMetrics__Output)[];
}
