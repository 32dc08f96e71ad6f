/**
 * Output of the admin commands: the `--json` documents (DESIGN §6 shapes; fields may be added, never
 * renamed) and the human tables. Pure functions of the responses and `now`, so tests pin them.
 */
import { flat, table, type CliIO } from '../../shared/cli-io.js';
import { formatBytes, formatDuration } from '../../shared/durations.js';
import type {
  AgentInfo,
  ControlResponse,
  ExecutionRecord,
  ExecutionStats,
  InstanceInfo,
  MetricsResponse,
} from './admin-client.js';
import type { ExitInfo__Output as ExitInfo } from '../../proto/generated/governor/v1/ExitInfo.js';
import type { HostMetrics__Output as HostMetrics } from '../../proto/generated/governor/v1/HostMetrics.js';

/**
 * A rollout's instances as the summaries print them: `3/12 instance(s) healthy`, then how the others that
 * ended did (`, 1 failed, 4 skipped`): a step that did not run is never counted as done.
 */
export function rolloutProgress(instances: ReadonlyArray<{ state: string }>): string {
  const count = (state: string): number => instances.filter((i) => i.state === state).length;
  const others = ['failed', 'rolled_back', 'skipped', 'aborted']
    .map((state) => [state.replace('_', ' '), count(state)] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `, ${n} ${state}`);
  return `${count('healthy')}/${instances.length} instance(s) healthy${others.join('')}`;
}

/** Prints exactly one JSON document. */
export function printJson(io: CliIO, doc: unknown): void {
  io.out(`${JSON.stringify(doc, null, 2)}\n`);
}

const orNull = (s: string | undefined | null): string | null => (s ? s : null);

// ---------- JSON documents ----------

export function agentJson(a: AgentInfo) {
  return {
    id: a.id,
    connected: a.connected,
    hostname: a.hostname,
    labels: a.labels ?? {},
    reported_labels: a.reported_labels ?? {},
    last_seen: orNull(a.last_seen),
    version: a.version,
    tracking: orNull(a.tracking),
    revoked: a.revoked,
    host: a.host ?? null,
  };
}

/** `web@edge-1`, `web#1@edge-1`: how an instance is printed and named back (a TARGET). */
export function instanceName(key: string, agent: string): string {
  return `${key}@${agent}`;
}

/** One `gov ps --json` item: InstanceInfo.status flattened next to agent/stale. */
export function instanceJson(info: InstanceInfo) {
  const s = info.status;
  const handler = s?.handler ?? '';
  const instance = s?.instance || handler;
  return {
    handler,
    agent: info.agent,
    /** Instance key on the agent (`web`, `web#1`). */
    instance,
    /** The instance as a TARGET (`web@edge-1`, `web#1@edge-1`). */
    key: instanceName(instance, info.agent),
    index: s?.index ?? 0,
    state: s?.state || 'unknown',
    /** The handler's main process (the one `kill` and `gov signal --main` reach). */
    pid: s?.pid || null,
    /** The exit-status shim leading the process group (diagnosis). */
    shim_pid: s?.shim_pid || null,
    pgid: s?.pgid || null,
    restarts: s?.restarts ?? 0,
    mode: s?.mode ?? '',
    temperature: orNull(s?.temperature),
    last_exit: s?.last_exit ?? null,
    started_at: orNull(s?.started_at),
    health: s?.health || 'unknown',
    health_reason: orNull(s?.health_reason),
    /**
     * On-demand, hot or frozen, as of `reported_at`: ms since it was last used or busy, ms until its idle
     * action is due (-1 while busy), why it counts as busy (null when idle), and its lease's end.
     */
    idle_ms: s?.idle_ms ?? 0,
    cools_in_ms: s?.cools_in_ms ?? 0,
    busy_reason: orNull(s?.busy_reason),
    lease_until: orNull(s?.lease_until),
    /** The handler's last sd_notify `STATUS=` text (`notify: true`); null when none. */
    notify_status: orNull(s?.notify_status),
    spec_hash: orNull(s?.spec_hash),
    stale: info.stale,
    reported_at: orNull(info.reported_at),
    events: s?.events ?? [],
  };
}

