// Original file: proto/governor/v1/admin.proto

import type { AgentPolicies as _governor_v1_AgentPolicies, AgentPolicies__Output as _governor_v1_AgentPolicies__Output } from '../../governor/v1/AgentPolicies.js';

export interface ListPoliciesResponse {
  'agents'?: (_governor_v1_AgentPolicies)[];
}

export interface ListPoliciesResponse__Output {
  'agents': (_governor_v1_AgentPolicies__Output)[];
}
