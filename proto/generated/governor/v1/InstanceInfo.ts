// Original file: proto/governor/v1/admin.proto

import type { InstanceStatus as _governor_v1_InstanceStatus, InstanceStatus__Output as _governor_v1_InstanceStatus__Output } from '../../governor/v1/InstanceStatus.js';

export interface InstanceInfo {
  /**
   * Agent the instance runs on.
   */
  'agent'?: (string);
  /**
   * Status last reported by the agent.
   */
  'status'?: (_governor_v1_InstanceStatus | null);
  /**
   * True when the agent is disconnected: the status is the last one known, not current.
   */
  'stale'?: (boolean);
  /**
   * When the master last heard about this instance, ISO-8601.
   */
  'reported_at'?: (string);
}

export interface InstanceInfo__Output {
  /**
   * Agent the instance runs on.
   */
  'agent': (string);
  /**
   * Status last reported by the agent.
   */
  'status': (_governor_v1_InstanceStatus__Output | null);
  /**
   * True when the agent is disconnected: the status is the last one known, not current.
   */
  'stale': (boolean);
  /**
   * When the master last heard about this instance, ISO-8601.
   */
  'reported_at': (string);
}
