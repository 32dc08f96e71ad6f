/**
 * What `gov top` shows, as data: the agents, instances and last executions built from `Admin.Watch`
 * events (a snapshot replaces the state, changes are applied in order, metrics samples and the first
 * GetMetrics fill CPU and memory, the first ListExecutions the executions), and its rendering to the lines of a terminal of a given width and
 * height (instances sorted by CPU, memory or name; every line cut to the width; sections shortened to
 * the height, with `… N more`). No terminal here: top.ts draws these lines. Pure apart from its state.
 */
import { table } from '../../shared/cli-io.js';
import { formatBytes } from '../../shared/durations.js';
import type { HostMetrics__Output as HostMetrics } from '../../proto/generated/governor/v1/HostMetrics.js';
import type { InstanceMetrics__Output as InstanceMetrics } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type {
  AgentInfo,
  ExecutionRecord,
  InstanceInfo,
  MetricsResponse,
  WatchEvent,
} from './admin-client.js';
import { flat } from '../../shared/cli-io.js';
import { eventTime, executionSummary } from './event-line.js';
import { byHandlerAgentIndex } from './format.js';

export type SortKey = 'cpu' | 'mem' | 'name';
export const SORT_KEYS: readonly SortKey[] = ['cpu', 'mem', 'name'];

/** Executions kept for the list (more than any terminal shows). */
export const MAX_EXECUTIONS = 100;

export interface AgentRow {
  id: string;
  connected: boolean;
  host: HostMetrics | null;
}

export interface InstanceRow {
  agent: string;
  handler: string;
  /** Instance key on the agent (`web`, `web#1`). */
  key: string;
  index: number;
  state: string;
  health: string;
  temperature: string;
  pid: number;
  restarts: number;
  stale: boolean;
  /** From the last metrics sample (null: none yet). */
  cpu: number | null;
  rss: number | null;
}

export interface RenderOptions {
  width: number;
  height: number;
  sort: SortKey;
  /** Epoch ms (the header's clock). */
  now: number;
  /** The master's address, for the header. */
  master: string;
}

const id = (agent: string, key: string) => `${key}@${agent}`;

export class TopView {
  readonly agents = new Map<string, AgentRow>();
  readonly instances = new Map<string, InstanceRow>();
  /** Newest first. */
  executions: ExecutionRecord[] = [];
  /** Shown under the header while set: the connection (`reconnecting…`), then the last notice with its time. */
  connection = '';
  status = '';
  /** Snapshot parts received so far (a snapshot replaces the state once its last part came). */
  private pending: { agents: AgentInfo[]; instances: InstanceInfo[] } | null = null;

  /** The first figures, from GetMetrics (before the watch's snapshot and samples). */
  applyMetrics(res: MetricsResponse): void {
    for (const a of res.agents)
      this.agents.set(a.agent, { id: a.agent, connected: a.connected, host: a.host });
    for (const { agent, metrics } of res.instances) if (metrics) this.applyInstanceMetrics(agent, metrics);
  }

  /** The executions the log held before the watch began (any order). */
  applyExecutions(records: readonly ExecutionRecord[]): void {
    for (const r of records) this.applyExecution(r);
  }

  /** One event, in the order received. */
  apply(e: WatchEvent): void {
    if (e.kind === 'instance' || e.kind === 'health') {
      const c = e.instance;
      if (!c) return;
      if (c.removed || !c.instance) this.instances.delete(id(e.agent, c.key));
      else this.upsertInstance(c.instance);
    } else if (e.kind === 'agent' && e.agent_info) {
      const a = e.agent_info;
      const before = this.agents.get(a.id);
      this.agents.set(a.id, { id: a.id, connected: a.connected, host: a.host ?? before?.host ?? null });
    } else if (e.kind === 'execution' && e.execution) {
      this.applyExecution(e.execution);
    } else if (e.kind === 'metrics' && e.metrics) {
      const row = this.agents.get(e.agent);
      if (e.metrics.host)
        this.agents.set(e.agent, { id: e.agent, connected: row?.connected ?? true, host: e.metrics.host });
      for (const m of e.metrics.instances) this.applyInstanceMetrics(e.agent, m);
    } else if (e.kind === 'snapshot' && e.snapshot) {
      const p = (this.pending ??= { agents: [], instances: [] });
      p.agents.push(...e.snapshot.agents);
      p.instances.push(...e.snapshot.instances);
      if (!e.snapshot.more) this.replace(p);
    } else if (e.kind === 'notice' && e.notice) {
      this.status = flat(`${eventTime(e.at)} ${e.notice.reason}: ${e.notice.message}`);
    }
  }

  /** Forgets the parts of a snapshot cut short (the watch was lost; watch-follow.ts asks for a whole one). */
  dropPartialSnapshot(): void {
    this.pending = null;
  }

  /** Instances in the order of `sort` (CPU and memory: highest first; ties and `name`: as `gov ps`). */
  sorted(sort: SortKey): InstanceRow[] {
    const rows = [...this.instances.values()];
    const value = (r: InstanceRow) => (sort === 'cpu' ? r.cpu : r.rss) ?? -1;
    return rows.sort((a, b) => (sort === 'name' ? 0 : value(b) - value(a)) || byHandlerAgentIndex(a, b));
  }

