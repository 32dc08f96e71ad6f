// Original file: proto/governor/v1/admin.proto


/**
 * One instance's recent samples, oldest first (the three arrays have one entry per sample).
 */
export interface InstanceHistory {
  'agent'?: (string);
  'handler'?: (string);
  /**
   * Instance key on the agent.
   */
  'instance'?: (string);
  /**
   * Sample times, epoch ms.
   */
  'at_ms'?: (number | string)[];
  'cpu_percent'?: (number | string)[];
  'memory_bytes'?: (number | string)[];
}

/**
 * One instance's recent samples, oldest first (the three arrays have one entry per sample).
 */
export interface InstanceHistory__Output {
  'agent': (string);
  'handler': (string);
  /**
   * Instance key on the agent.
   */
  'instance': (string);
  /**
   * Sample times, epoch ms.
   */
  'at_ms': (number)[];
  'cpu_percent': (number)[];
  'memory_bytes': (number)[];
}
