// Original file: proto/governor/v1/spec.proto


/**
 * Advisory limits; an unset field is no limit.
 */
export interface Limits {
  /**
   * Percent of one core (150 = 1.5 cores).
   */
  'cpu_percent'?: (number | string);
  /**
   * Memory, bytes.
   */
  'memory_bytes'?: (number | string);
  /**
   * Most tasks (processes and threads) in the handler's cgroup.
   */
  'pids'?: (number);
  '_cpu_percent'?: "cpu_percent";
  '_memory_bytes'?: "memory_bytes";
  '_pids'?: "pids";
}

/**
 * Advisory limits; an unset field is no limit.
 */
export interface Limits__Output {
  /**
   * Percent of one core (150 = 1.5 cores).
   */
  'cpu_percent'?: (number);
  /**
   * Memory, bytes.
   */
  'memory_bytes'?: (number);
  /**
   * Most tasks (processes and threads) in the handler's cgroup.
   */
  'pids'?: (number);
  '_cpu_percent'?: "cpu_percent";
  '_memory_bytes'?: "memory_bytes";
  '_pids'?: "pids";
}
