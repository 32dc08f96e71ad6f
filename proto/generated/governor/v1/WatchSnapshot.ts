// Original file: proto/governor/v1/admin.proto

import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';
import type { InstanceInfo as _governor_v1_InstanceInfo, InstanceInfo__Output as _governor_v1_InstanceInfo__Output } from '../../governor/v1/InstanceInfo.js';
import type { Rollout as _governor_v1_Rollout, Rollout__Output as _governor_v1_Rollout__Output } from '../../governor/v1/Rollout.js';

/**
 * The current state, sent in parts of bounded size: a client replaces its view with the parts up to the
 * one with more = false.
 */
export interface WatchSnapshot {
  'agents'?: (_governor_v1_AgentInfo)[];
  'instances'?: (_governor_v1_InstanceInfo)[];
  /**
   * Rollouts not finished, and the newest finished ones (bounded).
   */
  'rollouts'?: (_governor_v1_Rollout)[];
  'more'?: (boolean);
}

/**
 * The current state, sent in parts of bounded size: a client replaces its view with the parts up to the
 * one with more = false.
 */
export interface WatchSnapshot__Output {
  'agents': (_governor_v1_AgentInfo__Output)[];
  'instances': (_governor_v1_InstanceInfo__Output)[];
  /**
   * Rollouts not finished, and the newest finished ones (bounded).
   */
  'rollouts': (_governor_v1_Rollout__Output)[];
  'more': (boolean);
}
