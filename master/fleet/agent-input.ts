/**
 * What one agent may make the master store (DESIGN §8: an agent's certificate reaches only that agent's
 * handlers). An agent is trusted to speak for itself, not to size the master's state: every string it
 * sends is bounded before it is kept, its hello inventory and observed processes are capped, and its
 * status reports are rate-limited by a token bucket. Which instances it may report at all is the
 * registry's rule (`Registry.acceptsStatus`): those the master assigned to it, and observed ones.
 */
import type { HostMetrics__Output } from '../../proto/generated/governor/v1/HostMetrics.js';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { InstanceStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { LifecycleEvent } from '../../proto/generated/governor/v1/LifecycleEvent.js';
import { MAX_RECENT_COLD_STARTS } from '../../shared/fleet-telemetry.js';

export const AGENT_LIMITS = {
  /** Observed processes (attached or discovered) the master keeps per agent. */
  observedPerAgent: 256,
  /** Instances in one hello's inventory; a larger hello is refused. */
  helloInstances: 10_000,
  /** Status reports per agent: bucket size (a burst) and refill per second. */
  statusBurst: 1_000,
  statusPerSecond: 200,
  /** Events kept per instance status (the agent keeps 50 too). */
  eventsPerStatus: 50,
  /** Reported labels kept per agent. */
  reportedLabels: 64,
  /** Longest string kept from an agent, in characters: short fields and free text. */
  shortString: 128,
  text: 1_024,
  /** Cold-start durations kept per instance's figures: what the agent itself keeps. */
  recentColdStarts: MAX_RECENT_COLD_STARTS,
} as const;

/** A string from an agent cut to `max` characters (an ellipsis marks the cut). */
export function bound(value: string | undefined | null, max: number = AGENT_LIMITS.shortString): string {
  const s = typeof value === 'string' ? value : '';
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** An instance status with every string bounded and at most `eventsPerStatus` (newest) events. */
export function boundStatus(s: InstanceStatus): InstanceStatus {
  const short = (v: string | undefined | null) => bound(v, AGENT_LIMITS.shortString);
  const events = (s.events ?? []).slice(-AGENT_LIMITS.eventsPerStatus).map((e): LifecycleEvent => ({
    handler: short(e.handler),
    at: short(e.at),
    type: short(e.type),
    message: bound(e.message, AGENT_LIMITS.text),
    state: short(e.state),
  }));
  return {
    handler: short(s.handler),
    state: short(s.state),
    pid: s.pid ?? 0,
    shim_pid: s.shim_pid ?? 0,
    pgid: s.pgid ?? 0,
    restarts: s.restarts ?? 0,
    mode: short(s.mode),
    temperature: short(s.temperature),
    last_exit: s.last_exit
      ? { code: s.last_exit.code ?? 0, signal: short(s.last_exit.signal), at: short(s.last_exit.at) }
      : null,
    started_at: short(s.started_at),
    spec_hash: short(s.spec_hash),
    health: short(s.health),
    health_reason: bound(s.health_reason, AGENT_LIMITS.text),
    events,
    index: s.index ?? 0,
    instance: short(s.instance),
    observed: s.observed === true,
    notify_status: bound(s.notify_status, AGENT_LIMITS.text),
    idle_ms: finite(s.idle_ms),
    cools_in_ms: finite(s.cools_in_ms),
    busy_reason: bound(s.busy_reason, AGENT_LIMITS.text),
    lease_until: short(s.lease_until),
  };
}

/**
 * One instance's figures from a metrics report, bounded like its status (boundStatus): every string cut
 * to `shortString`, numbers finite, at most `recentColdStarts` (newest) cold-start durations. Unbounded,
 * one report (a 4 MiB `state`) made every listing of metrics larger than a message can be.
 */
export function boundInstanceMetrics(m: InstanceMetrics__Output): InstanceMetrics__Output {
  const short = (v: string | undefined | null) => bound(v, AGENT_LIMITS.shortString);
  const recent = Array.isArray(m.recent_cold_starts_ms) ? m.recent_cold_starts_ms : [];
  return {
    handler: short(m.handler),
    pid: finite(m.pid),
    cpu_percent: finite(m.cpu_percent),
    memory_bytes: finite(m.memory_bytes),
    uptime_ms: finite(m.uptime_ms),
    restarts: finite(m.restarts),
    state: short(m.state),
    last_exit: m.last_exit
      ? { code: finite(m.last_exit.code), signal: short(m.last_exit.signal), at: short(m.last_exit.at) }
      : null,
    mode: short(m.mode),
    temperature: short(m.temperature),
    cold_starts: finite(m.cold_starts),
    last_cold_start_ms: finite(m.last_cold_start_ms),
    last_hot_memory_bytes: finite(m.last_hot_memory_bytes),
    recent_cold_starts_ms: recent.slice(-AGENT_LIMITS.recentColdStarts).map(finite),
    index: finite(m.index),
    instance: short(m.instance),
    cpu_seconds: finite(m.cpu_seconds),
  };
}

/** An agent's host figures, numbers only (each finite). */
export function boundHostMetrics(h: HostMetrics__Output | null | undefined): HostMetrics__Output | null {
  if (!h) return null;
  return {
    load1: finite(h.load1),
    load5: finite(h.load5),
    load15: finite(h.load15),
    mem_total_bytes: finite(h.mem_total_bytes),
    mem_free_bytes: finite(h.mem_free_bytes),
    cpus: finite(h.cpus),
    agent_rss_bytes: finite(h.agent_rss_bytes),
    notify_ignored: finite(h.notify_ignored),
  };
}

/** A number from an agent, 0 unless finite. */
const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Reported labels, at most `reportedLabels` of them, keys and values bounded. */
export function boundLabels(labels: Record<string, string> | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {}).slice(0, AGENT_LIMITS.reportedLabels))
    out[bound(k)] = bound(v);
  return out;
}

/** A token bucket: `take()` is true while tokens are left; they refill continuously at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Counts drops per agent and says when to warn: at the first drop, then at most once per `everyMs`
 * (with the number dropped since), so a flood cannot flood the log too.
 */
export class DropCounter {
  private readonly seen = new Map<string, { dropped: number; warnedAt: number }>();

  constructor(
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes one drop; returns how many were dropped since the last warning when it is time to warn again. */
  note(agent: string): number | null {
    const t = this.now();
    const s = this.seen.get(agent) ?? { dropped: 0, warnedAt: -Infinity };
    this.seen.set(agent, s);
    s.dropped += 1;
    if (t - s.warnedAt < this.everyMs) return null;
    const n = s.dropped;
    s.dropped = 0;
    s.warnedAt = t;
    return n;
  }

  forget(agent: string): void {
    this.seen.delete(agent);
  }
}
