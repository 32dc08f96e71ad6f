// Original file: proto/governor/v1/admin.proto


export interface AgentRef {
  'agent_id'?: (string);
}

export interface AgentRef__Output {
  'agent_id': (string);
}
