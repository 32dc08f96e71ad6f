/** Test doubles for the CLI: a capturing io, a recording fake AdminApi, and sample responses. */
import type { MasterInfo__Output } from '../../proto/generated/governor/v1/MasterInfo.js';
import type {
  AdminApi,
  AgentInfo,
  ControlResponse,
  ReadFilter,
  SignalOptions,
  Targets,
  ExecutionRecord,
  ExecutionStats,
  InstanceInfo,
  ListPoliciesResponse,
  MetricsResponse,
  PolicyRuleState,
  Rollout,
  WatchEvent,
  WatchRequest,
  WatchStream,
  ExecChannel,
} from '../../master/cli/admin-client.js';
import type { ExecClientFrame } from '../../proto/generated/governor/v1/ExecClientFrame.js';
import type { ExecServerFrame__Output } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import { GovError } from '../../shared/errors.js';
import type { AdminConnection, AdminConnector } from '../../master/cli/connect.js';
import type { CliIO } from '../../shared/cli-io.js';
import { main } from '../../master/cli/gov-program.js';
import type { TargetSet } from '../../shared/targets.js';

export interface CapturedIO extends CliIO {
  stdout: string;
  stderr: string;
}

export function captureIO(
  opts: { env?: Record<string, string>; cwd?: string; interrupted?: Promise<void> } = {},
) {
  const io: CapturedIO = {
    stdout: '',
    stderr: '',
    out(t) {
      io.stdout += t;
    },
    err(t) {
      io.stderr += t;
    },
    env: opts.env ?? {},
    cwd: opts.cwd ?? '/nonexistent-cwd',
    isTTY: false,
  };
  if (opts.interrupted) io.interrupted = opts.interrupted;
  return io;
}

export const NOW = Date.parse('2025-01-01T12:00:00.000Z');

export function execution(over: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    id: 'ex-1',
    kind: 'restart',
    handler: 'web',
    agent: 'edge-1',
    issued_by: 'admin',
    rollout_id: '',
    started_at: '2025-01-01T11:59:58.000Z',
    completed_at: '2025-01-01T11:59:58.120Z',
    duration_ms: 120,
    status: 'success',
    result: 'pid 4321',
    error: '',
    attempt: 1,
    max_attempts: 1,
    params_summary: '',
    late: false,
    note: '',
    unanswered: false,
    ...over,
  };
}

export function instance(
  over: { agent?: string; stale?: boolean; pid?: number; state?: string } = {},
): InstanceInfo {
  const pid = over.pid ?? 4321;
  return {
    agent: over.agent ?? 'edge-1',
    stale: over.stale ?? false,
    reported_at: '2025-01-01T11:59:59.000Z',
    status: {
      handler: 'web',
      shim_pid: 0,
      state: over.state ?? 'running',
      pid,
      pgid: pid,
      restarts: 2,
      mode: 'always-on',
      temperature: '',
      notify_status: '',
      idle_ms: 0,
      cools_in_ms: 0,
      busy_reason: '',
      lease_until: '',
      last_exit: { code: 1, signal: '', at: '2025-01-01T11:58:00.000Z' },
      started_at: '2025-01-01T11:55:00.000Z',
      spec_hash: 'abc123',
      health: 'healthy',
      health_reason: '',
      events: [],
      index: 0,
      instance: '',
      observed: false,
    },
  };
}

export function master(over: Partial<MasterInfo__Output> = {}): MasterInfo__Output {
  return {
    id: 'm-1',
    address: '10.0.0.1:7070',
    leader: false,
    leader_since: '',
    lease_ttl_ms: 5000,
    lease_age_ms: 0,
    version: '0.1.0',
    ...over,
  };
}

export function agent(over: Partial<AgentInfo> = {}): AgentInfo {
  return {
    id: 'edge-1',
    connected: true,
    hostname: 'edge-1.local',
    labels: { region: 'west' },
    reported_labels: { rack: 'r1' },
    tracking: 'cgroup',
    version: '0.1.0',
    last_seen: '2025-01-01T11:59:59.000Z',
    revoked: false,
    host: null,
    ...over,
  };
}

