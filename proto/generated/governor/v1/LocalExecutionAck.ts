// Original file: proto/governor/v1/agent_link.proto


export interface LocalExecutionAck {
  'ids'?: (string)[];
}

export interface LocalExecutionAck__Output {
  'ids': (string)[];
}
