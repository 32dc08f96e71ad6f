/**
 * The Admin gRPC service: validates requests, turns them into registry changes and executions, and
 * maps domain errors to gRPC status at this one edge.
 */
import { commandWaitMs } from '../../shared/handler-waits.js';
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import type { InstanceInfo } from '../../proto/generated/governor/v1/InstanceInfo.js';
import type { ListMastersResponse } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import { errorMessage, NotFoundError, StateError, ValidationError } from '../../shared/errors.js';
import { OBSERVED_WHY, handlerObservedClash } from '../../shared/observed.js';
import { agentRefRefusal, isAgentRef, isName } from '../../shared/names.js';
import { isPid } from '../../shared/proc.js';
import { instanceKey, parseHandlersFile, parseInstanceKey, type HandlerSpec } from '../../shared/spec.js';
import { DEFAULT_QUERY_LIMIT, type BeginExecution, type ExecutionLog } from '../state/execution-log.js';
import { decodeToken, encodeToken, pageAfter, pageSizeOf, takePage } from './paging.js';
import { compareInstanceCursors, instanceCursor, type InstanceCursor } from '../state/registry.js';
import { checkApplyAllowed, draftUpdateForApply, rolloutHandlers } from '../rollout/service.js';
import { toRolloutProto } from '../rollout/create.js';
import type { RolloutEngine } from '../rollout/engine.js';
import { unary } from './unary.js';
import { watchRpcs } from '../watch/watch-rpc.js';
import { execHandler } from '../exec/exec-service.js';
import { policiesRpcs } from './policies-rpc.js';
import { silentLogger, type Logger } from '../../shared/logger.js';
import type { Fleet } from '../fleet/fleet.js';
import { fanOut } from '../fleet/fan-out.js';
import { checkControl } from '../../shared/control-request.js';
import { resolveTargets, type ResolvedTargets, type TargetInstance } from '../state/targets.js';
import { instanceTarget, parseTargetName, requestTargets, type TargetSet } from '../../shared/targets.js';

