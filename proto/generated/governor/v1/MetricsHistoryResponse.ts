// Original file: proto/governor/v1/admin.proto

import type { InstanceHistory as _governor_v1_InstanceHistory, InstanceHistory__Output as _governor_v1_InstanceHistory__Output } from '../../governor/v1/InstanceHistory.js';

export interface MetricsHistoryResponse {
  /**
   * The agents' metrics interval the samples come at, ms, and how far back the master keeps them, ms.
   */
  'interval_ms'?: (number | string);
  'window_ms'?: (number | string);
  'instances'?: (_governor_v1_InstanceHistory)[];
}

export interface MetricsHistoryResponse__Output {
  /**
   * The agents' metrics interval the samples come at, ms, and how far back the master keeps them, ms.
   */
  'interval_ms': (number);
  'window_ms': (number);
  'instances': (_governor_v1_InstanceHistory__Output)[];
}
