/** The durable record of observed processes (part of the agent state file; no imports, no cycles). */

export interface ObservedRecord {
  name: string;
  pid: number;
  pgid: number;
  /** /proc/PID/stat field 22: with the PID, the identity verified on every check and after a restart. */
  start_time: string;
  cmdline_hash: string;
  /** The command line (truncated), for operators. */
  command: string;
  /** Epoch ms. */
  attached_at: number;
  /** `attach` (an admin, by PID) or `discover` (a discovery rule). */
  source: 'attach' | 'discover';
  /** The discovery rule that found it. */
  rule?: string;
  /** Advisory limits from the discovery rule (CPU applied through a cgroup, memory only watched). */
  limits?: { cpu_percent?: number; memory_bytes?: number };
  /** The cpu cgroup.procs file the process was in before we moved it (moved back on detach). */
  cgroup_origin?: string;
}

export interface ObservedState {
  processes: Record<string, ObservedRecord>;
  /** `pid:start_time` of detached discovered processes, so discovery does not attach them again. */
  ignored: string[];
}

export function emptyObserved(): ObservedState {
  return { processes: {}, ignored: [] };
}
