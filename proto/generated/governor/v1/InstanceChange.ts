// Original file: proto/governor/v1/admin.proto

import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from '../../governor/v1/InstanceInfo.js';

/**
 * An instance's status after a change, and what it was before.
 */
export interface InstanceChange {
  /**
   * The status kept now (absent when removed).
   */
  'instance'?: (_governor_v1_InstanceInfo | null);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'key'?: (string);
  /**
   * Before the change (empty / 0 when first seen).
   */
  'previous_state'?: (string);
  'previous_health'?: (string);
  'previous_pid'?: (number);
  'previous_temperature'?: (string);
  /**
   * The instance is no longer known (handler deleted, or gone from its agent's inventory).
   */
  'removed'?: (boolean);
}

/**
 * An instance's status after a change, and what it was before.
 */
export interface InstanceChange__Output {
  /**
   * The status kept now (absent when removed).
   */
  'instance': (_governor_v1_InstanceInfo__Output | null);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'key': (string);
  /**
   * Before the change (empty / 0 when first seen).
   */
  'previous_state': (string);
  'previous_health': (string);
  'previous_pid': (number);
  'previous_temperature': (string);
  /**
   * The instance is no longer known (handler deleted, or gone from its agent's inventory).
   */
  'removed': (boolean);
}
