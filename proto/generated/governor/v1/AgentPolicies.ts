// Original file: proto/governor/v1/admin.proto

import type { PolicyRuleState as _governor_v1_PolicyRuleState, PolicyRuleState__Output as _governor_v1_PolicyRuleState__Output } from '../../governor/v1/PolicyRuleState.js';
import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from '../../governor/v1/PolicyCounters.js';

export interface AgentPolicies {
  'agent'?: (string);
  'connected'?: (boolean);
  /**
   * When the agent last reported, ISO-8601.
   */
  'reported_at'?: (string);
  'rules'?: (_governor_v1_PolicyRuleState)[];
  'counters'?: (_governor_v1_PolicyCounters | null);
}

export interface AgentPolicies__Output {
  'agent': (string);
  'connected': (boolean);
  /**
   * When the agent last reported, ISO-8601.
   */
  'reported_at': (string);
  'rules': (_governor_v1_PolicyRuleState__Output)[];
  'counters': (_governor_v1_PolicyCounters__Output | null);
}
