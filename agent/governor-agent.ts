/**
 * The GovernorAgent: the local supervisor plus its link to the master. Commands from the master are
 * carried out on the supervisor (commands.ts, the rule the local control socket shares); status changes
 * and lifecycle events are pushed as they happen. The supervisor keeps working from its cached specs while
 * the master is away. Commands given over the local control socket (local/) are reported to the master's
 * execution log once connected, each exactly once (local/local-audit.ts keeps them until acknowledged).
 */
import os from 'node:os';
import type { AgentCommand__Output } from '../proto/generated/governor/v1/AgentCommand.js';
import type { HostMetrics } from '../proto/generated/governor/v1/HostMetrics.js';
import type { MetricsReport } from '../proto/generated/governor/v1/MetricsReport.js';
import type { Logger } from '../shared/logger.js';
import { AGENT_VERSION, AgentCommands, type CommandOutcome } from './commands.js';
import { MasterLink, type LinkHost, type MasterLinkOptions } from './link/master-link.js';
import type { LocalAudit } from './local/local-audit.js';
import type { Supervisor } from './supervisor/supervisor.js';
import type { ExecFrame__Output } from '../proto/generated/governor/v1/ExecFrame.js';
import {
  DEFAULT_EXEC_SETTINGS,
  ExecSessions,
  type ExecSend,
  type ExecSettings,
} from './exec/exec-sessions.js';
import type { ControlLoop } from './control/control-loop.js';
import type { PolicyReport } from '../proto/generated/governor/v1/PolicyReport.js';
import { runningSpecsHash, toWireEvent, toWireSpecs, toWireStatus } from './link/wire.js';

export { AGENT_VERSION } from './commands.js';

export interface GovernorAgentOptions extends Omit<MasterLinkOptions, 'logger'> {
  labels: Record<string, string>;
  dataDir: string;
  /** Commands given over the local control socket, reported to the master's execution log. */
  audit?: LocalAudit;
  /** Exec sessions (gov exec): on by default, 8 at most, 30 min idle timeout. */
  exec?: ExecSettings;
  /** The resource policies' control loop (agent/control): its PolicyReport goes to the master. */
  policies?: ControlLoop;
}

export class GovernorAgent implements LinkHost {
  readonly link: MasterLink;
  readonly commands: AgentCommands;
  /** Exec sessions opened by the master (agent/exec). */
  readonly execSessions: ExecSessions;

  constructor(
    readonly supervisor: Supervisor,
    private readonly opts: GovernorAgentOptions,
    logger: Logger,
  ) {
    this.commands = new AgentCommands(supervisor, opts.dataDir);
    this.execSessions = new ExecSessions(
      (key, command, session) => supervisor.execContext(key, command, session),
      opts.exec ?? DEFAULT_EXEC_SETTINGS,
      logger,
    );
    this.link = new MasterLink(this, { ...opts, logger });
    // A local command done while connected goes out at once; the others on the next welcome.
    opts.audit?.on('recorded', (local_execution) => this.link.push({ local_execution }));
    supervisor.on('event', ({ handler, event }) => this.link.push({ event: toWireEvent(handler, event) }));
    // Every state change goes out at once; so do health verdicts (and a main process found late), which change
    // without a state change: the master (and rollouts) must see them. `handler` is the instance key (`web#1`).
    const push = ({ handler }: { handler: string }): void => {
      const status = supervisor.statusOf(handler);
      if (status) this.link.push({ status: toWireStatus(status) });
    };
    supervisor.on('state', push);
    supervisor.on('health', push);
    supervisor.on('status', push);
    // Every rule state change goes out at once (with its transitions); while disconnected they wait for the
    // report after the next welcome.
    opts.policies?.on('changed', () => {
      if (this.link.state === 'connected') this.link.push({ policies: opts.policies!.report() });
    });
  }

  /** The control loop's report (after each welcome, with each metrics push); null: no rules anywhere. */
  policies(): PolicyReport | null {
    const loop = this.opts.policies;
    return loop?.active ? loop.report() : null;
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
      exec_available: this.execSessions.unavailable === '',
      exec_unavailable: this.execSessions.unavailable,
    };
  }

  /** Local commands the master has not acknowledged yet (sent again after every welcome). */
  localExecutions() {
    return this.opts.audit?.pending() ?? [];
  }

  localAcked(ids: readonly string[]): void {
    this.opts.audit?.acknowledged(ids);
  }

  metrics(opts?: { host?: boolean }): Promise<MetricsReport> {
    return this.commands.metrics(opts?.host ?? true);
  }

  hostMetrics(): HostMetrics {
    return this.commands.hostMetrics();
  }

  exec(frame: ExecFrame__Output, send: ExecSend): void {
    this.execSessions.onFrame(frame, send);
  }

  linkDown(reason: string): void {
    this.execSessions.linkDown(reason);
  }

  /** The master's commands: carried out by the same rule as the local control socket's (commands.ts). */
  execute(cmd: AgentCommand__Output): Promise<CommandOutcome> {
    return this.commands.execute(cmd);
  }

  async shutdown(): Promise<void> {
    this.link.close();
    await this.supervisor.shutdown();
  }
}
