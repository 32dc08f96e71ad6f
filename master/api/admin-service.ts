/**
 * The Admin gRPC service: validates requests, turns them into registry changes and executions, and
 * maps domain errors to gRPC status at this one edge.
 */
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import type { InstanceInfo } from '../../proto/generated/governor/v1/InstanceInfo.js';
import { NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import { handlerObservedClash, observedRefusal } from '../../shared/observed.js';
import { isName } from '../../shared/names.js';
import { isPid } from '../../shared/proc.js';
import { instanceKey, parseHandlersFile, parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import { DEFAULT_QUERY_LIMIT } from '../state/execution-log.js';
import { decodeToken, encodeToken, pageAfter, pageSizeOf, takePage } from './paging.js';
import { compareInstanceCursors, instanceCursor, type InstanceCursor } from '../state/registry.js';
import { checkApplyAllowed, rolloutHandlers, startUpdatesForApply } from '../rollout/service.js';
import { toRolloutProto } from '../rollout/create.js';
import type { RolloutEngine } from '../rollout/engine.js';
import { unary } from './unary.js';
import type { Fleet } from '../fleet/fleet.js';

const ACTIONS = ['start', 'stop', 'restart', 'ensure'] as const;
type Action = (typeof ACTIONS)[number];

export function adminHandlers(fleet: Fleet, rollouts: RolloutEngine): AdminHandlers {
  const { registry, executions } = fleet;
  const instancesOf = (handler: string, agent?: string): InstanceInfo[] =>
    registry.listInstances({ handler, ...(agent ? { agent } : {}) }).map(toInstanceInfo);

  return {
    Apply: unary(async (req, issuedBy) => {
      const file = req.file_name || 'handlers.yaml';
      const specs = parseHandlersFile(req.yaml, file);
      const known = new Set(registry.listAgents().map((a) => a.id));
      specs.forEach((s, i) =>
        s.agents.forEach((a, j) => {
          if (!known.has(a)) {
            throw new ValidationError(
              `${file}: handlers[${i}].agents[${j}]: unknown agent ${JSON.stringify(a)} ` +
                `(known: ${[...known].join(', ') || 'none'}); start that agent first or fix the name`,
            );
          }
        }),
      );
      // One namespace per agent: a handler never takes the name of a process observed where it would run.
      specs.forEach((s, i) => {
        for (const agent of registry.agentsFor(s))
          registry.checkNoObservedClash(agent, s.name, `${file}: handlers[${i}].name`);
      });
      checkApplyAllowed(rollouts, fleet, specs);
      const before = new Map(specs.map((s) => [s.name, registry.getSpec(s.name)]));
      const applied = await registry.applySpecs(specs);
      // Rolling updates are recorded before the push, so the APPLY holds their instances (DESIGN §5).
      const started = await startUpdatesForApply(rollouts, fleet, applied, before, issuedBy);
      const touched = new Set<string>();
      for (const a of applied) {
        if (a.change === 'unchanged') continue;
        a.agents.forEach((x) => touched.add(x));
        const prev = before.get(a.name);
        if (prev) registry.agentsFor(prev.spec).forEach((x) => touched.add(x));
      }
      const records = await fleet.pushSpecs([...touched], issuedBy);
      for (const r of started) rollouts.run(r.id);
      return { handlers: applied, executions: records, rollouts: started.map(toRolloutProto) };
    }),

    DeleteHandler: unary(async (req, issuedBy) => {
      const current = registry.getSpec(req.handler);
      if (!current) throw unknownHandler(req.handler, fleet);
      const agents = registry.agentsFor(current.spec);
      await registry.deleteSpec(req.handler);
      const records = await fleet.pushSpecs(agents, issuedBy, 'delete', req.handler);
      for (const agent of agents) await registry.forgetInstance(agent, req.handler);
      return { executions: records, instances: [] };
    }),

    ListAgents: unary(async (req) => {
      const page = pageAfter(
        fleet.agentInfos(),
        req,
        (a) => a.id as string,
        (a, b) => (a < b ? -1 : a > b ? 1 : 0),
        (c): c is string => typeof c === 'string',
      );
      return { agents: page.items, next_page_token: page.next_page_token };
    }),

    RevokeAgent: unary(async (req, issuedBy) => {
      if (!req.agent_id) throw new ValidationError('agent id is required');
      const rec = await registry.revoke(req.agent_id);
      fleet.disconnect(req.agent_id, `certificate revoked by ${issuedBy}`);
      return { ...rec, host: null };
    }),

    LabelAgent: unary(async (req, issuedBy) => {
      if (!req.agent_id) throw new ValidationError('agent id is required');
      if (!registry.getAgent(req.agent_id)) throw unknownAgent(req.agent_id, fleet);
      const before = registry.specsForAgent(req.agent_id);
      const rec = await registry.setLabels(req.agent_id, { set: req.set, remove: req.remove });
      const after = registry.specsForAgent(req.agent_id);
      // Its assignment changed: push its spec set (as an apply would); an offline agent gets it on hello.
      if (JSON.stringify(before) !== JSON.stringify(after) && fleet.hub.isConnected(req.agent_id))
        await fleet.pushSpecs([req.agent_id], issuedBy, 'labels');
      return fleet.agentInfos().find((a) => a.id === rec.id) ?? { ...rec, host: null };
    }),

    ListInstances: unary(async (req) => {
      if (
        req.handler &&
        !registry.getSpec(req.handler) &&
        registry.listInstances({ handler: req.handler }).length === 0
      ) {
        throw unknownHandler(req.handler, fleet);
      }
      if (req.agent && !registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      const filter = {
        ...(req.handler ? { handler: req.handler } : {}),
        ...(req.agent ? { agent: req.agent } : {}),
      };
      const page = pageAfter(
        registry.listInstances(filter),
        req,
        instanceCursor,
        compareInstanceCursors,
        isInstanceCursor,
      );
      return { instances: page.items.map(toInstanceInfo), next_page_token: page.next_page_token };
    }),

    Control: unary(async (req, issuedBy) => {
      if (!ACTIONS.includes(req.action as Action)) {
        throw new ValidationError(
          `action ${JSON.stringify(req.action)} must be one of ${ACTIONS.join(', ')}`,
        );
      }
      const current = registry.getSpec(req.handler);
      if (!current) throw observedOrUnknown(req.handler, req.agent, fleet);
      const assigned = registry.agentsFor(current.spec);
      if (req.agent && !registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      if (req.agent && !assigned.includes(req.agent)) {
        throw new NotFoundError(
          `handler ${req.handler} is not assigned to agent ${req.agent} (assigned: ${assigned.join(', ') || 'none'})`,
        );
      }
      if (req.instance && !req.agent)
        throw new ValidationError('instance needs agent', { fields: ['instance', 'agent'] });
      const targets = req.agent ? [req.agent] : assigned;
      const kind = req.action.toUpperCase() as 'START' | 'STOP' | 'RESTART' | 'ENSURE';
      const records: ExecutionRecord[] = await Promise.all(
        targets.map(
          async (agent) =>
            (await fleet.command({ kind, handler: req.handler, agent, issuedBy, instance: req.instance }))
              .record,
        ),
      );
      return { executions: records, instances: instancesOf(req.handler, req.agent || undefined) };
    }),

    GetMetrics: unary(async (req) => {
      if (req.agent && !registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      if (req.handler && !registry.getSpec(req.handler)) throw unknownHandler(req.handler, fleet);
      return fleet.metrics(req.handler || undefined, req.agent || undefined);
    }),

    ListExecutions: unary(async (req) => {
      // `limit` bounds the whole listing; one page holds at most the page size (and the byte budget).
      const want = req.limit || DEFAULT_QUERY_LIMIT;
      const n = Math.min(want, pageSizeOf(req.page_size));
      const after = req.page_token
        ? decodeToken(req.page_token, (c): c is string => typeof c === 'string')
        : undefined;
      const found = executions.query({
        handler: req.handler,
        agent: req.agent,
        kind: req.kind,
        status: req.status,
        since: req.since,
        limit: n + 1,
        ...(after !== undefined ? { after } : {}),
      });
      const { page, more } = takePage(found.records, n);
      const last = page.at(-1);
      const next = more && last && page.length < want ? encodeToken(last.id) : '';
      return { count: page.length, records: page, next_page_token: next };
    }),

    GetStats: unary(async () => executions.stats()),

    ClearExecutions: unary(async () => ({ cleared: await executions.clear() })),

    TailLogs: unary(async (req) => {
      const current = registry.getSpec(req.handler);
      if (!current) throw unknownHandler(req.handler, fleet);
      if (!req.agent) throw new ValidationError('agent is required for logs', { fields: ['agent'] });
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      const stream = req.stream || 'stdout';
      if (stream !== 'stdout' && stream !== 'stderr')
        throw new ValidationError(`stream must be stdout or stderr, not ${stream}`);
      if (req.instance) checkInstanceOf(req.instance, current.spec);
      const lines = await fleet.tailLogs(req.agent, req.handler, req.tail || 50, stream, req.instance);
      return { lines };
    }),

    Attach: unary(async (req, issuedBy) => {
      if (!req.agent) throw new ValidationError('agent is required', { fields: ['agent'] });
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      if (!isPid(req.pid))
        throw new ValidationError(`pid ${req.pid} is not a process id`, { fields: ['pid'] });
      if (!isName(req.name))
        throw new ValidationError(`name ${JSON.stringify(req.name)} is not a valid name`, {
          fields: ['name'],
        });
      const spec = registry.getSpec(req.name);
      if (spec && registry.agentsFor(spec.spec).includes(req.agent))
        throw new StateError(`name ${req.name}: ${handlerObservedClash(req.name, req.pid, req.agent)}`, {
          fields: ['name'],
        });
      const out = await fleet.command({
        kind: 'ATTACH',
        handler: req.name,
        agent: req.agent,
        issuedBy,
        pid: req.pid,
        name: req.name,
        paramsSummary: `pid ${req.pid}`,
      });
      return { executions: [out.record], instances: instancesOf(req.name, req.agent) };
    }),

    Detach: unary(async (req, issuedBy) => {
      if (!req.agent) throw new ValidationError('agent is required', { fields: ['agent'] });
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet);
      const out = await fleet.command({
        kind: 'DETACH',
        handler: req.name,
        agent: req.agent,
        issuedBy,
        name: req.name,
      });
      if (out.record.status === 'success') await registry.forgetInstance(req.agent, req.name);
      return { executions: [out.record], instances: [] };
    }),

    ...rolloutHandlers(fleet, rollouts),
  };
}

function unknownHandler(name: string, fleet: Fleet): NotFoundError {
  const known = fleet.registry.listSpecs().map((s) => s.spec.name);
  return new NotFoundError(
    `unknown handler ${JSON.stringify(name)} (known: ${known.join(', ') || 'none'}); apply a spec with gov apply -f`,
  );
}

/** Observed processes are not specs: a control action on one is refused with the agent's own words. */
function observedOrUnknown(name: string, agent: string, fleet: Fleet): Error {
  const views = fleet.registry.listInstances({ handler: name, ...(agent ? { agent } : {}) });
  if (views.some((v) => v.status.observed)) return new StateError(observedRefusal(name));
  return unknownHandler(name, fleet);
}

function unknownAgent(id: string, fleet: Fleet): NotFoundError {
  const known = fleet.registry.listAgents().map((a) => a.id);
  return new NotFoundError(`unknown agent ${JSON.stringify(id)} (known: ${known.join(', ') || 'none'})`);
}

function isInstanceCursor(c: unknown): c is InstanceCursor {
  const o = c as Partial<InstanceCursor> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.handler === 'string' &&
    typeof o.agent === 'string' &&
    typeof o.index === 'number' &&
    typeof o.key === 'string'
  );
}

export function toInstanceInfo(v: {
  agent: string;
  status: InstanceInfo['status'];
  stale: boolean;
  reported_at: string;
}): InstanceInfo {
  return { agent: v.agent, status: v.status, stale: v.stale, reported_at: v.reported_at };
}

/** `instance` must be one of `spec`'s instance keys (`web`, `web#1` … up to count - 1). */
function checkInstanceOf(instance: string, spec: HandlerSpec): void {
  const { handler, index } = parseInstanceKey(instance);
  if (handler !== spec.name || instanceKey(handler, index) !== instance) {
    throw new ValidationError(
      `instance ${JSON.stringify(instance)} is not an instance key of handler ${spec.name}`,
    );
  }
  if (index >= spec.count) {
    const keys = Array.from({ length: spec.count }, (_, i) => instanceKey(spec.name, i));
    throw new NotFoundError(
      `unknown instance ${instance}: handler ${spec.name} has ${spec.count} instance(s) per agent (${keys.join(', ')})`,
    );
  }
}
