// Original file: proto/governor/v1/agent_link.proto


/**
 * One command an agent carried out for a local user (its control socket), as its execution log shows it.
 */
export interface LocalExecution {
  /**
   * The agent's unique id for it (a UUID): the execution's id in the master's log.
   */
  'id'?: (string);
  /**
   * start | stop | restart | ensure | release | signal.
   */
  'kind'?: (string);
  'handler'?: (string);
  /**
   * Instance key on the agent (`web#1`); empty: every instance of the handler.
   */
  'instance'?: (string);
  /**
   * `local:<uid>`: the kernel-verified uid of the caller on the socket.
   */
  'issued_by'?: (string);
  /**
   * ISO-8601.
   */
  'started_at'?: (string);
  'completed_at'?: (string);
  'ok'?: (boolean);
  /**
   * Why it failed, when ok is false.
   */
  'error'?: (string);
  /**
   * Short result summary.
   */
  'result'?: (string);
  /**
   * e.g. `SIGHUP group`.
   */
  'params_summary'?: (string);
}

/**
 * One command an agent carried out for a local user (its control socket), as its execution log shows it.
 */
export interface LocalExecution__Output {
  /**
   * The agent's unique id for it (a UUID): the execution's id in the master's log.
   */
  'id': (string);
  /**
   * start | stop | restart | ensure | release | signal.
   */
  'kind': (string);
  'handler': (string);
  /**
   * Instance key on the agent (`web#1`); empty: every instance of the handler.
   */
  'instance': (string);
  /**
   * `local:<uid>`: the kernel-verified uid of the caller on the socket.
   */
  'issued_by': (string);
  /**
   * ISO-8601.
   */
  'started_at': (string);
  'completed_at': (string);
  'ok': (boolean);
  /**
   * Why it failed, when ok is false.
   */
  'error': (string);
  /**
   * Short result summary.
   */
  'result': (string);
  /**
   * e.g. `SIGHUP group`.
   */
  'params_summary': (string);
}