export const STATS: ExecutionStats = {
  total_executions: 4,
  lifetime_executions: 10,
  success_count: 3,
  error_count: 1,
  success_rate: 0.75,
  avg_duration_ms: 200,
  by_handler: { web: { total: 4, success: 3, error: 1, success_rate: 0.75, avg_duration_ms: 200 } },
  by_agent: { 'edge-1': { total: 4, success: 3, error: 1, success_rate: 0.75, avg_duration_ms: 200 } },
  buffer_size: 1000,
  buffer_utilization: 0.004,
};

export const METRICS: MetricsResponse = {
  instances: [
    {
      agent: 'edge-1',
      metrics: {
        handler: 'web',
        pid: 4321,
        cpu_percent: 12.5,
        memory_bytes: 50 * 1024 * 1024,
        uptime_ms: 300_000,
        restarts: 2,
        state: 'running',
        last_exit: null,
        mode: 'always-on',
        temperature: '',
        cold_starts: 0,
        cpu_seconds: 3.5,
        last_cold_start_ms: 0,
        last_hot_memory_bytes: 0,
        recent_cold_starts_ms: [],
        index: 0,
        instance: '',
      },
    },
  ],
  agents: [
    {
      agent: 'edge-1',
      connected: true,
      host: {
        load1: 0.5,
        load5: 0.4,
        load15: 0.3,
        mem_total_bytes: 8 * 1024 ** 3,
        mem_free_bytes: 4 * 1024 ** 3,
        cpus: 4,
        agent_rss_bytes: 40 * 1024 ** 2,
        notify_ignored: 0,
      },
    },
  ],
  governor: {
    resource_mode: 'always-on',
    handlers_configured: 1,
    instances_running: 1,
    by_temperature: {},
    total_memory_bytes: 50 * 1024 * 1024,
    memory_saved_bytes: 0,
    avg_cold_start_ms: 0,
    cold_starts_last_hour: 0,
    policies_by_state: {},
    policy_actions: { actions: 0, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 0 },
  },
};

/** One rule's state as an agent reports it (`leak` on web, firing on rss, unless told). */
export function ruleState(over: Partial<PolicyRuleState> = {}): PolicyRuleState {
  return {
    rule: 'leak',
    handler: 'web',
    instance: 'web',
    metric: 'rss',
    state: 'firing',
    raw: 440 * 1024 * 1024,
    value: 412 * 1024 * 1024,
    forecast: 0,
    has_forecast: false,
    action: 'restart',
    dry_run: false,
    last_action: 'restart',
    last_action_at: '2025-01-01T11:57:00.000Z',
    last_execution_id: 'ex-7',
    unavailable: '',
    ...over,
  };
}

/**
 * Policies as `gov policies` gets them: edge-1 connected (web's leak firing, web#1's runaway armed with a
 * forecast, the agent-wide memory-pressure rule), edge-2 disconnected (its last report, at 11:50).
 */
export const POLICIES: ListPoliciesResponse = {
  agents: [
    {
      agent: 'edge-1',
      connected: true,
      reported_at: '2025-01-01T11:59:59.000Z',
      rules: [
        ruleState(),
        ruleState({
          rule: 'runaway',
          instance: 'web#1',
          metric: 'cpu',
          state: 'armed',
          raw: 0.5,
          value: 0.42,
          forecast: 0.61,
          has_forecast: true,
          action: 'limit_cpu 50%',
          last_action: '',
          last_action_at: '',
          last_execution_id: '',
        }),
        ruleState({
          rule: 'memory-pressure',
          handler: '',
          instance: '',
          metric: 'host.memory.pressure.some',
          state: 'armed',
          raw: 0.5,
          value: 0.25,
          action: 'cool on-demand',
          dry_run: true,
          last_action: '',
          last_action_at: '',
          last_execution_id: '',
        }),
      ],
      counters: { actions: 3, dry_run: 1, suppressed_cooldown: 2, suppressed_budget: 0 },
    },
    {
      agent: 'edge-2',
      connected: false,
      reported_at: '2025-01-01T11:50:00.000Z',
      rules: [ruleState({ state: 'cooling-down', value: 100 * 1024 * 1024, raw: 100 * 1024 * 1024 })],
      counters: { actions: 1, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 0 },
    },
  ],
};

