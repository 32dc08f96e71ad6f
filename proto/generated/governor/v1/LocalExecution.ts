// Original file: proto/governor/v1/agent_link.proto


/**
 * One command an agent carried out for a local user (its control socket), or one action of its resource
 * policies (kind policy), as its execution log shows it.
 */
export interface LocalExecution {
  /**
   * The agent's unique id for it (a UUID): the execution's id in the master's log.
   */
  'id'?: (string);
  /**
   * start | stop | restart | ensure | release | signal; `policy` for a resource policy's action (or dry-run
   * decision) taken by the agent's control loop.
   */
  'kind'?: (string);
  /**
   * Empty only for a policy execution of an agent-wide rule that acted on no handler (alert).
   */
  'handler'?: (string);
  /**
   * Instance key on the agent (`web#1`); empty: every instance of the handler.
   */
  'instance'?: (string);
  /**
   * `local:<uid>`: the kernel-verified uid of the caller on the socket; `policy/<rule>` for kind policy.
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
   * e.g. `SIGHUP group`; kind policy: the metric values that fired it (raw, smoothed, forecast, threshold).
   */
  'params_summary'?: (string);
}

/**
 * One command an agent carried out for a local user (its control socket), or one action of its resource
 * policies (kind policy), as its execution log shows it.
 */
export interface LocalExecution__Output {
  /**
   * The agent's unique id for it (a UUID): the execution's id in the master's log.
   */
  'id': (string);
  /**
   * start | stop | restart | ensure | release | signal; `policy` for a resource policy's action (or dry-run
   * decision) taken by the agent's control loop.
   */
  'kind': (string);
  /**
   * Empty only for a policy execution of an agent-wide rule that acted on no handler (alert).
   */
  'handler': (string);
  /**
   * Instance key on the agent (`web#1`); empty: every instance of the handler.
   */
  'instance': (string);
  /**
   * `local:<uid>`: the kernel-verified uid of the caller on the socket; `policy/<rule>` for kind policy.
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
   * e.g. `SIGHUP group`; kind policy: the metric values that fired it (raw, smoothed, forecast, threshold).
   */
  'params_summary': (string);
}
