/**
 * A short history of every instance's CPU and memory, from the metrics the agents push: per instance
 * (agent + instance key) the samples of the last window, in fixed-size typed-array rings (one slot per
 * metrics interval over the window, plus slack for reports answered in between). An instance's history is
 * forgotten when the registry forgets the instance.
 */
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';

export interface HistoryOptions {
  windowMs: number;
  /** The agents' metrics interval: sizes the rings. */
  intervalMs: number;
}

export interface InstanceSeries {
  agent: string;
  handler: string;
  instance: string;
  at_ms: number[];
  cpu_percent: number[];
  memory_bytes: number[];
}

/** Slots per instance: the window at the interval, doubled for reports answered between pushes, capped. */
export function slotsFor(opts: HistoryOptions): number {
  return Math.min(4096, Math.max(8, Math.ceil((opts.windowMs / Math.max(1, opts.intervalMs)) * 2) + 1));
}

class Series {
  private readonly at: Float64Array;
  private readonly cpu: Float32Array;
  private readonly mem: Float64Array;
  private start = 0;
  private count = 0;

  constructor(
    readonly handler: string,
    slots: number,
  ) {
    this.at = new Float64Array(slots);
    this.cpu = new Float32Array(slots);
    this.mem = new Float64Array(slots);
  }

  add(atMs: number, cpu: number, mem: number): void {
    const n = this.at.length;
    if (this.count > 0 && atMs < this.at[(this.start + this.count - 1) % n]!) return; // out of order
    const slot = (this.start + this.count) % n;
    this.at[slot] = atMs;
    this.cpu[slot] = cpu;
    this.mem[slot] = mem;
    if (this.count < n) this.count++;
    else this.start = (this.start + 1) % n;
  }

  /** Samples newer than `fromMs`, oldest first. */
  read(fromMs: number): Pick<InstanceSeries, 'at_ms' | 'cpu_percent' | 'memory_bytes'> {
    const out = { at_ms: [] as number[], cpu_percent: [] as number[], memory_bytes: [] as number[] };
    const n = this.at.length;
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % n;
      const at = this.at[slot]!;
      if (at < fromMs) continue;
      out.at_ms.push(at);
      out.cpu_percent.push(Math.round(this.cpu[slot]! * 100) / 100);
      out.memory_bytes.push(this.mem[slot]!);
    }
    return out;
  }
}

export class MetricsHistory {
  /** agent → instance key → series. */
  private readonly byAgent = new Map<string, Map<string, Series>>();
  readonly slots: number;

  constructor(readonly opts: HistoryOptions) {
    this.slots = slotsFor(opts);
  }

  /** Keeps one report's instance samples, taken at `atMs`. */
  record(agent: string, report: MetricsReport__Output, atMs: number): void {
    let map = this.byAgent.get(agent);
    for (const m of report.instances) {
      const key = m.instance || m.handler;
      if (!key) continue;
      if (!map) this.byAgent.set(agent, (map = new Map()));
      let s = map.get(key);
      if (!s) map.set(key, (s = new Series(m.handler, this.slots)));
      s.add(atMs, Number(m.cpu_percent) || 0, Number(m.memory_bytes) || 0);
    }
  }

  /** Forgets an instance (removed from the registry). */
  forget(agent: string, key: string): void {
    const map = this.byAgent.get(agent);
    if (!map) return;
    map.delete(key);
    if (map.size === 0) this.byAgent.delete(agent);
  }

  /** The samples of the window ending at `nowMs`, of the instances `keep` accepts, by agent then key. */
  query(nowMs: number, keep: (handler: string, key: string, agent: string) => boolean): InstanceSeries[] {
    const out: InstanceSeries[] = [];
    for (const agent of [...this.byAgent.keys()].sort()) {
      const map = this.byAgent.get(agent)!;
      for (const key of [...map.keys()].sort()) {
        const s = map.get(key)!;
        if (!keep(s.handler, key, agent)) continue;
        out.push({ agent, handler: s.handler, instance: key, ...s.read(nowMs - this.opts.windowMs) });
      }
    }
    return out;
  }

  /** Instances with a history (tests, benchmarks). */
  size(): number {
    let n = 0;
    for (const m of this.byAgent.values()) n += m.size;
    return n;
  }
}