export function adminHandlers(
  fleet: Fleet,
  rollouts: RolloutEngine,
  execLogger: Logger = silentLogger,
  /** Admin.ListMasters: the single master answers itself (master/ha/masters-info.ts); HA masters route it. */
  listMasters: () => Promise<ListMastersResponse> = async () => {
    throw new StateError('this master does not list masters');
  },
): AdminHandlers {
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
      const { applied, before, started } = await rollouts.specChanges.run(async () => {
        checkApplyAllowed(rollouts, fleet, specs);
        const before = new Map(specs.map((s) => [s.name, registry.getSpec(s.name)]));
        const plan = registry.planSpecs(specs);
        // The rolling update is stored with the specs, before the push, so the APPLY holds its instances.
        const update = draftUpdateForApply(rollouts, fleet, plan, before, issuedBy);
        const applied = await registry.storeSpecs(
          plan,
          update ? (d) => rollouts.stage(d, update) : undefined,
        );
        if (update) rollouts.created(update);
        return { applied, before, started: update ? [update] : [] };
      });
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
      const set = requestTargets(req);
      checkWholeHandlers(set);
      const { resolved, agentsOf, removedWaitMs } = await rollouts.specChanges.run(async () => {
        const resolved = resolveTargets(registry, set, {
          empty: 'refuse',
          observed: 'refuse',
          observedWhy: OBSERVED_WHY.delete,
        });
        // A handler a rollout holds is not deleted under it (the rollout would fail for every handler it covers).
        rollouts.assertIdle(...resolved.handlers);
        const agentsOf = new Map(
          resolved.handlers.map((h) => [h, registry.agentsFor(registry.getSpec(h)!.spec)] as const),
        );
        const removedWaitMs = Math.max(
          0,
          ...resolved.handlers.map((h) => commandWaitMs('STOP', registry.getSpec(h)!.spec)),
        );
        for (const h of resolved.handlers) await registry.deleteSpec(h);
        return { resolved, agentsOf, removedWaitMs };
      });
      const agents = [...new Set([...agentsOf.values()].flat())].sort();
      const only = resolved.handlers.length === 1 ? resolved.handlers[0]! : '';
      const records = await fleet.pushSpecs(agents, issuedBy, {
        kind: 'delete',
        handler: only,
        removedWaitMs,
      });
      const byAgent = new Map(agents.map((a, i) => [a, records[i]!]));
      for (const [h, list] of agentsOf) for (const agent of list) await registry.forgetInstance(agent, h);
      const outcomes = resolved.instances.map((t) => {
        const r = byAgent.get(t.agent);
        const ok = r?.status === 'success';
        return {
          handler: t.handler,
          agent: t.agent,
          instance: t.key,
          ok,
          error: ok ? '' : r?.error || 'not pushed',
          execution_id: r?.id ?? '',
        };
      });
      // A handler that ran nowhere is deleted all the same: one outcome without agent says so.
      for (const h of resolved.handlers)
        if (!outcomes.some((o) => o.handler === h))
          outcomes.push({ handler: h, agent: '', instance: '', ok: true, error: '', execution_id: '' });
      return { executions: records, instances: [], outcomes };
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
      // A typo must not make a permanent record: an id never seen is revoked only when that is said.
      if (!req.unseen && !registry.getAgent(req.agent_id))
        throw unknownAgent(req.agent_id, fleet, {
          hint: 'to revoke the certificate of an agent that never connected, pass unseen',
          fields: ['agent_id', 'unseen'],
        });
      // Refused before its record is begun: bad input records nothing.
      if (!isAgentRef(req.agent_id))
        throw new ValidationError(`agent_id ${agentRefRefusal(req.agent_id)}`, { fields: ['agent_id'] });
      const before = registry.getAgent(req.agent_id);
      const connected = fleet.hub.isConnected(req.agent_id);
      const rec = await recordedAction(
        executions,
        {
          kind: 'revoke',
          agent: req.agent_id,
          issued_by: issuedBy,
          params_summary: req.unseen ? 'unseen' : '',
        },
        async () => {
          const rec = await registry.revoke(req.agent_id);
          fleet.disconnect(req.agent_id, `certificate revoked by ${issuedBy}`);
          const result = !before
            ? 'certificate revoked before the agent was ever seen'
            : before.revoked
              ? 'certificate was revoked already'
              : `certificate revoked${connected ? '; its stream was closed' : ''}`;
          return { value: rec, result };
        },
      );
      return { ...rec, host: null };
    }),

    UnrevokeAgent: unary(async (req, issuedBy) => {
      if (!req.agent_id) throw new ValidationError('agent id is required');
      const before = registry.getAgent(req.agent_id);
      if (!before) throw unknownAgent(req.agent_id, fleet, { fields: ['agent_id'] });
      const input = { kind: 'unrevoke', agent: req.agent_id, issued_by: issuedBy };
      const rec = await recordedAction(executions, input, async () => ({
        value: await registry.unrevoke(req.agent_id),
        result: !before.revoked
          ? 'certificate was not revoked'
          : before.last_seen === ''
            ? 'revocation lifted; the never-seen agent id is forgotten'
            : 'revocation lifted; the agent is accepted at its next dial',
      }));
      return fleet.agentInfos().find((a) => a.id === rec.id) ?? { ...rec, host: null };
    }),

    LabelAgent: unary(async (req, issuedBy) => {
      if (!req.agent_id) throw new ValidationError('agent id is required');
      if (!registry.getAgent(req.agent_id)) throw unknownAgent(req.agent_id, fleet, { fields: ['agent_id'] });
      const before = registry.specsForAgent(req.agent_id);
      const rec = await registry.setLabels(req.agent_id, { set: req.set, remove: req.remove });
      const after = registry.specsForAgent(req.agent_id);
      // Its assignment changed: push its spec set (as an apply would); an offline agent gets it on hello.
      if (JSON.stringify(before) !== JSON.stringify(after) && fleet.hub.isConnected(req.agent_id))
        await fleet.pushSpecs([req.agent_id], issuedBy, { kind: 'labels' });
      return fleet.agentInfos().find((a) => a.id === rec.id) ?? { ...rec, host: null };
    }),

    ListInstances: unary(async (req) => {
      const resolved = resolveTargets(registry, requestTargets(req, req.agent), {
        empty: 'everything',
        observed: 'include',
      });
      const page = pageAfter(
        registry.listInstances().filter(resolved.matches),
        req,
        instanceCursor,
        compareInstanceCursors,
        isInstanceCursor,
      );
      return { instances: page.items.map(toInstanceInfo), next_page_token: page.next_page_token };
    }),

    Control: unary(async (req, issuedBy) => {
      // An unknown action or signal, or a bad hold, is refused before the targets are even looked at.
      const control = checkControl(req);
      if (!req.targets && req.instance && !req.agent)
        throw new ValidationError('instance needs agent', { fields: ['instance', 'agent'] });
      const resolved = resolveTargets(registry, requestTargets(req, req.agent, req.instance), {
        empty: 'refuse',
        observed: 'refuse',
        heldBack: fleet.heldBackTest(),
      });
      if (control.kind === 'RESTART') rollouts.assertNotRolling(resolved.instances);
      const { executions: records, outcomes, reported } = await fanOut(fleet, resolved, control, issuedBy);
      // The registry as it stands, with what the agents just answered in place of what they reported before.
      const fresh = new Map(
        reported.map((r) => [`${r.agent}\u0000${r.status.instance || r.status.handler}`, r.status]),
      );
      const instances = registry
        .listInstances()
        .filter(resolved.matches)
        .map((v) => {
          const status = fresh.get(`${v.agent}\u0000${v.status.instance || v.status.handler}`);
          return toInstanceInfo(status ? { ...v, status } : v);
        });
      return { executions: records, instances, outcomes };
    }),

    GetMetrics: unary(async (req) => {
      const set = requestTargets(req, req.agent);
      const resolved = resolveTargets(registry, set, { empty: 'everything', observed: 'include' });
      return fleet.metrics({
        ...(set.agents.length > 0 ? { agents: set.agents } : {}),
        keep: resolved.matchesKey,
      });
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

    TailLogs: unary(async (req, _by, caller) => {
      // An admin's read is use of the handler (it keeps an on-demand one hot); a viewer changes nothing.
      const use = caller.role === 'admin';
      if (req.targets) {
        const stream = req.stream || 'stdout';
        if (stream !== 'stdout' && stream !== 'stderr')
          throw new ValidationError(`stream must be stdout or stderr, not ${stream}`, { fields: ['stream'] });
        const one = theOneInstance(
          resolveTargets(registry, req.targets, {
            empty: 'refuse',
            observed: 'refuse',
            heldBack: fleet.heldBackTest(),
            observedWhy: OBSERVED_WHY.logs,
          }),
        );
        const lines = await fleet.tailLogs(one.agent, one.handler, req.tail || 50, stream, one.key, use);
        return { lines, handler: one.handler, agent: one.agent, instance: one.key };
      }
      const current = registry.getSpec(req.handler);
      if (!current) throw unknownHandler(req.handler, fleet);
      if (!req.agent) throw new ValidationError('agent is required for logs', { fields: ['agent'] });
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet, { fields: ['agent'] });
      const stream = req.stream || 'stdout';
      if (stream !== 'stdout' && stream !== 'stderr')
        throw new ValidationError(`stream must be stdout or stderr, not ${stream}`);
      if (req.instance) checkInstanceOf(req.instance, current.spec);
      const lines = await fleet.tailLogs(req.agent, req.handler, req.tail || 50, stream, req.instance, use);
      return { lines };
    }),

    Attach: unary(async (req, issuedBy) => {
      if (!req.agent) throw new ValidationError('agent is required', { fields: ['agent'] });
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet, { fields: ['agent'] });
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
      if (!registry.getAgent(req.agent)) throw unknownAgent(req.agent, fleet, { fields: ['agent'] });
      // Refused before anything is sent or recorded, as an unknown handler is elsewhere.
      const observed = registry
        .listInstances()
        .some((v) => v.agent === req.agent && v.status.observed && v.status.handler === req.name);
      if (!observed)
        throw new NotFoundError(
          `no observed process ${JSON.stringify(req.name)} on agent ${req.agent} (gov ps --agent ${req.agent} lists them); nothing was sent`,
          { fields: ['name'] },
        );
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
    // The watch side (master/watch/): the event stream and the metrics history.
    ...watchRpcs(fleet, rollouts),
    Exec: execHandler(fleet, fleet.execRouter, execLogger),
    // Resource policies as the agents last reported them (policies-rpc.ts).
    ...policiesRpcs(fleet),
    ListMasters: unary(async () => listMasters()),
  };
}

