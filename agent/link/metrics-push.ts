/**
 * Which sampled metrics reports are pushed to the master: a report is pushed when it differs from the last
 * one pushed on this stream by more than noise — an instance came or went, or changed state, PID, restarts,
 * last exit, temperature or on-demand figures; its CPU moved by METRICS_CPU_STEP_PERCENT points or more; its
 * RSS by METRICS_MEMORY_STEP_BYTES or METRICS_MEMORY_STEP_FRACTION of the last pushed value, whichever is
 * larger — and at least every METRICS_REFRESH_INTERVALS samples (the host figures and uptimes age by at most
 * that many intervals). The first report on each stream is always pushed. An idle agent with idle handlers
 * so pushes once a minute, not every interval; `gov metrics` is unaffected (it asks the agents: METRICS).
 */
import type { MetricsReport } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { InstanceMetrics } from '../../proto/generated/governor/v1/InstanceMetrics.js';

export const METRICS_CPU_STEP_PERCENT = 0.5;
export const METRICS_MEMORY_STEP_BYTES = 1024 * 1024;
export const METRICS_MEMORY_STEP_FRACTION = 0.01;
/** With 5 s sampling: a report at least every minute. */
export const METRICS_REFRESH_INTERVALS = 12;

/** The fields compared exactly (uptime_ms is left out: it moves with the clock, not with the instance). */
const EXACT = [
  'instance',
  'handler',
  'state',
  'pid',
  'restarts',
  'mode',
  'temperature',
  'cold_starts',
  'last_cold_start_ms',
  'last_hot_memory_bytes',
] as const;

const NONE: readonly never[] = [];

/**
 * Plain loops, no closures or destructuring: this runs for every instance of every sample, too rarely to be
 * optimized, and unoptimized `some(() => …)` and `const [x, y] = [...]` allocate on every call (with the
 * sampler's Map loops, most of an idle agent's allocation).
 */
function sameExact(a: InstanceMetrics, b: InstanceMetrics): boolean {
  for (let i = 0; i < EXACT.length; i++) {
    const k = EXACT[i]!;
    if (a[k] !== b[k]) return false;
  }
  const ea = a.last_exit;
  const eb = b.last_exit;
  if (
    (ea ?? null) !== (eb ?? null) &&
    (!ea || !eb || ea.code !== eb.code || ea.signal !== eb.signal || ea.at !== eb.at)
  )
    return false;
  const ra = a.recent_cold_starts_ms ?? NONE;
  const rb = b.recent_cold_starts_ms ?? NONE;
  if (ra.length !== rb.length) return false;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return false;
  return true;
}

/** Whether `next` differs from `last` by more than noise (see the top of this file). */
export function metricsChanged(last: MetricsReport, next: MetricsReport): boolean {
  const before = last.instances ?? [];
  const now = next.instances ?? [];
  if (before.length !== now.length) return true;
  for (let i = 0; i < now.length; i++) {
    const a = before[i]!;
    const b = now[i]!;
    if (!sameExact(a, b)) return true;
    if (Math.abs(Number(b.cpu_percent ?? 0) - Number(a.cpu_percent ?? 0)) >= METRICS_CPU_STEP_PERCENT)
      return true;
    const memA = Number(a.memory_bytes ?? 0);
    const memStep = Math.max(METRICS_MEMORY_STEP_BYTES, memA * METRICS_MEMORY_STEP_FRACTION);
    if (Math.abs(Number(b.memory_bytes ?? 0) - memA) >= memStep) return true;
  }
  return false;
}

/** One stream's push decisions: remembers the last report pushed and how many samples were held back since. */
export class MetricsPushFilter {
  private last: MetricsReport | null = null;
  private held = 0;

  /** True when `next` is to be pushed (it is then the one later reports are compared with). */
  admit(next: MetricsReport): boolean {
    if (this.last && this.held + 1 < METRICS_REFRESH_INTERVALS && !metricsChanged(this.last, next)) {
      this.held++;
      return false;
    }
    this.last = next;
    this.held = 0;
    return true;
  }
}