export function executionJson(r: ExecutionRecord) {
  return {
    ...r,
    rollout_id: orNull(r.rollout_id),
    completed_at: orNull(r.completed_at),
    error: orNull(r.error),
  };
}

/** The stats object of DESIGN §4, keys in the documented order. */
export function statsJson(s: ExecutionStats) {
  return {
    total_executions: s.total_executions,
    lifetime_executions: s.lifetime_executions,
    success_count: s.success_count,
    error_count: s.error_count,
    success_rate: s.success_rate,
    avg_duration_ms: s.avg_duration_ms,
    by_handler: s.by_handler ?? {},
    by_agent: s.by_agent ?? {},
    buffer_size: s.buffer_size,
    buffer_utilization: s.buffer_utilization,
  };
}

export function metricsJson(m: MetricsResponse) {
  return {
    instances: m.instances.map((i) => ({
      handler: i.metrics?.handler ?? '',
      agent: i.agent,
      ...i.metrics,
      /** Instance key on the agent (`web`, `web#1`) and as a TARGET (`web#1@edge-1`), as in `gov ps --json`. */
      instance: i.metrics?.instance || i.metrics?.handler || '',
      key: instanceName(i.metrics?.instance || i.metrics?.handler || '', i.agent),
      last_exit: i.metrics?.last_exit ?? null,
      temperature: orNull(i.metrics?.temperature),
    })),
    agents: m.agents.map((a) => ({ agent: a.agent, connected: a.connected, host: a.host ?? null })),
    governor: m.governor ?? null,
  };
}

// ---------- human output ----------

/** `3m4s ago` from an ISO timestamp; `-` when empty or unparsable. */
export function ago(iso: string | null | undefined, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '-';
  return `${formatDuration(Math.max(0, now - t))} ago`;
}

