/**
 * The METRICS answer: per instance (and observed process) CPU %, CPU seconds (a counter), RSS summed over its
 * process tree (process-tree.ts), uptime, restarts, last exit and on-demand figures. The RSS of a hot on-demand
 * instance is remembered for the savings estimate.
 */
import type { Clock } from '../../shared/clock.js';
import type { InstanceStatus, SampledStatus } from '../instance/status.js';
import type { MetricsSampler } from '../process/sampler.js';
import type { TreeRef } from '../process/process-tree.js';
import type { OnDemandTelemetry } from '../on-demand/on-demand.js';
import type { ObservedSet } from '../observed/observed.js';
import type { InstanceRegistry } from './instance-registry.js';
import type { LastExit } from './state-store.js';

export interface InstanceMetrics extends OnDemandTelemetry {
  handler: string;
  index: number;
  state: InstanceStatus['state'];
  pid: number | null;
  cpu_percent: number;
  /** CPU time of the tree since the agent began measuring it (sampler.ts), seconds; 0 when not running. */
  cpu_seconds: number;
  memory_bytes: number;
  processes: number;
  uptime_ms: number;
  restarts: number;
  last_exit: LastExit | null;
  temperature: InstanceStatus['temperature'];
}

const NO_DEMAND: OnDemandTelemetry = {
  cold_starts: 0,
  last_cold_start_ms: 0,
  last_hot_memory_bytes: 0,
  recent_cold_starts_ms: [],
};

/**
 * Samples the process trees of `list` once and reports each entry; the observed set keeps its processes'
 * usage, on-demand controllers their hot RSS. `treeOf`: an entry's process tree (process-tree.ts: a handler's
 * whole tree, its cgroup when it has one; null when it has none to read). `cpuCounter`: the CPU counter of an
 * entry's own cgroup, when it has one (the sampler then skips the /proc reads of a tree that did not run:
 * sampler.ts).
 */
export async function collectMetrics(
  list: SampledStatus[],
  sampler: MetricsSampler,
  clock: Clock,
  observed: ObservedSet,
  registry: InstanceRegistry,
  treeOf: (s: SampledStatus) => TreeRef | null,
  cpuCounter: (s: SampledStatus) => number | null = () => null,
): Promise<InstanceMetrics[]> {
  const trees: TreeRef[] = [];
  const refs: Array<TreeRef | null> = [];
  const counters = new Map<string, number>();
  for (const s of list) {
    const tree = treeOf(s);
    refs.push(tree);
    if (tree === null) continue;
    trees.push(tree);
    const c = cpuCounter(s);
    if (c !== null) counters.set(tree.key, c);
  }
  const usage = await sampler.sample(trees, counters);
  observed.noteUsage(usage);
  const now = clock.now();
  return list.map((s, i) => {
    const tree = refs[i] ?? null;
    const u = tree !== null ? usage.get(tree.key) : undefined;
    const d = registry.demandAt(s.instance);
    if (u && s.temperature === 'hot') {
      d?.recordHotRss(u.memory_bytes);
      d?.noteSample(u.cpu_percent); // idleness from activity: CPU over this window, and connections
    }
    const t = d?.telemetry() ?? NO_DEMAND;
    // Every field written out, not spread: on Node 20 a literal that spreads an object and then adds fields
    // is built on a slow path (~20 µs and ~5 KiB of garbage each: most of an idle agent's CPU and allocation
    // for 100 instances every 5 s), and gives each entry a map of its own, so every reader of the sample (the
    // control loop, the metrics push) looks each field up the slow way.
    return {
      cold_starts: t.cold_starts,
      last_cold_start_ms: t.last_cold_start_ms,
      last_hot_memory_bytes: t.last_hot_memory_bytes,
      recent_cold_starts_ms: t.recent_cold_starts_ms,
      handler: s.handler,
      index: s.index,
      state: s.state,
      pid: s.pid,
      cpu_percent: u ? Math.round(u.cpu_percent * 10) / 10 : 0,
      cpu_seconds: u?.cpu_seconds ?? 0,
      memory_bytes: u?.memory_bytes ?? 0,
      processes: u?.processes ?? 0,
      uptime_ms: tree !== null && s.started_at !== null ? now - s.started_at : 0,
      restarts: s.restarts,
      last_exit: s.last_exit,
      temperature: s.temperature,
    };
  });
}