export function rollout(over: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro-1',
    handler: 'web',
    handlers: [{ name: 'web', from_version: 1, to_version: 1, rollback_version: 0 }],
    kind: 'restart',
    state: 'succeeded',
    from_version: 1,
    to_version: 1,
    batch_size: '1',
    min_healthy_time_ms: 100,
    healthy_deadline_ms: 10_000,
    progress_deadline_ms: 60_000,
    on_failure: 'pause',
    wait_between_ms: 0,
    batches: [{ index: 0, state: 'done', started_at: '', done_at: '', instances: ['edge-1/web'] }],
    instances: [
      {
        handler: 'web',
        agent: 'edge-1',
        instance: 'web',
        batch: 0,
        state: 'healthy',
        old_pid: 4321,
        new_pid: 5555,
        reason: '',
        started_at: '2025-01-01T11:59:58.000Z',
        done_at: '2025-01-01T11:59:59.000Z',
      },
    ],
    current_batch: 1,
    created_at: '2025-01-01T11:59:58.000Z',
    updated_at: '2025-01-01T11:59:59.000Z',
    completed_at: '2025-01-01T11:59:59.000Z',
    error: '',
    issued_by: 'admin',
    rollback_version: 0,
    ...over,
  };
}

/** A WatchEvent as the master sends it (kind instance of web@edge-1 unless told). */
export function watchEvent(over: Partial<WatchEvent> = {}): WatchEvent {
  return {
    index: 1,
    kind: 'instance',
    at: '2025-01-01T12:00:01.123Z',
    handler: 'web',
    agent: 'edge-1',
    epoch: 'e1',
    ...over,
  };
}

/**
 * An instance change event: `web#1@edge-1` (or `key`) now in `state` with `pid`, was `previous`. `removed`:
 * the instance is gone.
 */
export function instanceEvent(
  o: {
    index?: number;
    key?: string;
    agent?: string;
    state?: string;
    pid?: number;
    previous?: string;
    previousPid?: number;
    removed?: boolean;
    health?: string;
    kind?: string;
  } = {},
): WatchEvent {
  const key = o.key ?? 'web#1';
  const agentId = o.agent ?? 'edge-1';
  const handler = key.split('#')[0]!;
  const base = instance({ agent: agentId, pid: o.pid ?? 4321, state: o.state ?? 'running' });
  const info = {
    ...base,
    status: {
      ...base.status!,
      handler,
      instance: key,
      index: Number(key.split('#')[1] ?? 0),
      health: o.health ?? 'healthy',
    },
  };
  return watchEvent({
    index: o.index ?? 1,
    kind: o.kind ?? 'instance',
    handler,
    agent: agentId,
    body: 'instance',
    instance: {
      instance: o.removed ? null : info,
      key,
      previous_state: o.previous ?? '',
      previous_health: '',
      previous_pid: o.previousPid ?? 0,
      previous_temperature: '',
      removed: o.removed ?? false,
    },
  });
}

/** One instance's outcome in a control answer (web@edge-1, ok, execution ex-1). */
export function outcome(
  over: Partial<ControlResponse['outcomes'][number]> = {},
): ControlResponse['outcomes'][number] {
  return {
    handler: 'web',
    agent: 'edge-1',
    instance: 'web',
    ok: true,
    error: '',
    execution_id: 'ex-1',
    ...over,
  };
}

/** A target set as the CLI sends it. */
export function targetSet(over: Partial<TargetSet> = {}): TargetSet {
  return { names: [], all: false, selector: {}, agents: [], ...over };
}

/** An observed process as `gov ps` lists it. */
export function observedInstance(agentId: string, pid: number, name: string): InstanceInfo {
  const base = instance({ agent: agentId, pid });
  return {
    ...base,
    status: { ...base.status!, handler: name, instance: name, mode: 'observed', observed: true },
  };
}

/** A fake AdminApi recording `[method, ...args]`; override any method's answer. */
export class FakeAdmin implements AdminApi {
  calls: unknown[][] = [];
  connections: AdminConnection[] = [];
  closed = 0;
  logs: string[][] = [];

  constructor(private readonly over: Partial<AdminApi> = {}) {}