function unknownHandler(name: string, fleet: Fleet): NotFoundError {
  const known = fleet.registry.listSpecs().map((s) => s.spec.name);
  return new NotFoundError(
    `unknown handler ${JSON.stringify(name)} (known: ${known.join(', ') || 'none'}); apply a spec with gov apply -f`,
  );
}

/** `gov delete` takes whole handlers: an instance key or an agent would delete a handler everywhere anyway. */
function checkWholeHandlers(set: TargetSet): void {
  const partial = set.names.filter((n) => {
    const t = parseTargetName(n);
    return t.index !== null || t.agent !== null;
  });
  if (partial.length > 0 || set.agents.length > 0)
    throw new ValidationError(
      `delete takes handler names, --all or --selector, not ${
        partial.length > 0 ? `instance keys (${partial.join(', ')})` : 'agents (--agent)'
      }: a handler is deleted on every agent; to stop some instances use gov stop`,
      { fields: ['targets'] },
    );
}

/** The single instance a logs target names; refused with the candidates listed when it names several. */
function theOneInstance(resolved: ResolvedTargets): TargetInstance {
  const [first, ...rest] = resolved.instances;
  if (first && rest.length === 0) return first;
  if (!first)
    throw new NotFoundError('the target names no instance (its handler is assigned to no agent)', {
      fields: ['targets'],
    });
  throw new ValidationError(
    `the target matches ${resolved.instances.length} instances: ` +
      `${resolved.instances.map((i) => instanceTarget(i.handler, i.index, i.agent)).join(', ')}; name one of them`,
    { fields: ['targets'] },
  );
}

