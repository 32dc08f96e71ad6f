/**
 * Conversions between the supervisor's own types and the wire (proto) messages: statuses, metrics and
 * events out; handler specs both ways (shared/spec-wire.ts), validated on receipt.
 */
import os from 'node:os';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { InstanceStatus as WireStatus } from '../../proto/generated/governor/v1/InstanceStatus.js';
import type { InstanceMetrics as WireMetrics } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { HostMetrics } from '../../proto/generated/governor/v1/HostMetrics.js';
import type { ExitInfo } from '../../proto/generated/governor/v1/ExitInfo.js';
import type { LifecycleEvent } from '../../proto/generated/governor/v1/LifecycleEvent.js';
import { instanceKey, type HandlerSpec } from '../../shared/spec.js';
import { specsHash } from '../../shared/spec-hash.js';
import { specsFromWire, specToWire, type WireSpec } from '../../shared/spec-wire.js';
import type { InstanceMetrics, InstanceStatus } from '../supervisor/supervisor.js';
import type { LastExit } from '../supervisor/state-store.js';
import type { InstanceEvent } from '../instance/lifecycle.js';

const iso = (ms: number | null | undefined): string => (ms ? new Date(ms).toISOString() : '');

export function toWireExit(e: LastExit | null): ExitInfo | null {
  if (!e) return null;
  return { code: e.code ?? -1, signal: e.signal ?? '', at: iso(e.at) };
}

export function toWireEvent(handler: string, e: InstanceEvent, state = ''): LifecycleEvent {
  return { handler, at: iso(e.at), type: e.type, message: e.message, state };
}

export function toWireStatus(s: InstanceStatus): WireStatus {
  return {
    handler: s.handler,
    state: s.state,
    pid: s.pid ?? 0,
    shim_pid: s.shim_pid ?? 0,
    pgid: s.pgid ?? 0,
    restarts: s.restarts,
    mode: s.mode,
    temperature: s.temperature,
    last_exit: toWireExit(s.last_exit),
    started_at: iso(s.started_at),
    spec_hash: s.spec_hash,
    health: s.health,
    health_reason: s.health_reason,
    events: s.events.slice(-20).map((e) => toWireEvent(s.instance, e)),
    index: s.index,
    instance: s.instance,
    observed: s.mode === 'observed',
    notify_status: s.notify_status,
    idle_ms: s.activity.idle_ms,
    cools_in_ms: s.activity.cools_in_ms,
    busy_reason: s.activity.busy_reason,
    lease_until: iso(s.activity.lease_until),
  };
}

export function toWireMetrics(m: InstanceMetrics, mode: string): WireMetrics {
  return {
    handler: m.handler,
    pid: m.pid ?? 0,
    cpu_percent: m.cpu_percent,
    cpu_seconds: m.cpu_seconds,
    memory_bytes: m.memory_bytes,
    uptime_ms: m.uptime_ms,
    restarts: m.restarts,
    state: m.state,
    last_exit: toWireExit(m.last_exit),
    mode,
    temperature: m.temperature,
    cold_starts: m.cold_starts,
    last_cold_start_ms: m.last_cold_start_ms,
    last_hot_memory_bytes: m.last_hot_memory_bytes,
    recent_cold_starts_ms: m.recent_cold_starts_ms,
    index: m.index,
    instance: instanceKey(m.handler, m.index),
  };
}

/** CPUs of this host: counted once (os.cpus() reads /proc/cpuinfo and every CPU's cpufreq files). */
let cpuCount: number | null = null;

/** `notifyIgnored`: sd_notify messages the agent ignored since it started (agent/notify/receiver.ts). */
export function hostMetrics(notifyIgnored = 0): HostMetrics {
  const [l1, l5, l15] = os.loadavg();
  cpuCount ??= os.cpus().length;
  return {
    load1: l1 ?? 0,
    load5: l5 ?? 0,
    load15: l15 ?? 0,
    mem_total_bytes: os.totalmem(),
    mem_free_bytes: os.freemem(),
    cpus: cpuCount,
    agent_rss_bytes: process.memoryUsage.rss(),
    notify_ignored: notifyIgnored,
  };
}

/**
 * The specs an APPLY or UPDATE carries, each validated with the apply validator: a bad one refuses the
 * whole command (ValidationError naming the field) before anything is changed.
 */
export function specsOf(cmd: AgentCommand__Output): HandlerSpec[] {
  return specsFromWire(cmd.specs, 'specs', `${cmd.kind} from the master`);
}

/** The specs the agent runs, for its hello (Hello.cached_specs). */
export function toWireSpecs(specs: readonly HandlerSpec[]): WireSpec[] {
  return specs.map(specToWire);
}

/** Hello.specs_hash: which spec each supervised instance runs (observed processes are not specs). */
export function runningSpecsHash(statuses: readonly InstanceStatus[]): string {
  return specsHash(statuses.filter((s) => s.mode !== 'observed'));
}
