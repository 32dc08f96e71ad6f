// Original file: proto/governor/v1/admin.proto

import type { TargetSet as _governor_v1_TargetSet, TargetSet__Output as _governor_v1_TargetSet__Output } from '../../governor/v1/TargetSet.js';

export interface ListPoliciesRequest {
  /**
   * Empty: every handler's rules and every agent's agent-wide rules.
   */
  'targets'?: (_governor_v1_TargetSet | null);
  /**
   * Also agent-wide rules (with targets set: of the agents of the targets).
   */
  'agent_wide'?: (boolean);
}

export interface ListPoliciesRequest__Output {
  /**
   * Empty: every handler's rules and every agent's agent-wide rules.
   */
  'targets': (_governor_v1_TargetSet__Output | null);
  /**
   * Also agent-wide rules (with targets set: of the agents of the targets).
   */
  'agent_wide': (boolean);
}
