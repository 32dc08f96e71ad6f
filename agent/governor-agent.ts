/**
 * The GovernorAgent: the local supervisor plus its link to the master. Commands from the master are
 * carried out on the supervisor; status changes and lifecycle events are pushed as they happen. The
 * supervisor keeps working from its cached specs while the master is away.
 */
import os from 'node:os';
import type { AgentCommand__Output } from '../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult } from '../proto/generated/governor/v1/CommandResult.js';
import type { MetricsReport } from '../proto/generated/governor/v1/MetricsReport.js';
import { ValidationError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { parseSignal } from '../shared/signals.js';
import { instanceLogFile } from './instance/paths.js';
import { MasterLink, type LinkHost, type MasterLinkOptions } from './link/master-link.js';
import { tailLines } from '../shared/log-tail.js';
import type { EnsureResult, InstanceStatus, Supervisor } from './supervisor/supervisor.js';
import {
  hostMetrics,
  runningSpecsHash,
  specsOf,
  toWireEvent,
  toWireMetrics,
  toWireSpecs,
  toWireStatus,
} from './link/wire.js';

export const AGENT_VERSION = '0.1.0';

type Result = Omit<CommandResult, 'command_id' | 'ok'>;

export interface GovernorAgentOptions extends Omit<MasterLinkOptions, 'logger'> {
  labels: Record<string, string>;
  dataDir: string;
}

export class GovernorAgent implements LinkHost {
  readonly link: MasterLink;

  constructor(
    readonly supervisor: Supervisor,
    private readonly opts: GovernorAgentOptions,
    logger: Logger,
  ) {
    this.link = new MasterLink(this, { ...opts, logger });
    supervisor.on('state', (change) => {
      // `change.handler` is the instance key (`web#1`).
      const status = supervisor.status().find((s) => s.instance === change.handler);
      if (status) this.link.push({ status: toWireStatus(status) });
    });
    supervisor.on('event', ({ handler, event }) => this.link.push({ event: toWireEvent(handler, event) }));
    // Health verdicts (and a main process found late) change without a state change; the master (and
    // rollouts) must see them.
    const push = ({ handler }: { handler: string }): void => {
      const status = supervisor.status().find((s) => s.instance === handler);
      if (status) this.link.push({ status: toWireStatus(status) });
    };
    supervisor.on('health', push);
    supervisor.on('status', push);
  }

  start(): void {
    this.link.start();
  }

  inventory() {
    const statuses = this.supervisor.status();
    return {
      hostname: os.hostname(),
      version: AGENT_VERSION,
      labels: this.opts.labels,
      tracking: this.supervisor.tracking(),
      instances: statuses.map(toWireStatus),
      // Lets the master skip resending the specs when every instance already runs what it assigns.
      specs_hash: runningSpecsHash(statuses),
      // What this agent runs, so a master that knows nothing of it adopts it rather than stopping it.
      cached_specs: toWireSpecs(this.supervisor.specs()),
    };
  }

  async metrics(): Promise<MetricsReport> {
    const modes = new Map(this.supervisor.specs().map((s) => [s.name, s.mode]));
    const instances = await this.supervisor.metrics();
    return {
      instances: instances.map((m) =>
        toWireMetrics(
          m,
          modes.get(m.handler) ?? (this.supervisor.observed.has(m.handler) ? 'observed' : 'always-on'),
        ),
      ),
      host: hostMetrics(this.supervisor.notifyIgnored()),
    };
  }

  async execute(cmd: AgentCommand__Output): Promise<Result> {
    const sup = this.supervisor;
    switch (cmd.kind) {
      case 'APPLY': {
        // keep_specs: every instance already runs what the master assigns (Hello.specs_hash matched);
        // holding every handler keeps each instance on the spec it runs.
        const specs = cmd.keep_specs ? sup.specs().filter((s) => !cmd.remove.includes(s.name)) : specsOf(cmd);
        const hold = cmd.keep_specs ? specs.map((s) => s.name) : cmd.hold;
        // Only the handlers the master names in `remove` are stopped: see ReconcileOptions.
        const statuses = await sup.applySpecs(specs, new Set(hold), { remove: new Set(cmd.remove) });
        const what = cmd.keep_specs ? 'kept' : cmd.sync ? 'synced' : 'applied';
        return { instances: statuses.map(toWireStatus), summary: `${what} ${specs.length} handler spec(s)` };
      }
      case 'ENSURE': {
        const results = await sup.ensure(cmd.instance || cmd.handler);
        return {
          instances: results.map((r) => toWireStatus(r.status)),
          cold_start_ms: Math.max(0, ...results.map((r) => r.cold_start_ms)),
          summary: describeEnsure(results),
        };
      }
      case 'START':
        return this.each(cmd, async (key) => {
          const before = sup.status(key)[0];
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
        const sent = sup.signal(cmd.instance || cmd.handler, signal, cmd.main);
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
      case 'LOGS': {
        const key = sup.keysOf(cmd.instance || cmd.handler)[0] as string; // NotFound for an unknown handler
        sup.touch(key); // activity for on-demand idle timers
        const file = instanceLogFile(this.opts.dataDir, key, cmd.stream === 'stderr' ? 'stderr' : 'stdout');
        return { lines: await tailLines(file, cmd.tail_lines || 50) };
      }
      default:
        throw new ValidationError(
          `this agent (version ${AGENT_VERSION}) does not support ${cmd.kind} commands`,
        );
    }
  }

  /** Runs `fn` on the command's instance, or on every instance of its handler (in parallel). */
  private async each(
    cmd: AgentCommand__Output,
    fn: (key: string) => Promise<InstanceStatus>,
  ): Promise<Result> {
    const target = cmd.instance || cmd.handler;
    // An observed name goes straight to the supervisor, which refuses to signal it with a clear error.
    const keys = this.supervisor.observed.has(target) ? [target] : this.supervisor.keysOf(target);
    const statuses = await Promise.all(keys.map(fn));
    const summary = statuses.map((s) => `${s.instance} ${s.state}${s.pid ? ` pid ${s.pid}` : ''}`).join(', ');
    return { instances: statuses.map(toWireStatus), summary };
  }

  async shutdown(): Promise<void> {
    this.link.close();
    await this.supervisor.shutdown();
  }
}

/** `hot pid 123, cold start 84ms` / `already hot pid 123` / `running pid 123`. */
function describeEnsure(results: EnsureResult[]): string {
  return results
    .map(({ status: s, cold_start_ms: ms, woke }) => {
      const what = s.temperature || s.state;
      const pid = `pid ${s.pid ?? '-'}`;
      if (!woke) return `already ${what} ${pid}`;
      return s.temperature ? `${what} ${pid}, cold start ${Math.round(ms)}ms` : `${what} ${pid}`;
    })
    .join('; ');
}
