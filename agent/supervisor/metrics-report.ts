/**
 * The METRICS answer: per instance (and observed process) CPU %, CPU seconds (a counter), RSS summed over its process tree,
 * uptime, restarts, last exit and on-demand figures. The RSS of a hot on-demand instance is remembered
 * for the savings estimate.
 */
import type { Clock } from '../../shared/clock.js';
import type { InstanceStatus, SampledStatus } from '../instance/status.js';
import type { MetricsSampler } from '../process/sampler.js';
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
 * usage, on-demand controllers their hot RSS. `cpuCounter`: the CPU counter of an entry's own cgroup, when
 * it has one (the sampler then skips the /proc reads of a tree that did not run: sampler.ts).
 */
export async function collectMetrics(
  list: SampledStatus[],
  sampler: MetricsSampler,
  clock: Clock,
  observed: ObservedSet,
  registry: InstanceRegistry,
  cpuCounter: (s: SampledStatus) => number | null = () => null,
): Promise<InstanceMetrics[]> {
  // A handler's tree is rooted at its shim (the whole tree, main included); an observed process at its pid.
  const rootOf = (s: SampledStatus): number | null => s.shim_pid ?? s.pid;
  const roots: number[] = [];
  const counters = new Map<number, number>();
  for (const s of list) {
    const root = rootOf(s);
    if (root === null) continue;
    roots.push(root);
    const c = cpuCounter(s);
    if (c !== null) counters.set(root, c);
  }
  const usage = await sampler.sample(roots, counters);
  observed.noteUsage(usage);
  const now = clock.now();
  return list.map((s) => {
    const root = rootOf(s);
    const u = root !== null ? usage.get(root) : undefined;
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
      uptime_ms: root !== null && s.started_at !== null ? now - s.started_at : 0,
      restarts: s.restarts,
      last_exit: s.last_exit,
      temperature: s.temperature,
    };
  });
}
