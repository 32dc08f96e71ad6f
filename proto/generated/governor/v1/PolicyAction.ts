// Original file: proto/governor/v1/spec.proto


export interface PolicyAction {
  /**
   * restart | stop | cool | freeze | limit_cpu | limit_memory | signal | alert.
   */
  'kind'?: (string);
  /**
   * cool: least-recently-used | most-memory; empty: least-recently-used.
   */
  'order'?: (string);
  /**
   * cool: at most this many instances per action; 0: one.
   */
  'max'?: (number);
  /**
   * limit_cpu: percent of one core.
   */
  'cpu_percent'?: (number | string);
  /**
   * limit_memory: bytes.
   */
  'memory_bytes'?: (number | string);
  /**
   * signal: SIGNAME.
   */
  'signal'?: (string);
  '_cpu_percent'?: "cpu_percent";
  '_memory_bytes'?: "memory_bytes";
}

export interface PolicyAction__Output {
  /**
   * restart | stop | cool | freeze | limit_cpu | limit_memory | signal | alert.
   */
  'kind': (string);
  /**
   * cool: least-recently-used | most-memory; empty: least-recently-used.
   */
  'order': (string);
  /**
   * cool: at most this many instances per action; 0: one.
   */
  'max': (number);
  /**
   * limit_cpu: percent of one core.
   */
  'cpu_percent'?: (number);
  /**
   * limit_memory: bytes.
   */
  'memory_bytes'?: (number);
  /**
   * signal: SIGNAME.
   */
  'signal': (string);
  '_cpu_percent'?: "cpu_percent";
  '_memory_bytes'?: "memory_bytes";
}
