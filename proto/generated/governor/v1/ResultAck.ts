// Original file: proto/governor/v1/agent_link.proto


export interface ResultAck {
  /**
   * Ids of the commands whose results were recorded.
   */
  'command_ids'?: (string)[];
}

export interface ResultAck__Output {
  /**
   * Ids of the commands whose results were recorded.
   */
  'command_ids': (string)[];
}
