// Original file: proto/governor/v1/agent_link.proto

import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from '../../governor/v1/InstanceMetrics.js';
import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from '../../governor/v1/HostMetrics.js';

export interface MetricsReport {
  /**
   * Per-instance figures.
   */
  'instances'?: (_governor_v1_InstanceMetrics)[];
  /**
   * Host figures.
   */
  'host'?: (_governor_v1_HostMetrics | null);
}

export interface MetricsReport__Output {
  /**
   * Per-instance figures.
   */
  'instances': (_governor_v1_InstanceMetrics__Output)[];
  /**
   * Host figures.
   */
  'host': (_governor_v1_HostMetrics__Output | null);
}