  /** The connector to hand to a command factory. */
  readonly connect: AdminConnector = async (conn) => {
    this.connections.push(conn);
    return this;
  };

  private rec<T>(name: keyof AdminApi, args: unknown[], dflt: () => T): Promise<T> {
    this.calls.push([name, ...args]);
    const fn = this.over[name] as ((...a: unknown[]) => Promise<T>) | undefined;
    return fn ? fn(...args) : Promise.resolve(dflt());
  }

  apply(yaml: string, fileName: string) {
    return this.rec('apply', [yaml, fileName], () => ({
      handlers: [{ name: 'web', version: 1, change: 'created', agents: ['edge-1'] }],
      executions: [execution({ kind: 'apply' })],
      rollouts: [],
    }));
  }
  deleteHandler(targets: Targets) {
    return this.rec('deleteHandler', [targets], () => ({
      executions: [execution({ kind: 'delete' })],
      instances: [],
      outcomes: [outcome({ execution_id: 'ex-1' })],
    }));
  }
  listAgents() {
    return this.rec('listAgents', [], () => ({
      agents: [agent(), agent({ id: 'edge-2', connected: false })],
    }));
  }
  listMasters() {
    return this.rec('listMasters', [], () => ({
      store: 'etcd',
      answered_by: 'm-2',
      masters: [
        master({
          id: 'm-1',
          address: '10.0.0.1:7070',
          leader: true,
          leader_since: '2026-01-01T00:00:00.000Z',
          lease_age_ms: 1200,
        }),
        master({ id: 'm-2', address: '10.0.0.2:7070', lease_age_ms: 800 }),
      ],
    }));
  }
  revokeAgent(id: string, opts: { unseen?: boolean } = {}) {
    const args = opts.unseen ? [id, opts] : [id];
    return this.rec('revokeAgent', args, () => agent({ id, revoked: true, connected: false }));
  }

