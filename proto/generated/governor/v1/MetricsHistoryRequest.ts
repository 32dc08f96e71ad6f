// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

export interface MetricsHistoryRequest {
  /**
   * The instances (names, instance keys, --all, selector, agents); empty: every instance.
   */
  'targets'?: (_governor_v1_TargetSet | null);
}

export interface MetricsHistoryRequest__Output {
  /**
   * The instances (names, instance keys, --all, selector, agents); empty: every instance.
   */
  'targets': (_governor_v1_TargetSet__Output | null);
}