  /** The screen: at most `height` lines, none longer than `width`. */
  render(o: RenderOptions): string[] {
    if (o.height < 1 || o.width < 1) return [];
    const agents = [...this.agents.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const connected = agents.filter((a) => a.connected).length;
    const head = [
      `gov top  ${new Date(o.now).toISOString().slice(11, 19)} UTC  master ${o.master}  ` +
        `agents ${connected}/${agents.length} connected  sort ${o.sort}  (keys: c m n sort, q quits)`,
    ];
    if (this.connection) head.push(this.connection);
    if (this.status) head.push(this.status);
    // Three section headings and the blank line above each section.
    const avail = Math.max(0, o.height - head.length - 6);
    const nE = this.executions.length;
    const agentRows = Math.min(Math.max(agents.length, 1), Math.max(1, Math.floor(avail / 4)));
    const instances = this.sorted(o.sort);
    const execReserve = Math.min(nE, Math.max(1, Math.floor(avail / 5)));
    const instRows = Math.min(Math.max(instances.length, 1), Math.max(1, avail - agentRows - execReserve));
    const execRows = Math.max(0, avail - agentRows - instRows);

    const agentLines = section(
      ['AGENT', 'CONNECTED', 'LOAD1', 'MEMORY'],
      agents,
      agentRows,
      'no agents',
      (a) => [
        a.id,
        a.connected ? 'yes' : 'no',
        a.host ? a.host.load1.toFixed(2) : null,
        a.host
          ? `${formatBytes(a.host.mem_total_bytes - a.host.mem_free_bytes)} / ${formatBytes(a.host.mem_total_bytes)}`
          : null,
      ],
    );
    const instLines = section(
      ['INSTANCE', 'STATE', 'HEALTH', 'TEMP', 'CPU%', 'RSS', 'RESTARTS', 'PID'],
      instances,
      instRows,
      'no instances',
      (i) => [
        id(i.agent, i.key),
        `${i.state}${i.stale ? '*' : ''}`,
        i.health || null,
        i.temperature || null,
        i.cpu === null ? null : i.cpu.toFixed(1),
        i.rss === null ? null : formatBytes(i.rss),
        i.restarts,
        i.pid || null,
      ],
    );
    const lines = [
      ...head,
      '',
      ...agentLines,
      '',
      ...instLines,
      '',
      'LAST EXECUTIONS',
      ...shorten(this.executions, execRows, (r) => `${eventTime(r.started_at)}  ${executionSummary(r)}`),
    ];
    // Every line flat: names, states, health and temperature are the agents' own text (terminal escapes).
    return lines.slice(0, o.height).map((l) => cut(flat(l), o.width));
  }

  private replace(p: { agents: AgentInfo[]; instances: InstanceInfo[] }): void {
    this.pending = null;
    const before = new Map(this.instances);
    const hosts = new Map([...this.agents].map(([k, a]) => [k, a.host]));
    this.agents.clear();
    this.instances.clear();
    for (const a of p.agents)
      this.agents.set(a.id, { id: a.id, connected: a.connected, host: a.host ?? hosts.get(a.id) ?? null });
    for (const info of p.instances) {
      const row = this.upsertInstance(info);
      const old = before.get(id(row.agent, row.key));
      if (old) {
        row.cpu = old.cpu;
        row.rss = old.rss;
      }
    }
  }

  private upsertInstance(info: InstanceInfo): InstanceRow {
    const s = info.status;
    const key = s?.instance || s?.handler || '';
    const old = this.instances.get(id(info.agent, key));
    const row: InstanceRow = {
      agent: info.agent,
      handler: s?.handler ?? '',
      key,
      index: s?.index ?? 0,
      state: s?.state ?? 'unknown',
      health: s?.health ?? '',
      temperature: s?.temperature ?? '',
      pid: s?.pid ?? 0,
      restarts: s?.restarts ?? 0,
      stale: info.stale,
      cpu: old?.cpu ?? null,
      rss: old?.rss ?? null,
    };
    this.instances.set(id(row.agent, key), row);
    return row;
  }

  private applyInstanceMetrics(agent: string, m: InstanceMetrics): void {
    const key = m.instance || m.handler;
    const row = this.instances.get(id(agent, key)) ?? {
      agent,
      handler: m.handler,
      key,
      index: m.index,
      state: m.state,
      health: '',
      temperature: m.temperature,
      pid: m.pid,
      restarts: m.restarts,
      stale: false,
      cpu: null,
      rss: null,
    };
    row.cpu = m.cpu_percent;
    row.rss = m.memory_bytes;
    this.instances.set(id(agent, key), row);
  }

  private applyExecution(r: ExecutionRecord): void {
    const list = this.executions.filter((x) => x.id !== r.id);
    list.push(r);
    // Newest first by start time (a record updated when it finishes keeps its place).
    list.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
    this.executions = list.slice(0, MAX_EXECUTIONS);
  }
}

/**
 * A table (heading + rows) of at most `rows` rows, `… N more` in the last one when cut. Only the rows
 * shown are formatted (a fleet has thousands; a terminal shows dozens), so the columns fit those.
 */
function section<T>(
  headers: string[],
  items: readonly T[],
  rows: number,
  empty: string,
  cells: (item: T) => Array<string | number | null>,
): string[] {
  if (items.length === 0) return [headers.join('  '), empty];
  const cutAt = items.length <= rows ? items.length : Math.max(0, rows - 1);
  const lines = table(headers, items.slice(0, cutAt).map(cells)).trimEnd().split('\n');
  return cutAt < items.length ? [...lines, `… ${items.length - cutAt} more`] : lines;
}

/** At most `rows` lines of `items`, `… N more` in the last one when cut. */
function shorten<T>(items: readonly T[], rows: number, line: (item: T) => string): string[] {
  if (items.length <= rows) return items.map(line);
  if (rows <= 0) return [];
  return [...items.slice(0, rows - 1).map(line), `… ${items.length - rows + 1} more`];
}

/** A line no wider than `width` (`…` marks a cut). */
export function cut(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}
