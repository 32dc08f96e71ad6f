/**
 * One `Admin.Watch` event as one line of text (`gov events`, the executions of `gov top`):
 * `INDEX  TIME  KIND  TARGET  SUMMARY`, e.g.
 * `42  12:00:01.123  instance  web#1@edge-1  running pid 4321 (was starting)`. TIME is the master's
 * timestamp (UTC). Text that comes from handlers or agents (health reasons, errors, results) has its
 * control characters replaced, so a line stays one line and the terminal safe. Pure.
 */
import { flat } from '../../shared/cli-io.js';
import { formatBytes } from '../../shared/durations.js';
import type { ExecutionRecord, WatchEvent } from './admin-client.js';
import { rolloutProgress } from './format.js';

/** `12:00:01.123` of an ISO timestamp (UTC, as the master wrote it); `-` when it is not one. */
export function eventTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(11, 23) : '-';
}

/** What an event concerns: `web#1@edge-1`, `web@edge-1`, `web`, `edge-1`, or `-`. */
export function eventTarget(e: WatchEvent): string {
  const key = e.instance?.key || e.policy?.instance || e.handler;
  if (key && e.agent) return `${key}@${e.agent}`;
  return key || e.agent || '-';
}

/** `restart web@edge-1 success 120 ms by admin`, `: error` after a failure. */
export function executionSummary(r: ExecutionRecord): string {
  const target = r.handler && r.agent ? `${r.handler}@${r.agent}` : r.handler || r.agent || '-';
  const took = r.status !== 'running' && r.duration_ms > 0 ? ` ${Math.round(r.duration_ms)} ms` : '';
  const by = r.issued_by ? ` by ${r.issued_by}` : '';
  const why = r.error ? `: ${r.error}` : r.result ? ` — ${r.result}` : '';
  const late = r.late ? ' (late answer)' : '';
  return flat(`${r.kind} ${target} ${r.status}${took}${by}${late}${why}`);
}

function instanceSummary(e: WatchEvent): string {
  const c = e.instance;
  if (!c) return '';
  const s = c.instance?.status;
  if (c.removed || !s) return `removed${c.previous_state ? ` (was ${c.previous_state})` : ''}`;
  if (e.kind === 'health') {
    const reason = s.health_reason && s.health !== 'healthy' ? `: ${s.health_reason}` : '';
    const was = c.previous_health && c.previous_health !== s.health ? ` (was ${c.previous_health})` : '';
    return flat(`${s.health || 'none'}${reason}${was}`);
  }
  const temp = s.temperature ? ` (${s.temperature})` : '';
  const pid = s.pid ? ` pid ${s.pid}` : '';
  const was =
    c.previous_state && c.previous_state !== s.state
      ? ` (was ${c.previous_state})`
      : c.previous_pid && c.previous_pid !== s.pid
        ? ` (was pid ${c.previous_pid})`
        : c.previous_temperature && c.previous_temperature !== s.temperature
          ? ` (was ${c.previous_temperature})`
          : '';
  return `${s.state}${temp}${pid}${was}`;
}

function metricsSummary(e: WatchEvent): string {
  const m = e.metrics;
  if (!m) return '';
  const parts: string[] = [];
  if (m.host) {
    const used = m.host.mem_total_bytes - m.host.mem_free_bytes;
    parts.push(
      `load ${m.host.load1.toFixed(2)}`,
      `memory ${formatBytes(used)} / ${formatBytes(m.host.mem_total_bytes)}`,
    );
  }
  const cpu = m.instances.reduce((sum, i) => sum + i.cpu_percent, 0);
  const rss = m.instances.reduce((sum, i) => sum + i.memory_bytes, 0);
  parts.push(`${m.instances.length} instance(s) cpu ${cpu.toFixed(1)}% rss ${formatBytes(rss)}`);
  return parts.join(', ');
}

/** A figure without its unit (a transition does not say its metric): 412000000 → `4.12e+8`, 0.93 → `0.93`. */
function figure(v: number): string {
  return Math.abs(v) >= 1e5 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** `leak: pending → firing (value 4.12e+8, forecast 4.3e+8) — rss 412 MiB above 400 MiB for 2m`. */
function policySummary(e: WatchEvent): string {
  const t = e.policy;
  if (!t) return '';
  const values = `value ${figure(t.value)}${t.has_forecast ? `, forecast ${figure(t.forecast)}` : ''}`;
  return flat(`${t.rule}: ${t.from || '-'} → ${t.to} (${values})${t.reason ? ` — ${t.reason}` : ''}`);
}

/** The SUMMARY of a line: what changed, in words. */
export function eventSummary(e: WatchEvent): string {
  switch (e.kind) {
    case 'instance':
    case 'health':
      return instanceSummary(e);
    case 'execution':
      return e.execution ? executionSummary(e.execution) : '';
    case 'rollout': {
      const r = e.rollout;
      if (!r) return '';
      const batch = r.batches.length
        ? `, batch ${Math.min(r.current_batch + 1, r.batches.length)}/${r.batches.length}`
        : '';
      return flat(
        `rollout ${r.id} ${r.kind} ${r.state}: ${rolloutProgress(r.instances)}${batch}${r.error ? ` — ${r.error}` : ''}`,
      );
    }
    case 'agent': {
      const a = e.agent_info;
      if (!a) return '';
      const state = a.revoked ? 'revoked' : a.connected ? 'connected' : 'disconnected';
      return flat(
        `${state}${a.hostname ? ` (${a.hostname})` : ''}${a.version ? ` version ${a.version}` : ''}`,
      );
    }
    case 'policy':
      return policySummary(e);
    case 'metrics':
      return metricsSummary(e);
    case 'snapshot': {
      const s = e.snapshot;
      if (!s) return '';
      return `${s.agents.length} agent(s), ${s.instances.length} instance(s), ${s.rollouts.length} rollout(s)${s.more ? ' (more follows)' : ''}`;
    }
    case 'notice': {
      const n = e.notice;
      return n ? flat(`${n.reason}: ${n.message} (the master holds ${n.oldest}..${n.newest})`) : '';
    }
    default:
      return '';
  }
}

/** `INDEX  TIME  KIND  TARGET  SUMMARY`, flat as a whole: any field an agent reports may hold escapes. */
export function eventLine(e: WatchEvent): string {
  return flat(
    [String(e.index), eventTime(e.at), e.kind, eventTarget(e), eventSummary(e)].join('  '),
  ).trimEnd();
}
