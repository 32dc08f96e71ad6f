// Original file: proto/governor/v1/admin.proto


/**
 * One execution (DESIGN §4).
 */
export interface ExecutionRecord {
  'id'?: (string);
  /**
   * start | stop | restart | ensure | release | signal | apply | delete | attach | detach | rollout-step (a rollout's
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
  /**
   * Always 1 (and max_attempts 1): the master sends each command once and never retries it; asking again
   * is a new execution.
   */
  'attempt'?: (number);
  'max_attempts'?: (number);
  'params_summary'?: (string);
  /**
   * True when the agent's answer came after the master had given up (timeout, disconnect, master
   * restart): status, result and error are then the agent's — what was really done — and completed_at
   * / duration_ms are when that answer arrived. `note` keeps the error recorded when the master gave up.
   */
  'late'?: (boolean);
  /**
   * For a late record: the error the master recorded when it gave up, before the agent's answer came.
   */
  'note'?: (string);
  /**
   * True while the outcome is unknown: the master gave up waiting (status error or timeout) on a command
   * that was sent, so the agent may still have carried it out; its late answer corrects the record.
   */
  'unanswered'?: (boolean);
}

/**
 * One execution (DESIGN §4).
 */
export interface ExecutionRecord__Output {
  'id': (string);
  /**
   * start | stop | restart | ensure | release | signal | apply | delete | attach | detach | rollout-step (a rollout's
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
  /**
   * Always 1 (and max_attempts 1): the master sends each command once and never retries it; asking again
   * is a new execution.
   */
  'attempt': (number);
  'max_attempts': (number);
  'params_summary': (string);
  /**
   * True when the agent's answer came after the master had given up (timeout, disconnect, master
   * restart): status, result and error are then the agent's — what was really done — and completed_at
   * / duration_ms are when that answer arrived. `note` keeps the error recorded when the master gave up.
   */
  'late': (boolean);
  /**
   * For a late record: the error the master recorded when it gave up, before the agent's answer came.
   */
  'note': (string);
  /**
   * True while the outcome is unknown: the master gave up waiting (status error or timeout) on a command
   * that was sent, so the agent may still have carried it out; its late answer corrects the record.
   */
  'unanswered': (boolean);
}
