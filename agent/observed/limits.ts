/**
 * Limits from a discovery rule on an observed process. The CPU share is applied by moving the process into
 * a cpu cgroup (a PID write, not a signal; moved back on detach). A memory limit is only watched and
 * warned about, because the kernel enforces memory limits by OOM-killing, which would be a kill caused by
 * the governor.
 */
import { formatBytes } from '../../shared/durations.js';
import type { ProcStat } from '../../shared/proc.js';
import type { Cgroups } from '../process/cgroups.js';
import type { TreeUsage } from '../process/sampler.js';
import type { ObservedEntry } from './entry.js';

/**
 * Moves the process into a cpu cgroup when its rule sets `cpu_percent` (remembering where it came from);
 * returns the `LIMITS` event message when it was moved, else null.
 */
export function applyCpuLimit(cg: Cgroups, entry: ObservedEntry, st: ProcStat): string | null {
  const cpu = entry.rec.limits?.cpu_percent;
  if (cpu === undefined) return null;
  const origin = cg.currentProcsFile(st.pid, 'cpu');
  const group = cg.prepare(`observed:${entry.rec.name}`, { cpu_percent: cpu }, 'cpu');
  if (!group || !origin) return null;
  if (!cg.join(group, st.pid)) return null;
  entry.rec.cgroup_origin = origin;
  return `LIMITS cpu ${cpu}% through a cgroup (moved by PID, no signal)`;
}

/** A process that has just crossed its (watched, not enforced) memory limit. */
export interface MemoryCrossing {
  memory_bytes: number;
  limit: number;
  /** The `OVER_LIMIT` event message. */
  message: string;
}

/**
 * Compares one process's usage with its memory limit and records whether it is over; returns the crossing
 * only on the sample where it goes over (so each crossing is warned about once).
 */
export function memoryCrossing(entry: ObservedEntry, u: TreeUsage | undefined): MemoryCrossing | null {
  const limit = entry.rec.limits?.memory_bytes;
  if (limit === undefined || !u) return null;
  const over = u.memory_bytes > limit;
  const crossed = over && !entry.overMemory;
  entry.overMemory = over;
  if (!crossed) return null;
  return {
    memory_bytes: u.memory_bytes,
    limit,
    message: `OVER_LIMIT memory ${formatBytes(u.memory_bytes)} > ${formatBytes(limit)} (observed: not enforced)`,
  };
}
