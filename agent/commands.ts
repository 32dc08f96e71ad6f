/**
 * The agent's commands: one rule for carrying out a command on the supervisor, whoever asks — the master
 * over the link (governor-agent.ts) or a local user over the control socket (local/), with or without a
 * master. A command is an AgentCommand (agent_link.proto); the answer is a CommandResult without its id.
 * Domain errors are thrown (the caller turns them into a failed result or a gRPC status).
 */
import type { AgentCommand__Output } from '../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult } from '../proto/generated/governor/v1/CommandResult.js';
import type { HostMetrics } from '../proto/generated/governor/v1/HostMetrics.js';
import type { MetricsReport } from '../proto/generated/governor/v1/MetricsReport.js';
import { ValidationError } from '../shared/errors.js';
import { checkHold } from '../shared/control-request.js';
import { tailLines } from '../shared/log-tail.js';
import { parseSignal } from '../shared/signals.js';
import { exactInstanceKey } from '../shared/spec.js';
import { instanceLogFile } from './instance/paths.js';
import { hostMetrics, specsOf, toWireMetrics, toWireStatus } from './link/wire.js';
import type { EnsureResult, InstanceStatus, Supervisor } from './supervisor/supervisor.js';

export const AGENT_VERSION = '0.1.0';

/** What a command answers (CommandResult without its id and ok flag). */
export type CommandOutcome = Omit<CommandResult, 'command_id' | 'ok'>;

/** A command with every field at its proto default but those given (local callers build their own). */
export function agentCommand(fields: Partial<AgentCommand__Output> & Pick<AgentCommand__Output, 'kind'>) {
  const cmd: AgentCommand__Output = {
    id: '',
    deadline_ms: 0,
    handler: '',
    pid: 0,
    tail_lines: 0,
    stream: '',
    name: '',
    instance: '',
    hold: [],
    sync: false,
    remove: [],
    defer: [],
    specs: [],
    keep_specs: false,
    signal: '',
    main: false,
    hold_ms: 0,
    observe_only: false,
    ...fields,
  };
  return cmd;
}

export class AgentCommands {
  constructor(
    private readonly supervisor: Supervisor,
    private readonly dataDir: string,
  ) {}

  /**
   * The METRICS report: every instance's figures, and the host's unless `withHost` is false (the link reads
   * those, with hostMetrics(), only for a report it pushes: most samples are held back).
   */
  async metrics(withHost = true): Promise<MetricsReport> {
    const sup = this.supervisor;
    const modes = new Map(sup.specs().map((s) => [s.name, s.mode]));
    const instances = await sup.metrics();
    const report: MetricsReport = {
      instances: instances.map((m) =>
        toWireMetrics(m, modes.get(m.handler) ?? (sup.observed.has(m.handler) ? 'observed' : 'always-on')),
      ),
    };
    if (withHost) report.host = this.hostMetrics();
    return report;
  }

  /** The host's figures (load, memory, the agent's RSS, ignored notify messages). */
  hostMetrics(): HostMetrics {
    return hostMetrics(this.supervisor.notifyIgnored());
  }

