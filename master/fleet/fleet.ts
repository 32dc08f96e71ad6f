/**
 * The master's view of its agents: accepts agent streams (hello → registry, inventory, spec push),
 * keeps their pushed status/metrics, and sends them commands through the dispatcher.
 */
import { commandWaitMs } from '../../shared/handler-waits.js';
import { EventEmitter } from 'node:events';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import type { AgentInfo } from '../../proto/generated/governor/v1/AgentInfo.js';
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { MetricsReport__Output } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { MetricsResponse } from '../../proto/generated/governor/v1/MetricsResponse.js';
import type { InstanceStatus__Output } from '../../proto/generated/governor/v1/InstanceStatus.js';
import { StateError, ValidationError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { errorFromInfo } from '../../shared/grpc-status.js';
import { assignedSpecsHash } from '../../shared/spec-hash.js';
import { adoptReported } from './adopt.js';
import {
  AGENT_LIMITS,
  DropCounter,
  TokenBucket,
  boundHostMetrics,
  boundInstanceMetrics,
} from './agent-input.js';
import { PolicyBook, assignedSubjects } from './agent-policies.js';
import { policyTelemetry, type PolicyReportView } from './policy-telemetry.js';
import type { PolicyReport__Output } from '../../proto/generated/governor/v1/PolicyReport.js';
import type { PolicyTransition } from '../../proto/generated/governor/v1/PolicyTransition.js';
import { AgentSession, type StreamStatus } from './agent-session.js';
import { recordLocalExecution } from './local-executions.js';
import { Dispatcher, type DispatchOutcome, type DispatchRequest } from './dispatcher.js';
import type { ExecutionLog } from '../state/execution-log.js';
import type { Registry } from '../state/registry.js';
import { SessionHub } from './session-hub.js';
import { ExecRouter } from '../exec/exec-router.js';
import { commandFor } from './wire.js';
import { fleetTelemetry } from '../../shared/fleet-telemetry.js';
import type { MasterOptions } from '../options.js';

/** Which metrics `Fleet.metrics` gathers: these agents only (unset: all), these instances only (unset: all). */
export interface MetricsFilter {
  agents?: readonly string[];
  /** Keeps an instance by handler, instance key on the agent (`web#1`, or the handler) and agent. */
  keep?: (handler: string, key: string, agent: string) => boolean;
}

/**
 * What the fleet tells its listeners (the watch stream, metrics history, Prometheus): `metrics` with each
 * agent's metrics report as kept (pushed every metrics interval, or answered to a GetMetrics).
 */
export interface FleetEvents {
  metrics: [agentId: string, report: MetricsReport__Output];
  /** A rule changed state on an agent (from its policy reports, bounded: agent-policies.ts). */
  policy: [agentId: string, transition: PolicyTransition];
}

export class Fleet {
  readonly hub = new SessionHub();
  /** See FleetEvents. */
  readonly changes = new EventEmitter<FleetEvents>();
  readonly dispatcher: Dispatcher;
  /** Open exec sessions (master/exec), fed the exec frames of every agent stream. */
  readonly execRouter = new ExecRouter();
  private readonly metricsCache = new Map<string, MetricsReport__Output>();
  /** Per agent id (not per stream: reconnecting does not refill it): status reports it may still send. */
  private readonly statusBuckets = new Map<string, TokenBucket>();
  private readonly drops = new DropCounter();
  private readonly policyDrops: DropCounter;
  /** Each agent's last resource policy report (agent-policies.ts). */
  readonly policies: PolicyBook;
  private readonly log: Logger;
  /** Handlers under a rolling update (set by the rollout engine): APPLY leaves their instances' specs alone. */
  heldHandlers: () => string[] = () => [];
  /** Instance keys on `agent` a rolling update starts in its batch (set by the rollout engine): APPLY defers them. */
  deferredInstances: (agent: string) => string[] = () => [];

  /**
   * Whether instance `key` on `agent` is one of the deferred replicas, for commands on running instances
   * (ResolveOptions.heldBack); each agent's list is read once per test made.
   */
  heldBackTest(): (agent: string, key: string) => boolean {
    const lists = new Map<string, ReadonlySet<string>>();
    return (agent, key) => {
      let keys = lists.get(agent);
      if (!keys) lists.set(agent, (keys = new Set(this.deferredInstances(agent))));
      return keys.has(key);
    };
  }
  /** The adoption of the last hello (adoptions run one after another). */
  private adopting: Promise<unknown> = Promise.resolve();
  /** Streams whose hello is not through yet (closed with the others by `close`). */
  private readonly opening = new Set<AgentSession>();
  /** Set by `close`: streams still arriving are ended so, and none is added any more. */
  private closedWith: { reason: string; status?: StreamStatus } | null = null;

  constructor(
    readonly registry: Registry,
    readonly executions: ExecutionLog,
    private readonly opts: Pick<
      MasterOptions,
      'heartbeatIntervalMs' | 'heartbeatGraceMs' | 'metricsIntervalMs' | 'commandTimeoutMs'
    >,
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.log = logger.named('fleet');
    this.policies = new PolicyBook(now);
    this.policyDrops = new DropCounter(10_000, now);
    this.dispatcher = new Dispatcher(
      this.hub,
      executions,
      opts.commandTimeoutMs,
      (a) => registry.getAgent(a)?.last_seen,
      this.log,
    );
  }

  /** Handles one agent stream for its whole life. `agentId` is the CN of the peer certificate. */
  accept(call: ServerDuplexStream<AgentMessage__Output, MasterMessage>, agentId: string): void {
    const session = new AgentSession(call, agentId, {
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      graceMs: this.opts.heartbeatGraceMs,
      metricsIntervalMs: this.opts.metricsIntervalMs,
      helloTimeoutMs: 10_000,
      logger: this.log,
    });
    if (this.closedWith) return this.endClosed(session);
    this.opening.add(session);
    session.once('closed', () => this.opening.delete(session));
    // Messages after the hello wait until its inventory is recorded: a status sent right after the welcome
    // must not be overwritten by the (older) inventory of the hello.
    let inventoryRecorded!: () => void;
    const afterHello = new Promise<void>((resolve) => (inventoryRecorded = resolve));
    session.on('hello', (hello) => {
      void (async () => {
        try {
          await this.registry.upsertAgent(hello);
        } catch (err) {
          session.fail(errorMessage(err), 'PERMISSION_DENIED');
          return;
        }
        // What the agent runs and this master has no record of is adopted, never stopped (before the
        // inventory, which keeps only assigned instances); the sync after the hello stops only what the
        // master has a record against (deleted, or an admin's spec that no longer targets this agent).
        if (!this.registry.isRevoked(agentId)) {
          try {
            // One hello at a time: two agents reporting the same unknown handler must not both create it.
            const adopting = this.adopting.then(() =>
              adoptReported(this.registry, this.executions, agentId, hello.cached_specs, this.log),
            );
            this.adopting = adopting.catch(() => undefined);
            await adopting;
          } catch (err) {
            this.log.warn('adopting reported handlers failed', { agent: agentId, err });
          }
        }
        try {
          // What it reports having is what a later push may tell it to remove (Registry.removalsFor).
          await this.registry.noteHandlers(agentId, [
            ...hello.cached_specs.map((s) => s.name),
            ...hello.instances.map((s) => s.handler),
          ]);
        } catch (err) {
          this.log.warn('recording reported handler names failed', { agent: agentId, err });
        }
        try {
          await this.registry.replaceInventory(agentId, hello.instances);
        } catch (err) {
          session.fail(`invalid hello: ${errorMessage(err)}`, 'INVALID_ARGUMENT');
          return;
        } finally {
          inventoryRecorded();
        }
        // The stream may have ended while the hello was being written (its 'closed' already ran, and
        // upsertAgent marked the agent connected): report it gone, never leave it half-connected.
        if (session.state !== 'connected') return this.markGone(agentId);
        if (this.closedWith) return this.endClosed(session);
        this.opening.delete(session);
        this.hub.add(session);
        await this.registry.setConnected(agentId, true);
        // Revoked while the hello was being written: `gov agents revoke` found no session to close then.
        if (this.registry.isRevoked(agentId))
          session.fail(`certificate of agent ${agentId} is revoked`, 'UNAUTHENTICATED');
        if (session.state !== 'connected') return this.markGone(agentId);
        this.log.info('agent connected', { agent: agentId, instances: hello.instances.length });
        await this.pushSpecs([agentId], 'master', { kind: 'sync', sync: { specsHash: hello.specs_hash } });
      })().catch((err: unknown) => this.log.error('agent hello failed', { agent: agentId, err }));
    });
    session.on('message', (msg) => {
      // Exec frames go to their session's relay at once (master/exec): output must not wait on the hello's writes.
      if (msg.body === 'exec' && msg.exec) return this.execRouter.fromAgent(agentId, msg.exec);
      void afterHello.then(() => {
        // A result no command waits for: late (the master gave up on it) or re-sent after a reconnect.
        if (msg.body === 'result' && msg.result) {
          void this.dispatcher.settleLate(agentId, msg.result, (ids) => session.ack(ids));
          return;
        }
        if (msg.body === 'local_execution' && msg.local_execution) {
          const report = msg.local_execution;
          recordLocalExecution(this.registry, this.executions, agentId, report).then(
            (refusal) => {
              const n = refusal !== null ? this.drops.note(agentId) : null;
              if (n !== null)
                this.log.warn('local execution from agent refused', { agent: agentId, refusal, dropped: n });
              session.ackLocal([report.id]); // recorded, or refused for good: never sent again
            },
            // Not on disk: not acknowledged, so the agent sends it again after its next welcome.
            (err: unknown) => this.log.error('local execution not recorded', { agent: agentId, err }),
          );
          return;
        }
        this.onMessage(agentId, msg);
      });
    });
    session.on('closed', () => {
      if (this.hub.isConnected(agentId) || !this.registry.getAgent(agentId)) return;
      this.markGone(agentId).catch(() => {});
      this.log.warn('agent disconnected', { agent: agentId });
    });
  }

  /** Marks an agent disconnected in the registry unless another of its streams is live. */
  private async markGone(agentId: string): Promise<void> {
    if (this.hub.isConnected(agentId) || !this.registry.getAgent(agentId)) return;
    this.metricsCache.delete(agentId); // figures of a gone agent are not current: never report them as such
    await this.registry.setConnected(agentId, false);
  }

  private onMessage(agentId: string, msg: AgentMessage__Output): void {
    this.registry.touch(agentId);
    if (msg.body === 'status' && msg.status) {
      // What it may not report costs no write and no token; what it may is rate-limited.
      const refusal = msg.status.handler
        ? this.registry.statusRefusal(agentId, msg.status)
        : 'a status without a handler name';
      if (refusal !== null) this.dropped(agentId, refusal);
      else if (this.bucketOf(agentId).take()) void this.record(agentId, msg.status);
      else
        this.dropped(
          agentId,
          `more than ${AGENT_LIMITS.statusPerSecond} status reports per second (burst ${AGENT_LIMITS.statusBurst})`,
        );
    } else if (msg.body === 'metrics' && msg.metrics) {
      this.keepMetrics(agentId, msg.metrics);
    } else if (msg.body === 'policies' && msg.policies) {
      this.keepPolicies(agentId, msg.policies);
    }
  }

  /** Keeps an agent's policy report (bounded) and tells listeners its transitions; logs what was refused. */
  keepPolicies(agentId: string, report: PolicyReport__Output): void {
    const { transitions, refusals } = this.policies.ingest(
      agentId,
      report,
      assignedSubjects(this.registry, agentId),
    );
    if (refusals.length > 0) {
      const n = this.policyDrops.note(agentId);
      if (n !== null) this.log.warn('policy report from agent cut', { agent: agentId, refusals, reports: n });
    }
    for (const t of transitions) this.changes.emit('policy', agentId, t);
  }

  /**
   * Caches an agent's metrics report (pushed, or answered to METRICS): only figures of instances the master
   * keeps for this agent, one entry each (the last), bounded like statuses (boundInstanceMetrics), so the
   * cache stays as bounded as they are, never lists what is not its own, and no agent's report can make a
   * listing of metrics larger than a message.
   */
  private keepMetrics(agentId: string, report: MetricsReport__Output): void {
    const byKey = new Map<string, InstanceMetrics__Output>();
    for (const m of report.instances ?? []) {
      const key = m.instance || m.handler;
      if (this.registry.hasInstance(agentId, key)) byKey.set(key, m);
    }
    const instances = [...byKey.values()].map(boundInstanceMetrics);
    const kept = { instances, host: boundHostMetrics(report.host) };
    this.metricsCache.set(agentId, kept);
    this.changes.emit('metrics', agentId, kept);
  }

  /**
   * Every agent's last policy report as it stands now: whether the agent is connected, and only the rules
   * of handlers still assigned to it (a spec deleted or moved since leaves no rule behind). Reports of
   * agents the registry no longer knows are forgotten.
   */
  policyReports(): Array<PolicyReportView & { reported_at: string }> {
    return this.policies.all().flatMap((r) => {
      if (!this.registry.getAgent(r.agent)) {
        this.policies.forget(r.agent);
        return [];
      }
      const check = assignedSubjects(this.registry, r.agent);
      const rules = r.rules.filter((x) => check(x.handler ?? '', x.instance ?? '') === null);
      return [{ ...r, rules, connected: this.hub.isConnected(r.agent) }];
    });
  }

  private bucketOf(agentId: string): TokenBucket {
    let b = this.statusBuckets.get(agentId);
    if (!b) {
      b = new TokenBucket(AGENT_LIMITS.statusBurst, AGENT_LIMITS.statusPerSecond);
      this.statusBuckets.set(agentId, b);
    }
    return b;
  }

  /**
   * Stores a status an agent reported (pushed, or in a command's result). One the agent may not report
   * (an instance not assigned to it, too many observed ones) or a malformed one is dropped with a
   * rate-limited warning, never fatal to the master. Resolves (never rejects) once it is stored or dropped.
   */
  private record(agentId: string, status: InstanceStatus__Output): Promise<void> {
    return this.registry.reportStatus(agentId, status).then(
      (refusal) => {
        if (refusal !== null) this.dropped(agentId, refusal);
      },
      (err: unknown) =>
        err instanceof ValidationError
          ? this.dropped(agentId, errorMessage(err))
          : this.log.error('status from agent not stored', { agent: agentId, err }),
    );
  }

  private dropped(agentId: string, reason: string): void {
    const n = this.drops.note(agentId);
    if (n !== null) this.log.warn('status from agent dropped', { agent: agentId, reason, dropped: n });
  }

  /** One command to one agent, recorded as an execution; instance status from the result is stored. */
  command(req: Omit<DispatchRequest, 'onResult'>): Promise<DispatchOutcome> {
    return this.dispatcher.dispatch({
      ...req,
      // The execution ends once the instance states its result reports are stored (and watched): a restart's
      // `success` comes after its instance's `running`, and `gov ps` after `gov restart` shows the new PID.
      onResult: async (agent, result) => {
        await Promise.all(result.instances.map((s) => this.record(agent, s)));
      },
    });
  }

  /**
   * Sends each agent its full assigned spec set (APPLY) and, of the handler names it is known to have,
   * those the master has a record against (`remove`: deleted, or an admin's spec targeting other agents,
   * see Registry.removalsFor); the agent stops only those, never a handler the master merely does not know.
   * `sync`: the post-hello push (recorded as such), with the hello's specs_hash: when the agent's instances
   * already run exactly the assigned specs, they are not sent again (`keep_specs`); `remove` still is.
   */
  async pushSpecs(
    agents: string[],
    issuedBy: string,
    opts: {
      kind?: string;
      handler?: string;
      sync?: { specsHash: string };
      /** How long the agent may take to stop handlers the push removes whose specs are gone (a delete). */
      removedWaitMs?: number;
    } = {},
  ): Promise<ExecutionRecord[]> {
    const { kind = 'apply', handler = '', sync } = opts;
    const outcomes = await Promise.all(
      agents.map(async (agent) => {
        const specs = this.registry.specsForAgent(agent);
        // An APPLY answers once its starts are spawned, but only once its stops (removals, changed specs) end.
        const waitMs = Math.max(opts.removedWaitMs ?? 0, ...specs.map((s) => commandWaitMs('APPLY', s)));
        // Assigned now, so known to it from now on: a later delete or retargeting names it for removal.
        await this.registry.noteHandlers(
          agent,
          specs.map((s) => s.name),
        );
        const remove = this.registry.removalsFor(agent);
        const held = new Set(this.heldHandlers());
        const keepSpecs = !!sync?.specsHash && sync.specsHash === assignedSpecsHash(specs);
        return this.command({
          kind: 'APPLY',
          handler,
          agent,
          issuedBy,
          specs: keepSpecs ? [] : specs,
          keepSpecs,
          hold: specs.map((s) => s.name).filter((n) => held.has(n)),
          defer: this.deferredInstances(agent),
          sync: sync !== undefined,
          remove,
          waitMs,
          paramsSummary:
            `${kind}: ${specs.map((s) => s.name).join(', ') || '(no handlers)'}` +
            (keepSpecs ? ' (already running them: specs not resent)' : '') +
            (remove.length ? `; ${remove.length} handler name(s) to remove if present` : ''),
        });
      }),
    );
    // An agent that applied its set stopped what the specs no longer place there: the master forgets those too.
    for (const [i, agent] of agents.entries())
      if (outcomes[i]?.record.status === 'success') await this.registry.forgetUnplaced(agent);
    return outcomes.map((o) => o.record);
  }

  disconnect(agentId: string, reason: string): void {
    this.hub.get(agentId)?.fail(reason, 'UNAUTHENTICATED');
  }

  agentInfos(): AgentInfo[] {
    return this.registry.listAgents().map((a) => ({
      id: a.id,
      connected: this.hub.isConnected(a.id),
      hostname: a.hostname,
      labels: a.labels,
      reported_labels: a.reported_labels,
      version: a.version,
      tracking: a.tracking ?? '',
      last_seen: a.last_seen,
      revoked: a.revoked,
      host: this.metricsCache.get(a.id)?.host ?? null,
    }));
  }

  /**
   * Fresh metrics from every connected agent (in parallel, bounded by the command timeout); cached ones for
   * the rest. `filter`: which agents to ask and which of their instances to keep (a resolved target set).
   */
  async metrics(filter: MetricsFilter = {}): Promise<MetricsResponse> {
    const ids = this.registry
      .listAgents()
      .map((a) => a.id)
      .filter((id) => !filter.agents || filter.agents.includes(id));
    await Promise.all(
      ids.map(async (id) => {
        const session = this.hub.get(id);
        if (!session) return;
        try {
          const r = await session.command(
            commandFor(`metrics-${id}-${Date.now()}-${Math.random()}`, { kind: 'METRICS', handler: '' }),
            5000,
          );
          if (r.ok && r.metrics) this.keepMetrics(id, r.metrics);
        } catch (err) {
          this.log.warn('metrics request failed', { agent: id, err });
        }
      }),
    );
    const instances = ids.flatMap((id) =>
      (this.metricsCache.get(id)?.instances ?? [])
        .filter((m) => !filter.keep || filter.keep(m.handler, m.instance || m.handler, id))
        .map((m) => ({ agent: id, metrics: m })),
    );
    const agents = ids.map((id) => ({
      agent: id,
      connected: this.hub.isConnected(id),
      host: this.metricsCache.get(id)?.host ?? null,
    }));
    // Policy figures of the same agents and instances (agent-wide rules: of the agents asked).
    const policies = this.policyReports()
      .filter((r) => ids.includes(r.agent))
      .map((r) => ({
        ...r,
        rules: r.rules.filter(
          (x) => !x.handler || !filter.keep || filter.keep(x.handler, x.instance || x.handler, r.agent),
        ),
      }));
    return {
      instances,
      agents,
      governor: {
        ...fleetTelemetry(
          this.registry.listSpecs().map((s) => s.spec),
          instances,
        ),
        ...policyTelemetry(policies),
      },
    };
  }

  /**
   * Last lines of an instance's log: `instance` is its key on the agent (`web#1`); empty: the first one.
   * `use`: the read counts as use of the instance (an on-demand idle timer restarts); a viewer's does not.
   */
  async tailLogs(
    agent: string,
    handler: string,
    lines: number,
    stream: string,
    instance = '',
    use = true,
  ): Promise<string[]> {
    const session = this.hub.get(agent);
    if (!session) {
      throw new StateError(`agent ${agent} is not connected; its logs cannot be read now`);
    }
    const r = await session.command(
      commandFor(`logs-${agent}-${Date.now()}-${Math.random()}`, {
        kind: 'LOGS',
        handler,
        instance,
        tailLines: lines,
        stream,
        observeOnly: !use,
      }),
      this.opts.commandTimeoutMs,
    );
    if (!r.ok) throw errorFromInfo(r.error);
    return r.lines;
  }

  /**
   * Ends every agent stream (those still in their hello too) and refuses new ones: plainly on shutdown, with
   * `status` when given (an HA master stepping down: UNAVAILABLE with the leader's address in metadata).
   */
  close(reason = 'master shutting down', status?: StreamStatus): void {
    this.closedWith = { reason, ...(status ? { status } : {}) };
    for (const s of [...this.opening]) this.endClosed(s);
    this.hub.closeAll(reason, status);
  }

  private endClosed(session: AgentSession): void {
    const c = this.closedWith ?? { reason: 'master shutting down' };
    if (c.status) session.failWith(c.reason, c.status);
    else session.fail(c.reason);
  }
}
