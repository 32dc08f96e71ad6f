// Original file: proto/governor/v1/agent_link.proto

import type { PolicyRuleState as _governor_v1_PolicyRuleState, PolicyRuleState__Output as _governor_v1_PolicyRuleState__Output } from '../../governor/v1/PolicyRuleState.js';
import type { PolicyTransition as _governor_v1_PolicyTransition, PolicyTransition__Output as _governor_v1_PolicyTransition__Output } from '../../governor/v1/PolicyTransition.js';
import type { PolicyCounters as _governor_v1_PolicyCounters, PolicyCounters__Output as _governor_v1_PolicyCounters__Output } from '../../governor/v1/PolicyCounters.js';

/**
 * Where the agent's control loop stands (DESIGN §9): every rule for every subject, the state changes
 * since the last report, and lifetime counts.
 */
export interface PolicyReport {
  'rules'?: (_governor_v1_PolicyRuleState)[];
  'transitions'?: (_governor_v1_PolicyTransition)[];
  'counters'?: (_governor_v1_PolicyCounters | null);
}

/**
 * Where the agent's control loop stands (DESIGN §9): every rule for every subject, the state changes
 * since the last report, and lifetime counts.
 */
export interface PolicyReport__Output {
  'rules': (_governor_v1_PolicyRuleState__Output)[];
  'transitions': (_governor_v1_PolicyTransition__Output)[];
  'counters': (_governor_v1_PolicyCounters__Output | null);
}