  async execute(cmd: AgentCommand__Output): Promise<CommandOutcome> {
    const sup = this.supervisor;
    switch (cmd.kind) {
      case 'APPLY': {
        // keep_specs: every instance already runs what the master assigns (Hello.specs_hash matched);
        // holding every handler keeps each instance on the spec it runs.
        const specs = cmd.keep_specs ? sup.specs().filter((s) => !cmd.remove.includes(s.name)) : specsOf(cmd);
        const hold = cmd.keep_specs ? specs.map((s) => s.name) : cmd.hold;
        // Only the handlers the master names in `remove` are stopped, and the replicas a rolling update adds
        // (`defer`) are left to its batches: see ReconcileOptions.
        // Answered once its starts are spawned: a start window may be longer than the master waits for it.
        const statuses = await sup.applySpecs(specs, new Set(hold), {
          remove: new Set(cmd.remove),
          defer: new Set(cmd.defer),
          launchOnly: true,
        });
        const what = cmd.keep_specs ? 'kept' : cmd.sync ? 'synced' : 'applied';
        return { instances: statuses.map(toWireStatus), summary: `${what} ${specs.length} handler spec(s)` };
      }
      case 'ENSURE': {
        const holdMs = checkHold('ensure', cmd.hold_ms);
        const results = await sup.ensure(this.targetOf(cmd), holdMs);
        return {
          instances: results.map((r) => toWireStatus(r.status)),
          cold_start_ms: Math.max(0, ...results.map((r) => r.cold_start_ms)),
          summary: describeEnsure(results),
        };
      }
      case 'RELEASE': {
        const released = await sup.release(this.targetOf(cmd));
        return {
          instances: released.map((r) => toWireStatus(r.status)),
          summary: released
            .map((r) => `${r.status.instance}: ${r.held ? 'lease released' : 'held no lease'}`)
            .join(', '),
        };
      }
      case 'START':
        return this.each(cmd, async (key) => {
          const before = sup.statusOf(key);
          return before?.state === 'running' ? before : sup.start(key);
        });
      case 'STOP':
        return this.each(cmd, (key) => sup.stop(key));
      case 'RESTART':
        return this.each(cmd, (key) => sup.restart(key));
      case 'UPDATE': {
        if (!cmd.instance) throw new ValidationError('UPDATE needs an instance key');
        const [spec, ...more] = specsOf(cmd);
        if (!spec || more.length > 0) throw new ValidationError('UPDATE must carry exactly one handler spec');
        const s = await sup.updateInstance(cmd.instance, spec);
        return { instances: [toWireStatus(s)], summary: `${s.state} pid ${s.pid ?? '-'}` };
      }
      case 'SIGNAL': {
        const signal = parseSignal(cmd.signal); // INVALID_ARGUMENT before anything is looked at or sent
        const sent = sup.signal(this.targetOf(cmd), signal, cmd.main);
        return {
          instances: sent.map((x) => toWireStatus(x.status)),
          summary: sent.map((x) => `${x.status.instance}: sent ${x.sent}`).join(', '),
        };
      }
      case 'ATTACH': {
        const s = await sup.observed.attach(cmd.pid, cmd.name || cmd.handler);
        return { instances: [toWireStatus(s)], summary: `observing pid ${s.pid} as ${s.handler}` };
      }
      case 'DETACH': {
        await sup.observed.detach(cmd.name || cmd.handler);
        return { instances: [], summary: `detached ${cmd.name || cmd.handler}; it keeps running` };
      }
      case 'METRICS':
        return { metrics: await this.metrics() };
      case 'LOGS':
        return { lines: await this.logs(cmd, !cmd.observe_only) };
      default:
        throw new ValidationError(
          `this agent (version ${AGENT_VERSION}) does not support ${cmd.kind} commands`,
        );
    }
  }

  /**
   * The last lines of an instance's log. `use`: the reading counts as use of the instance (restarts an
   * on-demand idle timer), as an admin's read through the master or the control socket does; a viewer's read
   * (`observe_only`) or one on a read-only socket, which every local user may open, is no use and changes nothing.
   */
  async logs(
    cmd: Pick<AgentCommand__Output, 'handler' | 'instance' | 'stream' | 'tail_lines'>,
    use: boolean,
  ): Promise<string[]> {
    const sup = this.supervisor;
    const key = sup.keysOf(this.targetOf(cmd))[0] as string; // NotFound for an unknown handler
    if (use) sup.touch(exactInstanceKey(key)); // activity for on-demand idle timers: this instance's
    const file = instanceLogFile(this.dataDir, key, cmd.stream === 'stderr' ? 'stderr' : 'stdout');
    return tailLines(file, cmd.tail_lines || 50);
  }

  /**
   * What a command acts on, for the supervisor: its handler (every instance), or its one instance when it
   * names one (`instance`, on the wire replica 0's key `web`, which is also the handler's name: spelled
   * `web#0` here) — or the observed process so named.
   */
  private targetOf(cmd: Pick<AgentCommand__Output, 'handler' | 'instance'>): string {
    if (!cmd.instance) return cmd.handler;
    return this.supervisor.observed.has(cmd.instance) ? cmd.instance : exactInstanceKey(cmd.instance);
  }

  /** Runs `fn` on the command's instance, or on every instance of its handler (in parallel). */
  private async each(
    cmd: AgentCommand__Output,
    fn: (key: string) => Promise<InstanceStatus>,
  ): Promise<CommandOutcome> {
    const target = this.targetOf(cmd);
    // An observed name goes straight to the supervisor, which refuses to signal it with a clear error.
    const keys = this.supervisor.observed.has(target) ? [target] : this.supervisor.keysOf(target);
    const statuses = await Promise.all(keys.map(fn));
    const summary = statuses.map((s) => `${s.instance} ${s.state}${s.pid ? ` pid ${s.pid}` : ''}`).join(', ');
    return { instances: statuses.map(toWireStatus), summary };
  }
}

/** `hot pid 123, cold start 84ms` / `already hot pid 123` / `running pid 123`, plus `, held until …`. */
function describeEnsure(results: EnsureResult[]): string {
  return results
    .map(({ status: s, cold_start_ms: ms, woke }) => {
      const what = s.temperature || s.state;
      const pid = `pid ${s.pid ?? '-'}`;
      const lease =
        s.activity.lease_until !== null
          ? `, held until ${new Date(s.activity.lease_until).toISOString()}`
          : '';
      if (!woke) return `already ${what} ${pid}${lease}`;
      return (s.temperature ? `${what} ${pid}, cold start ${Math.round(ms)}ms` : `${what} ${pid}`) + lease;
    })
    .join('; ');
}
