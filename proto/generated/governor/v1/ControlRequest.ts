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
  /**
   * Optional: only this instance key (`web#1`) on that agent.
   */
  'instance'?: (string);
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
  /**
   * Optional: only this instance key (`web#1`) on that agent.
   */
  'instance': (string);
}