export function formatExit(exit: ExitInfo | null | undefined, now: number): string {
  if (!exit) return '-';
  const how = exit.signal ? exit.signal : `code ${exit.code}`;
  return exit.at ? `${how} ${ago(exit.at, now)}` : how;
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

const isExecutionFailure = (r: ExecutionRecord) => r.status === 'error' || r.status === 'timeout';

/** Executions whose status is error or timeout (the command then exits 1). */
export function failedExecutions(records: ExecutionRecord[]): ExecutionRecord[] {
  return records.filter(isExecutionFailure);
}

function target(r: ExecutionRecord): string {
  if (r.handler && r.agent) return `${r.handler}@${r.agent}`;
  return r.handler || r.agent || '-';
}

/** `restart web@edge-1: success in 120ms (exec 7f3a…)` plus the result or error. */
export function describeExecution(r: ExecutionRecord): string {
  const took = r.duration_ms ? ` in ${formatDuration(r.duration_ms)}` : '';
  const detail = isExecutionFailure(r)
    ? `: ${r.error || 'no error message'}`
    : r.result
      ? ` — ${r.result}`
      : '';
  return `${r.kind} ${target(r)}: ${r.status}${took} (execution ${r.id})${detail}`;
}

/** Prints failures to stderr; returns true when there were any. */
export function reportFailures(io: CliIO, records: ExecutionRecord[]): boolean {
  const failed = failedExecutions(records);
  for (const r of failed)
    io.err(`error: ${r.kind} ${target(r)} ${r.status}: ${r.error || 'no error message'}\n`);
  return failed.length > 0;
}

function stateCell(i: ReturnType<typeof instanceJson>): string {
  const temp = i.temperature ? ` (${i.temperature})` : '';
  return `${i.state}${temp}${i.stale ? '*' : ''}`;
}

/** `healthy`, or `unhealthy: http 503` — the last failure reason unless the check passes now. */
function healthCell(i: ReturnType<typeof instanceJson>): string {
  return i.health_reason && i.health !== 'healthy' && i.health !== 'none'
    ? `${i.health}: ${i.health_reason}`
    : i.health;
}

/** Longest STATUS= text a `gov ps` table shows (`--json` has it whole). */
export const STATUS_CELL_CHARS = 60;

/**
 * A handler's STATUS= text as one table cell: control characters (newlines, tabs, terminal escapes) as
 * spaces, so the table stays aligned and the terminal safe; cut at STATUS_CELL_CHARS.
 */
export function statusCell(text: string | null): string | null {
  if (!text) return null;
  const one = flat(text);
  return one.length > STATUS_CELL_CHARS ? `${one.slice(0, STATUS_CELL_CHARS - 1)}…` : one;
}

/** The order of `gov ps` and of every per-instance listing: handler, then agent, then instance index. */
export function byHandlerAgentIndex(
  a: { handler: string; agent: string; index: number },
  b: { handler: string; agent: string; index: number },
): number {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(a.handler, b.handler) || cmp(a.agent, b.agent) || a.index - b.index;
}

/** `gov ps` items, sorted (whatever order the master answered in). */
export function sortedInstances(infos: InstanceInfo[]): Array<ReturnType<typeof instanceJson>> {
  return infos.map(instanceJson).sort(byHandlerAgentIndex);
}

/**
 * `IDLE FOR` and `COOLS IN` of a hot (or frozen) on-demand instance: aged from `reported_at` to `now`
 * (the agent reports them when it turns busy or idle, not continuously); `busy: REASON` and `-` while busy.
 */
export function idleCells(i: ReturnType<typeof instanceJson>, now: number): [string | null, string | null] {
  if (i.temperature !== 'hot' && i.temperature !== 'frozen') return [null, null];
  if (i.busy_reason || i.cools_in_ms < 0) return [`busy: ${i.busy_reason ?? 'yes'}`, null];
  const at = i.reported_at ? Date.parse(i.reported_at) : NaN;
  const age = Number.isFinite(at) ? Math.max(0, now - at) : 0;
  // Frozen: COOLS IN is the frozen_timeout stop; none configured (0): nothing is due.
  if (i.temperature === 'frozen' && i.cools_in_ms === 0) return [formatDuration(i.idle_ms + age), '-'];
  return [formatDuration(i.idle_ms + age), formatDuration(Math.max(0, i.cools_in_ms - age))];
}

export function instancesTable(infos: InstanceInfo[], now: number): string {
  if (infos.length === 0) return 'no instances\n';
  const items = sortedInstances(infos);
  // On-demand instances add IDLE FOR and COOLS IN; a listing without any keeps its columns.
  const idle = items.some((i) => i.mode === 'on-demand');
  const rows = items.map((i) => [
    i.instance,
    i.agent,
    stateCell(i),
    i.pid,
    i.restarts,
    i.started_at && i.pid ? formatDuration(Math.max(0, now - Date.parse(i.started_at))) : null,
    ...(idle ? idleCells(i, now) : []),
    formatExit(i.last_exit, now),
    healthCell(i),
    statusCell(i.notify_status),
  ]);
  const headers = [
    'HANDLER',
    'AGENT',
    'STATE',
    'PID',
    'RESTARTS',
    'UPTIME',
    ...(idle ? ['IDLE FOR', 'COOLS IN'] : []),
    'LAST EXIT',
    'HEALTH',
    'STATUS',
  ];
  // STATUS (sd_notify) only when some handler said one: tables of fleets without notify stay as they were.
  const shown = items.some((i) => i.notify_status) ? headers.length : headers.length - 1;
  let text = table(
    headers.slice(0, shown),
    rows.map((r) => r.slice(0, shown)),
  );
  if (items.some((i) => i.stale)) text += '* stale: the agent is disconnected; last known status shown\n';
  return text;
}

export function agentsTable(agents: AgentInfo[], now: number): string {
  if (agents.length === 0) return 'no agents\n';
  const rows = agents.map((a) => [
    a.id,
    a.revoked ? 'revoked' : a.connected ? 'connected' : 'disconnected',
    a.hostname || null,
    a.version || null,
    ago(a.last_seen, now),
    labelList(a.labels) || null,
    labelList(a.reported_labels) || null,
  ]);
  return table(['ID', 'STATUS', 'HOSTNAME', 'VERSION', 'LAST SEEN', 'LABELS', 'REPORTED LABELS'], rows);
}

/** `k=v,k=v` (sorted by key). */
export function labelList(labels: Record<string, string> | undefined | null): string {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function executionsTable(records: ExecutionRecord[], now: number): string {
  if (records.length === 0) return 'no executions\n';
  const rows = records.map((r) => [
    r.id,
    r.kind,
    r.handler || null,
    r.agent || null,
    r.late ? `${r.status} (late)` : r.status, // the agent answered after the master gave up: see `note`
    r.status === 'running' ? null : formatDuration(r.duration_ms),
    ago(r.started_at, now),
    r.issued_by || null,
    (isExecutionFailure(r) ? r.error : r.result) || null,
  ]);
  return table(
    ['ID', 'KIND', 'HANDLER', 'AGENT', 'STATUS', 'DURATION', 'STARTED', 'BY', 'RESULT/ERROR'],
    rows,
  );
}

export function statsText(s: ExecutionStats): string {
  const lines = [
    `executions: ${s.total_executions} in buffer (${s.lifetime_executions} lifetime)`,
    `success: ${s.success_count}  error: ${s.error_count}  success rate: ${percent(s.success_rate)}  avg duration: ${formatDuration(s.avg_duration_ms)}`,
    `buffer: ${s.total_executions}/${s.buffer_size} (${percent(s.buffer_utilization)} used)`,
  ];
  let text = lines.join('\n') + '\n';
  for (const [title, groups] of [
    ['HANDLER', s.by_handler],
    ['AGENT', s.by_agent],
  ] as const) {
    const entries = Object.entries(groups ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) continue;
    text +=
      '\n' +
      table(
        [title, 'TOTAL', 'SUCCESS', 'ERROR', 'RATE', 'AVG'],
        entries.map(([k, g]) => [
          k,
          g.total,
          g.success,
          g.error,
          percent(g.success_rate),
          formatDuration(g.avg_duration_ms),
        ]),
      );
  }
  return text;
}

function hostCells(h: HostMetrics | null) {
  if (!h) return [null, null, null, null];
  const used = h.mem_total_bytes - h.mem_free_bytes;
  return [
    `${h.load1.toFixed(2)} ${h.load5.toFixed(2)} ${h.load15.toFixed(2)}`,
    h.cpus,
    `${formatBytes(used)} / ${formatBytes(h.mem_total_bytes)}`,
    formatBytes(h.agent_rss_bytes),
  ];
}

export function metricsText(m: MetricsResponse): string {
  let text =
    m.instances.length === 0
      ? 'no instances\n'
      : table(
          ['HANDLER', 'AGENT', 'STATE', 'PID', 'CPU', 'MEMORY', 'UPTIME', 'RESTARTS', 'COLD STARTS'],
          m.instances.map(({ agent, metrics: x }) => [
            x?.instance || x?.handler,
            agent,
            x ? `${x.state}${x.temperature ? ` (${x.temperature})` : ''}` : null,
            x?.pid || null,
            x ? `${x.cpu_percent.toFixed(1)}%` : null,
            x ? formatBytes(x.memory_bytes) : null,
            x?.uptime_ms ? formatDuration(x.uptime_ms) : null,
            x?.restarts,
            x?.mode === 'on-demand' ? x.cold_starts : null,
          ]),
        );
  if (m.agents.length > 0)
    text +=
      '\n' +
      table(
        ['AGENT', 'STATUS', 'LOAD', 'CPUS', 'MEMORY USED', 'AGENT RSS'],
        m.agents.map((a) => [a.agent, a.connected ? 'connected' : 'disconnected', ...hostCells(a.host)]),
      );
  const g = m.governor;
  if (g) {
    const temps = Object.entries(g.by_temperature ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    text +=
      `\ngovernor: mode ${g.resource_mode || '-'}, ${g.handlers_configured} handlers, ` +
      `${g.instances_running} running, memory ${formatBytes(g.total_memory_bytes)}` +
      (g.memory_saved_bytes ? `, saved ~${formatBytes(g.memory_saved_bytes)}` : '') +
      (temps ? `\ntemperature: ${temps}` : '') +
      (g.cold_starts_last_hour
        ? `\ncold starts: ${g.cold_starts_last_hour} in the last hour, avg ${formatDuration(g.avg_cold_start_ms)}`
        : '') +
      policiesLine(g) +
      '\n';
  }
  return text;
}

/**
 * `policies: firing=1 armed=2 stale=1; actions 3, dry-run 1, held back 2 by cooldown, 0 by budget` (with a
 * newline before it), or '' when no agent reported a rule or an action.
 */
function policiesLine(g: NonNullable<MetricsResponse['governor']>): string {
  const states = Object.entries(g.policies_by_state ?? {}).filter(([, n]) => n > 0);
  const a = g.policy_actions;
  const acted = a ? a.actions + a.dry_run + a.suppressed_cooldown + a.suppressed_budget : 0;
  if (states.length === 0 && acted === 0) return '';
  const counts = states.map(([k, n]) => `${k}=${n}`).join(' ') || 'no rules';
  return (
    `\npolicies: ${counts}; actions ${a?.actions ?? 0}, dry-run ${a?.dry_run ?? 0}, held back ` +
    `${a?.suppressed_cooldown ?? 0} by cooldown, ${a?.suppressed_budget ?? 0} by budget`
  );
}

// ---------- per-instance outcomes (control, signal, delete) ----------

type Outcome = ControlResponse['outcomes'][number];

/** One outcome in `--json`: the InstanceOutcome plus its TARGET name and the instance's main PID after. */
export function outcomeJson(o: Outcome, res: ControlResponse) {
  const info = res.instances.find(
    (i) => i.agent === o.agent && (i.status?.instance || i.status?.handler) === o.instance,
  );
  return {
    handler: o.handler,
    agent: o.agent,
    instance: o.instance,
    key: o.instance ? instanceName(o.instance, o.agent) : o.handler,
    ok: o.ok,
    error: orNull(o.error),
    execution_id: orNull(o.execution_id),
    state: info?.status?.state || null,
    pid: info?.status?.pid || null,
  };
}

/** The outcomes of a response as `--json` prints them, in `gov ps` order. */
export function outcomesJson(res: ControlResponse) {
  return res.outcomes
    .map((o) => ({ ...outcomeJson(o, res), index: parseIndex(o.instance) }))
    .sort(byHandlerAgentIndex)
    .map(({ index: _index, ...o }) => o);
}

function parseIndex(key: string): number {
  const hash = key.lastIndexOf('#');
  return hash < 0 ? 0 : Number(key.slice(hash + 1)) || 0;
}

/**
 * One line per targeted instance: `web@edge-1: running, pid 123` (or `ok` words of `done`), and for a
 * failed one `web@edge-1: failed: why (execution ID)`. An older master answering no outcomes: its
 * executions, one line each.
 */
export function outcomeLines(
  res: ControlResponse,
  done: (o: ReturnType<typeof outcomeJson>) => string = stateAndPid,
): string {
  if (res.outcomes.length === 0) return res.executions.map((r) => `${describeExecution(r)}\n`).join('');
  return outcomesJson(res)
    .map((o) =>
      o.ok
        ? `${o.key}: ${done(o)}\n`
        : `${o.key}: failed: ${o.error ?? 'no error message'}${o.execution_id ? ` (execution ${o.execution_id})` : ''}\n`,
    )
    .join('');
}

function stateAndPid(o: ReturnType<typeof outcomeJson>): string {
  return `${o.state ?? 'unknown'}, ${o.pid ? `pid ${o.pid}` : 'no process'}`;
}

/** Prints each failed instance (or failed execution, for an older master) to stderr; true when any failed. */
export function reportOutcomeFailures(io: CliIO, action: string, res: ControlResponse): boolean {
  if (res.outcomes.length === 0) return reportFailures(io, res.executions);
  const failed = outcomesJson(res).filter((o) => !o.ok);
  for (const o of failed) io.err(`error: ${action} ${o.key}: ${o.error ?? 'no error message'}\n`);
  return failed.length > 0;
}
