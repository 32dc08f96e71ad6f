// Original file: proto/governor/v1/admin.proto

import type { InstanceMetrics as _governor_v1_InstanceMetrics, InstanceMetrics__Output as _governor_v1_InstanceMetrics__Output } from '../../governor/v1/InstanceMetrics.js';

export interface InstanceMetricsInfo {
  'agent'?: (string);
  'metrics'?: (_governor_v1_InstanceMetrics | null);
}

export interface InstanceMetricsInfo__Output {
  'agent': (string);
  'metrics': (_governor_v1_InstanceMetrics__Output | null);
}
