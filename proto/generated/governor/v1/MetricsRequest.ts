// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

export interface MetricsRequest {
  /**
   * Optional filters (older clients); `targets` wins when set.
   */
  'handler'?: (string);
  'agent'?: (string);
  'targets'?: (_governor_v1_TargetSet | null);
}

export interface MetricsRequest__Output {
  /**
   * Optional filters (older clients); `targets` wins when set.
   */
  'handler': (string);
  'agent': (string);
  'targets': (_governor_v1_TargetSet__Output | null);
}
