// Original file: proto/governor/v1/admin.proto


export interface LabelAgentRequest {
  /**
   * Agent id (certificate CN); it may be labelled before it first connects.
   */
  'agent_id'?: (string);
  /**
   * Labels to set (key → value), added to or replacing the agent's current ones.
   */
  'set'?: ({[key: string]: string});
  /**
   * Label keys to remove (`gov agents label ID key-`).
   */
  'remove'?: (string)[];
}

export interface LabelAgentRequest__Output {
  /**
   * Agent id (certificate CN); it may be labelled before it first connects.
   */
  'agent_id': (string);
  /**
   * Labels to set (key → value), added to or replacing the agent's current ones.
   */
  'set': ({[key: string]: string});
  /**
   * Label keys to remove (`gov agents label ID key-`).
   */
  'remove': (string)[];
}
