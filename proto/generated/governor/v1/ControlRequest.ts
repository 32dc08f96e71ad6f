// Original file: proto/governor/v1/admin.proto


export interface ControlRequest {
  /**
   * start | stop | restart | ensure.
   */
  'action'?: (string);
  'handler'?: (string);
  /**
   * Optional: only this agent.
   */
  'agent'?: (string);
}

export interface ControlRequest__Output {
  /**
   * start | stop | restart | ensure.
   */
  'action': (string);
  'handler': (string);
  /**
   * Optional: only this agent.
   */
  'agent': (string);
}