/**
 * An agent id the master has never seen, naming the known ones, and `hint` what to do instead. `fields`:
 * the request field it is about (`agent_id`, the ID argument of `gov agents …`; `agent`, the `--agent` of
 * `gov attach|detach`): the CLI exits 2 (shared/errors.ts exitCodeOf), nothing was done.
 */
function unknownAgent(
  id: string,
  fleet: Fleet,
  opts: { hint?: string; fields?: string[] } = {},
): NotFoundError {
  const known = fleet.registry.listAgents().map((a) => a.id);
  const message = `unknown agent ${JSON.stringify(id)} (known: ${known.join(', ') || 'none'})`;
  return new NotFoundError(opts.hint ? `${message}; ${opts.hint}` : message, { fields: opts.fields ?? [] });
}

/**
 * An admin action the master carries out itself (no agent command: `gov agents revoke|unrevoke`), recorded
 * as one execution: its record is on disk before the action (as a command's is before it is sent; one
 * whose record cannot be written is not done), then completed with `act`'s result, or its error.
 */
async function recordedAction<T>(
  executions: ExecutionLog,
  input: BeginExecution,
  act: () => Promise<{ value: T; result: string }>,
): Promise<T> {
  const rec = await executions.beginDurably(input);
  let done: { value: T; result: string };
  try {
    done = await act();
  } catch (err) {
    await executions.complete(rec.id, { status: 'error', error: errorMessage(err) }).catch(() => {});
    throw err;
  }
  await executions.complete(rec.id, { status: 'success', result: done.result });
  return done.value;
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
