/**
 * Resource sampling with pidusage, summed over each handler's process tree (descendants found by one
 * /proc ppid scan per sample). pidusage keeps an open /proc fd per PID in its history; only live PIDs
 * are ever asked for, and `maxage` lets the history of dead ones expire, so fds stay bounded.
 */
import pidusage from 'pidusage';
import { listPids, readProcStat } from '../../shared/proc.js';

export interface TreeUsage {
  cpu_percent: number;
  memory_bytes: number;
  processes: number;
}

export class MetricsSampler {
  /** @param maxAgeMs how long pidusage keeps a PID's history (and fd) unsampled; > the sampling interval. */
  constructor(private readonly maxAgeMs: number) {}

  /** Samples the process trees rooted at `roots`; a root that is gone is left out of the result. */
  async sample(roots: number[]): Promise<Map<number, TreeUsage>> {
    const result = new Map<number, TreeUsage>();
    if (roots.length === 0) return result;
    const trees = processTrees(roots);
    const all = [...new Set([...trees.values()].flat())];
    if (all.length === 0) return result;
    let stats: Record<string, { cpu: number; memory: number }> = {};
    try {
      stats = (await pidusage(all, { maxage: this.maxAgeMs })) as unknown as typeof stats;
    } catch {
      /* all gone between the scan and the read */
    }
    for (const [root, pids] of trees) {
      const usage: TreeUsage = { cpu_percent: 0, memory_bytes: 0, processes: 0 };
      for (const pid of pids) {
        const s = stats[pid];
        if (!s) continue;
        usage.cpu_percent += s.cpu;
        usage.memory_bytes += s.memory;
        usage.processes++;
      }
      if (usage.processes > 0) result.set(root, usage);
    }
    return result;
  }
}

/** root PID → [root, ...live descendants], from one scan of /proc. */
export function processTrees(roots: number[]): Map<number, number[]> {
  const children = new Map<number, number[]>();
  const live = new Set<number>();
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z' || st.state === 'X') continue;
    live.add(pid);
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  const out = new Map<number, number[]>();
  for (const root of roots) {
    if (!live.has(root)) continue;
    const tree: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const pid = queue.pop()!;
      tree.push(pid);
      for (const c of children.get(pid) ?? []) queue.push(c);
    }
    out.set(root, tree);
  }
  return out;
}