  unrevokeAgent(id: string) {
    return this.rec('unrevokeAgent', [id], () => agent({ id, revoked: false, connected: false }));
  }
  labelAgent(id: string, set: Record<string, string>, remove: string[]) {
    return this.rec('labelAgent', [id, set, remove], () => {
      const labels: Record<string, string> = { region: 'west', ...set };
      for (const k of remove) delete labels[k];
      return agent({ id, labels });
    });
  }
  listInstances(filter?: ReadFilter) {
    return this.rec('listInstances', [filter], () => ({
      instances: [instance(), instance({ agent: 'edge-2', stale: true, pid: 0, state: 'stopped' })],
    }));
  }
  control(action: string, targets: Targets, agentId?: string, signal?: SignalOptions) {
    const args = signal ? [action, targets, agentId, signal] : [action, targets, agentId];
    return this.rec('control', args, () => ({
      executions: [execution({ kind: action })],
      instances: [instance({ pid: 5555 })],
      outcomes: [outcome()],
    }));
  }
  attach(agentId: string, pid: number, name: string) {
    return this.rec('attach', [agentId, pid, name], () => ({
      executions: [execution({ kind: 'attach', handler: name, agent: agentId })],
      instances: [observedInstance(agentId, pid, name)],
      outcomes: [],
    }));
  }
  detach(agentId: string, name: string) {
    return this.rec('detach', [agentId, name], () => ({
      executions: [execution({ kind: 'detach', handler: name, agent: agentId })],
      instances: [],
      outcomes: [],
    }));
  }
  getMetrics(filter?: ReadFilter) {
    return this.rec('getMetrics', [filter], () => METRICS);
  }
  listExecutions(query?: unknown) {
    return this.rec('listExecutions', [query], () => ({
      count: 2,
      records: [
        execution(),
        execution({ id: 'ex-0', status: 'error', error: 'agent edge-1 is disconnected' }),
      ],
    }));
  }
  getStats() {
    return this.rec('getStats', [], () => STATS);
  }
  clearExecutions() {
    return this.rec('clearExecutions', [], () => ({ cleared: 4 }));
  }
  tailLogs(req: {
    targets?: TargetSet;
    handler?: string;
    agent?: string;
    tail?: number;
    stream?: string;
    instance?: string;
  }) {
    // Each call answers the next snapshot; the last one repeats.
    const next = () => (this.logs.length > 1 ? this.logs.shift() : this.logs[0]) ?? ['line 1', 'line 2'];
    return this.rec('tailLogs', [req], () => ({ lines: next(), handler: '', agent: '', instance: '' }));
  }
  startRollout(req: { handler: string }) {
    return this.rec('startRollout', [req], () => rollout({ state: 'running' }));
  }
  getRollout(id: string) {
    return this.rec('getRollout', [id], () => rollout({ id }));
  }
  listRollouts(handler?: string) {
    return this.rec('listRollouts', [handler], () => ({ rollouts: [rollout()] }));
  }
  pauseRollout(id: string) {
    return this.rec('pauseRollout', [id], () => rollout({ id, state: 'paused' }));
  }
  resumeRollout(id: string) {
    return this.rec('resumeRollout', [id], () => rollout({ id, state: 'running' }));
  }
  abortRollout(id: string) {
    return this.rec('abortRollout', [id], () => rollout({ id, state: 'aborted' }));
  }
  /** Events `watch` hands out, in order; then a watch without `follow` ends, one with it stays open. */
  watchEvents: WatchEvent[] = [];
  /** The watches open now (follow), to push live events to or end (`pushWatch`, `endWatches`). */
  private openWatches = new Set<{ onEvent: (e: WatchEvent) => void; fail: (err: Error) => void }>();
  /** Frames `exec` hands out once it got the start frame; then the call ends (or fails with `execError`). */
  execFrames: ExecServerFrame__Output[] = [];
  execError: GovError | null = null;
  /** Every frame the CLI wrote on its exec call. */
  execWritten: ExecClientFrame[] = [];
  exec(onFrame: (f: ExecServerFrame__Output) => void): ExecChannel {
    this.calls.push(['exec']);
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => ((finish = res), (fail = rej)));
    return {
      write: (frame) => {
        this.execWritten.push(frame);
        if (frame.start)
          setImmediate(() => {
            for (const f of this.execFrames) onFrame(f);
            if (this.execError) fail(this.execError);
            else finish();
          });
        return true;
      },
      onDrain: () => {},
      pause: () => {},
      resume: () => {},
      cancel: () => fail(new GovError('UNAVAILABLE', 'cancelled')),
      done,
    };
  }

  watch(req: WatchRequest, onEvent: (e: WatchEvent) => void): WatchStream {
    this.calls.push(['watch', req]);
    let cancel!: () => void;
    const done = new Promise<void>((resolve, reject) => {
      const open = { onEvent, fail: reject };
      cancel = () => {
        this.openWatches.delete(open);
        resolve();
      };
      queueMicrotask(() => {
        for (const e of this.watchEvents) onEvent(e);
        if (!req.follow) resolve();
        else this.openWatches.add(open);
      });
    });
    return { done, cancel };
  }
  /** Hands `e` to every open watch (a live event). */
  pushWatch(e: WatchEvent): void {
    for (const w of this.openWatches) w.onEvent(e);
  }
  /** Ends every open watch with `err` (a lost connection: GovError UNAVAILABLE). */
  failWatches(err: Error): void {
    for (const w of this.openWatches) w.fail(err);
    this.openWatches.clear();
  }
  /** How many watches are open now. */
  get openWatchCount(): number {
    return this.openWatches.size;
  }
  getMetricsHistory(targets?: TargetSet) {
    return this.rec('getMetricsHistory', [targets], () => ({
      interval_ms: 5000,
      window_ms: 900_000,
      instances: [],
    }));
  }
  listPolicies(targets?: TargetSet, agentWide?: boolean) {
    return this.rec('listPolicies', [targets, agentWide], () => POLICIES);
  }
  close() {
    this.closed++;
  }
}

/** Runs `gov argv` against `fake`, capturing its output: `{code, io, fake}`. */
export async function runGov(
  argv: string[],
  fake = new FakeAdmin(),
  ioOpts: Parameters<typeof captureIO>[0] = {},
): Promise<{ code: number; io: CapturedIO; fake: FakeAdmin }> {
  const io = captureIO(ioOpts);
  const code = await main(argv, io, { connect: fake.connect });
  return { code, io, fake };
}
