/**
 * The Admin service (admin.proto, the master's descriptor) as one agent serves it for its own handlers on
 * its local control socket: ListInstances, Control (start stop restart ensure release signal, carried out
 * by commands.ts — the rule the master's commands follow — and recorded in the local audit with
 * `issued_by: local:<uid>`), GetMetrics and TailLogs. Every other RPC answers UNIMPLEMENTED: it needs the
 * master. On a read-only socket, Control is refused with PERMISSION_DENIED naming the socket.
 */
import * as grpc from '@grpc/grpc-js';
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import type { ControlRequest__Output } from '../../proto/generated/governor/v1/ControlRequest.js';
import type { ControlResponse } from '../../proto/generated/governor/v1/ControlResponse.js';
import type { ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
import type { InstanceInfo } from '../../proto/generated/governor/v1/InstanceInfo.js';
import type { InstanceMetrics__Output } from '../../proto/generated/governor/v1/InstanceMetrics.js';
import type { InstanceOutcome } from '../../proto/generated/governor/v1/InstanceOutcome.js';
import { NotFoundError, PermissionError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { fleetTelemetry } from '../../shared/fleet-telemetry.js';
import { toServiceError } from '../../shared/grpc-status.js';
import { checkControl } from '../../shared/control-request.js';
import { commandGroups, requestTargets, type TargetSet } from '../../shared/targets.js';
import { agentCommand, type AgentCommands } from '../commands.js';
import { toWireStatus } from '../link/wire.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { callerOf, type LocalCaller } from './control-socket.js';
import type { LocalAudit, LocalEvent } from './local-audit.js';
import { resolveLocalTargets, type LocalInstance } from './local-targets.js';

/** The RPCs a local socket serves; the rest need the master. */
export const LOCAL_RPCS: ReadonlySet<string> = new Set([
  'ListInstances',
  'Control',
  'GetMetrics',
  'TailLogs',
]);

export interface LocalAdminOptions {
  supervisor: Supervisor;
  commands: AgentCommands;
  audit: LocalAudit;
  agentId: string;
  /** The socket's path (named in refusals). */
  socketPath: string;
  /** Only read RPCs: Control is refused. */
  readOnly: boolean;
  logger?: Logger;
  now?: () => number;
}

type Handler<Req, Res> = (req: Req, caller: LocalCaller) => Promise<Res>;

/** A unary handler: the kernel-verified caller in, domain errors out as gRPC status. */
function unary<Req, Res>(fn: Handler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    let caller: LocalCaller;
    try {
      caller = callerOf(call);
    } catch (err) {
      cb(toServiceError(err));
      return;
    }
    fn(call.request, caller).then(
      (res) => cb(null, res),
      (err: unknown) => cb(toServiceError(err)),
    );
  };
}

export function localAdminHandlers(service: grpc.ServiceDefinition, o: LocalAdminOptions): AdminHandlers {
  const { supervisor: sup, commands, audit, agentId } = o;
  const now = o.now ?? Date.now;
  const observedNames = (): Set<string> => new Set(sup.observed.statuses().map((s) => s.handler));
  const info = (s: Parameters<typeof toWireStatus>[0]): InstanceInfo => ({
    agent: agentId,
    status: toWireStatus(s),
    stale: false,
    reported_at: new Date(now()).toISOString(),
  });

  const implemented = {
    ListInstances: unary(async (req: Parameters<AdminHandlers['ListInstances']>[0]['request']) => {
      const r = resolveLocalTargets(sup.specs(), observedNames(), agentId, requestTargets(req, req.agent), {
        empty: 'everything',
        observed: 'include',
      });
      const instances = sup
        .status()
        .filter((s) => r.matches(s.handler, s.index))
        .map(info);
      return { instances, next_page_token: '' };
    }),

    Control: unary(async (req: ControlRequest__Output, caller) => {
      if (o.readOnly)
        throw new PermissionError(
          `${o.socketPath} is a read-only socket: ${req.action || 'control'} is refused here (only ps, ` +
            'metrics and logs); use the agent control socket',
        );
      return control(req, caller);
    }),

    GetMetrics: unary(async (req: Parameters<AdminHandlers['GetMetrics']>[0]['request']) => {
      const r = resolveLocalTargets(sup.specs(), observedNames(), agentId, requestTargets(req, req.agent), {
        empty: 'everything',
        observed: 'include',
      });
      const report = await commands.metrics();
      const instances = (report.instances ?? [])
        .filter((m) => r.matches(m.handler ?? '', m.index ?? 0))
        .map((metrics) => ({ agent: agentId, metrics: metrics as InstanceMetrics__Output }));
      return {
        instances,
        agents: [{ agent: agentId, connected: true, host: report.host ?? null }],
        governor: fleetTelemetry(sup.specs(), instances),
      };
    }),

    TailLogs: unary(async (req: Parameters<AdminHandlers['TailLogs']>[0]['request']) => {
      const stream = req.stream || 'stdout';
      if (stream !== 'stdout' && stream !== 'stderr')
        throw new ValidationError(`stream must be stdout or stderr, not ${stream}`, { fields: ['stream'] });
      const set = requestTargets(req, req.agent || (req.instance ? agentId : ''), req.instance);
      const r = resolveLocalTargets(sup.specs(), observedNames(), agentId, set, {
        empty: 'refuse',
        observed: 'refuse',
      });
      const one = theOne(r.instances, agentId);
      // A read on the read-only socket (every local user's) is no use: it never holds a handler hot.
      const lines = await commands.logs(
        { handler: one.handler, instance: one.key, tail_lines: req.tail || 50, stream },
        !o.readOnly,
      );
      return { lines };
    }),
  };

  async function control(req: ControlRequest__Output, caller: LocalCaller): Promise<ControlResponse> {
    const control = checkControl(req); // refused before anything is looked at or done
    const { action, signal } = control;
    // The one-handler form (older clients): an instance without an agent is on this agent.
    const set: TargetSet = requestTargets(req, req.agent || (req.instance ? agentId : ''), req.instance);
    const r = resolveLocalTargets(sup.specs(), observedNames(), agentId, set, {
      empty: 'refuse',
      observed: 'refuse',
    });
    const counts = new Map(sup.specs().map((s) => [s.name, s.count]));
    const units = commandGroups(r.instances, (h) => counts.get(h) ?? 1, {
      perInstance: action === 'signal',
      perNamed: action === 'ensure',
    }).map((g) => ({ handler: g.first.handler, instance: g.instance, targets: g.targets }));
    const done = await Promise.all(
      units.map(async (u) => {
        const input = {
          kind: action,
          handler: u.handler,
          instance: u.instance,
          issued_by: `local:${caller.uid}`,
          params_summary: control.paramsSummary,
        };
        const cmd = agentCommand({
          kind: control.kind,
          handler: u.handler,
          instance: u.instance,
          signal: signal ?? '',
          main: control.main,
          hold_ms: control.holdMs,
        });
        const { event, result } = await audit.record(
          input,
          () => commands.execute(cmd),
          (res) => res.summary ?? '',
        );
        o.logger?.info('local command', {
          kind: action,
          handler: u.handler,
          ...(u.instance ? { instance: u.instance } : {}),
          issued_by: event.issued_by,
          pid: caller.pid,
          ok: event.ok,
          ...(event.ok ? {} : { error: event.error }),
        });
        return { u, event, statuses: result?.instances ?? [] };
      }),
    );
    const outcomes: InstanceOutcome[] = [];
    const executions: ExecutionRecord[] = [];
    for (const { u, event } of done) {
      executions.push(executionOf(event, agentId));
      for (const t of u.targets)
        outcomes.push({
          handler: t.handler,
          agent: agentId,
          instance: t.key,
          ok: event.ok,
          error: event.ok ? '' : event.error || 'failed',
          execution_id: event.id,
        });
    }
    const fresh = new Map(
      done.flatMap((d) => d.statuses.map((s) => [s?.instance || s?.handler || '', s] as const)),
    );
    const handlers = new Set(r.instances.map((i) => i.handler));
    const instances = sup
      .status()
      .filter((s) => handlers.has(s.handler) && r.matches(s.handler, s.index))
      .map((s) => {
        const i = info(s);
        const answered = fresh.get(s.instance || s.handler);
        return answered ? { ...i, status: answered } : i;
      });
    return { executions, instances, outcomes };
  }

  const handlers: Record<string, grpc.UntypedHandleCall> = {};
  for (const [name, def] of Object.entries(service)) {
    const own = (implemented as Record<string, grpc.handleUnaryCall<unknown, unknown>>)[name];
    handlers[name] = own ?? unimplemented(name, def, agentId);
  }
  return handlers as unknown as AdminHandlers;
}

/**
 * The answer of an RPC a local socket does not serve, in the call's own shape: a streaming call (Watch, Exec)
 * has no callback, and ends with the status itself.
 */
function unimplemented(
  name: string,
  def: grpc.MethodDefinition<unknown, unknown>,
  agentId: string,
): grpc.UntypedHandleCall {
  const status = {
    code: grpc.status.UNIMPLEMENTED,
    details: `${name} needs the master: the local socket of agent ${agentId} serves only ps, start, stop, restart, ensure, release, signal, metrics and logs`,
  };
  if (!def.requestStream && !def.responseStream)
    return ((_call, cb) => cb(status)) as grpc.handleUnaryCall<unknown, unknown>;
  return ((call: { emit(event: 'error', err: unknown): void }) =>
    call.emit('error', status)) as grpc.UntypedHandleCall;
}

/** The single instance a logs target names; refused with the candidates listed when it names several. */
function theOne(instances: readonly LocalInstance[], agentId: string): LocalInstance {
  const [first, ...rest] = instances;
  if (first && rest.length === 0) return first;
  if (!first) throw new NotFoundError('the target names no instance', { fields: ['targets'] });
  throw new ValidationError(
    `the target matches ${instances.length} instances: ${instances.map((i) => `${i.key}@${agentId}`).join(', ')}; name one of them`,
    { fields: ['targets'] },
  );
}

/** A local event as an execution record (the shape the master's execution log answers). */
function executionOf(e: LocalEvent, agentId: string): ExecutionRecord {
  const started = Date.parse(e.started_at);
  const completed = Date.parse(e.completed_at);
  return {
    id: e.id,
    kind: e.kind,
    handler: e.handler,
    agent: agentId,
    issued_by: e.issued_by,
    started_at: e.started_at,
    completed_at: e.completed_at,
    duration_ms: Math.max(0, completed - started),
    status: e.ok ? 'success' : 'error',
    result: e.result,
    error: e.error,
    attempt: 1,
    max_attempts: 1,
    params_summary: [e.instance && `instance ${e.instance}`, e.params_summary].filter(Boolean).join(', '),
  };
}
