// Original file: proto/governor/v1/admin.proto

import type { AgentInfo as _governor_v1_AgentInfo, AgentInfo__Output as _governor_v1_AgentInfo__Output } from '../../governor/v1/AgentInfo.js';

export interface ListAgentsResponse {
  'agents'?: (_governor_v1_AgentInfo)[];
  /**
   * Set when more agents follow: pass it as page_token to get the next page.
   */
  'next_page_token'?: (string);
}

export interface ListAgentsResponse__Output {
  'agents': (_governor_v1_AgentInfo__Output)[];
  /**
   * Set when more agents follow: pass it as page_token to get the next page.
   */
  'next_page_token': (string);
}
