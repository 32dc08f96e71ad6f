// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

/**
 * Overrides of the handler spec's `update` block; empty fields keep the spec's value.
 */
export interface StartRolloutRequest {
  /**
   * One handler (older clients); `targets` wins when set.
   */
  'handler'?: (string);
  /**
   * N or N%.
   */
  'batch_size'?: (string);
  /**
   * Durations like "5s".
   */
  'min_healthy_time'?: (string);
  'healthy_deadline'?: (string);
  'progress_deadline'?: (string);
  /**
   * pause | abort | rollback.
   */
  'on_failure'?: (string);
  'wait_between'?: (string);
  /**
   * The instances to roll: one rollout over all of them.
   */
  'targets'?: (_governor_v1_TargetSet | null);
}

/**
 * Overrides of the handler spec's `update` block; empty fields keep the spec's value.
 */
export interface StartRolloutRequest__Output {
  /**
   * One handler (older clients); `targets` wins when set.
   */
  'handler': (string);
  /**
   * N or N%.
   */
  'batch_size': (string);
  /**
   * Durations like "5s".
   */
  'min_healthy_time': (string);
  'healthy_deadline': (string);
  'progress_deadline': (string);
  /**
   * pause | abort | rollback.
   */
  'on_failure': (string);
  'wait_between': (string);
  /**
   * The instances to roll: one rollout over all of them.
   */
  'targets': (_governor_v1_TargetSet__Output | null);
}
