// Original file: proto/governor/v1/admin.proto


/**
 * One execution (DESIGN §4).
 */
export interface ExecutionRecord {
  'id'?: (string);
  /**
   * start | stop | restart | ensure | apply | delete | attach | detach | rollout-step (a rollout's
   * UPDATE of one instance: put on the rollout's spec and restarted; `rollout_id` is set).
   */
  'kind'?: (string);
  'handler'?: (string);
  'agent'?: (string);
  /**
   * CN of the certificate that issued it.
   */
  'issued_by'?: (string);
  /**
   * Set when the execution is a rollout step.
   */
  'rollout_id'?: (string);
  /**
   * ISO-8601.
   */
  'started_at'?: (string);
  'completed_at'?: (string);
  'duration_ms'?: (number | string);
  /**
   * running | success | error | timeout.
   */
  'status'?: (string);
  /**
   * Short result summary.
   */
  'result'?: (string);
  /**
   * Error message when status is error or timeout.
   */
  'error'?: (string);
  'attempt'?: (number);
  'max_attempts'?: (number);
  'params_summary'?: (string);
}

/**
 * One execution (DESIGN §4).
 */
export interface ExecutionRecord__Output {
  'id': (string);
  /**
   * start | stop | restart | ensure | apply | delete | attach | detach | rollout-step (a rollout's
   * UPDATE of one instance: put on the rollout's spec and restarted; `rollout_id` is set).
   */
  'kind': (string);
  'handler': (string);
  'agent': (string);
  /**
   * CN of the certificate that issued it.
   */
  'issued_by': (string);
  /**
   * Set when the execution is a rollout step.
   */
  'rollout_id': (string);
  /**
   * ISO-8601.
   */
  'started_at': (string);
  'completed_at': (string);
  'duration_ms': (number);
  /**
   * running | success | error | timeout.
   */
  'status': (string);
  /**
   * Short result summary.
   */
  'result': (string);
  /**
   * Error message when status is error or timeout.
   */
  'error': (string);
  'attempt': (number);
  'max_attempts': (number);
  'params_summary': (string);
}
