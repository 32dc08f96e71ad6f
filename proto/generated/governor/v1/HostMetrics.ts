// Original file: proto/governor/v1/common.proto


/**
 * Host-level figures of an agent's machine.
 */
export interface HostMetrics {
  /**
   * 1, 5 and 15 minute load averages.
   */
  'load1'?: (number | string);
  'load5'?: (number | string);
  'load15'?: (number | string);
  /**
   * Total and free memory, bytes.
   */
  'mem_total_bytes'?: (number | string);
  'mem_free_bytes'?: (number | string);
  /**
   * Logical CPUs.
   */
  'cpus'?: (number);
  /**
   * The agent process's own RSS, bytes.
   */
  'agent_rss_bytes'?: (number | string);
  /**
   * sd_notify datagrams ignored since the agent started: the sender was no supervised notify handler's
   * process, or the message was malformed.
   */
  'notify_ignored'?: (number | string);
}

/**
 * Host-level figures of an agent's machine.
 */
export interface HostMetrics__Output {
  /**
   * 1, 5 and 15 minute load averages.
   */
  'load1': (number);
  'load5': (number);
  'load15': (number);
  /**
   * Total and free memory, bytes.
   */
  'mem_total_bytes': (number);
  'mem_free_bytes': (number);
  /**
   * Logical CPUs.
   */
  'cpus': (number);
  /**
   * The agent process's own RSS, bytes.
   */
  'agent_rss_bytes': (number);
  /**
   * sd_notify datagrams ignored since the agent started: the sender was no supervised notify handler's
   * process, or the message was malformed.
   */
  'notify_ignored': (number);
}
