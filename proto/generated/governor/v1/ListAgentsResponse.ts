// Original file: proto/governor/v1/admin.proto

import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';

export interface ListAgentsResponse {
  'agents'?: (_governor_v1_AgentInfo)[];
}

export interface ListAgentsResponse__Output {
  'agents': (_governor_v1_AgentInfo__Output)[];
}
