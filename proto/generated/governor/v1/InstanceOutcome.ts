// Original file: proto/governor/v1/admin.proto


/**
 * What one command did to one instance.
 */
export interface InstanceOutcome {
  'handler'?: (string);
  'agent'?: (string);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'instance'?: (string);
  'ok'?: (boolean);
  /**
   * Why it failed (the agent's or the master's words), when ok is false.
   */
  'error'?: (string);
  /**
   * The execution that carried it.
   */
  'execution_id'?: (string);
}

/**
 * What one command did to one instance.
 */
export interface InstanceOutcome__Output {
  'handler': (string);
  'agent': (string);
  /**
   * Instance key on the agent (`web`, `web#1`).
   */
  'instance': (string);
  'ok': (boolean);
  /**
   * Why it failed (the agent's or the master's words), when ok is false.
   */
  'error': (string);
  /**
   * The execution that carried it.
   */
  'execution_id': (string);
}
