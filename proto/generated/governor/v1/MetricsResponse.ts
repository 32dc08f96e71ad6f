// Original file: proto/governor/v1/admin.proto

import type { InstanceMetricsInfo as _governor_v1_InstanceMetricsInfo, InstanceMetricsInfo__Output as _governor_v1_InstanceMetricsInfo__Output } from '../../governor/v1/InstanceMetricsInfo.js';
import type { AgentMetrics as _governor_v1_AgentMetrics, AgentMetrics__Output as _governor_v1_AgentMetrics__Output } from '../../governor/v1/AgentMetrics.js';
import type { GovernorTelemetry as _governor_v1_GovernorTelemetry, GovernorTelemetry__Output as _governor_v1_GovernorTelemetry__Output } from '../../governor/v1/GovernorTelemetry.js';

export interface MetricsResponse {
  'instances'?: (_governor_v1_InstanceMetricsInfo)[];
  'agents'?: (_governor_v1_AgentMetrics)[];
  'governor'?: (_governor_v1_GovernorTelemetry | null);
}

export interface MetricsResponse__Output {
  'instances': (_governor_v1_InstanceMetricsInfo__Output)[];
  'agents': (_governor_v1_AgentMetrics__Output)[];
  'governor': (_governor_v1_GovernorTelemetry__Output | null);
}
