// Original file: proto/governor/v1/admin.proto

import type { HostMetrics as _governor_v1_HostMetrics, HostMetrics__Output as _governor_v1_HostMetrics__Output } from '../../governor/v1/HostMetrics.js';

export interface AgentMetrics {
  'agent'?: (string);
  'connected'?: (boolean);
  'host'?: (_governor_v1_HostMetrics | null);
}

export interface AgentMetrics__Output {
  'agent': (string);
  'connected': (boolean);
  'host': (_governor_v1_HostMetrics__Output | null);
}
