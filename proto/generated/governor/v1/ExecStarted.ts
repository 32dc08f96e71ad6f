// Original file: proto/governor/v1/admin.proto


export interface ExecStarted {
  /**
   * The execution's id in the log.
   */
  'execution_id'?: (string);
  'agent'?: (string);
  /**
   * Instance key on the agent (`web#1`).
   */
  'instance'?: (string);
  /**
   * The recording's path on the agent (with ExecStart.record), else empty.
   */
  'recording'?: (string);
}

export interface ExecStarted__Output {
  /**
   * The execution's id in the log.
   */
  'execution_id': (string);
  'agent': (string);
  /**
   * Instance key on the agent (`web#1`).
   */
  'instance': (string);
  /**
   * The recording's path on the agent (with ExecStart.record), else empty.
   */
  'recording': (string);
}
