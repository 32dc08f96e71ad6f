/**
 * The leader's services over one store: registry, execution log, fleet (agent streams, dispatcher), rollouts
 * (restored from the store), the watch side, the Admin handlers and the optional HTTP endpoint. The one way
 * both masters build them: the single master (governor.ts) once over its file store, an HA master
 * (ha/ha-master.ts) each time it wins the lead, over the etcd store fenced by its leadership.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AdminHandlers } from '../proto/generated/governor/v1/Admin.js';
import type { AgentMessage__Output } from '../proto/generated/governor/v1/AgentMessage.js';
import type { ListMastersResponse } from '../proto/generated/governor/v1/ListMastersResponse.js';
import type { MasterMessage } from '../proto/generated/governor/v1/MasterMessage.js';
import type { Logger } from '../shared/logger.js';
import { adminHandlers } from './api/admin-service.js';
import { MasterHttp } from './api/http.js';
import { widenReceiveWindow } from './api/http2-stream.js';
import type { StreamStatus } from './fleet/agent-session.js';
import { Fleet } from './fleet/fleet.js';
import { isLoopbackAddress, type MasterOptions } from './options.js';
import type { RolloutEngine } from './rollout/engine.js';
import { openRollouts } from './rollout/service.js';
import { ExecutionLog } from './state/execution-log.js';
import { Registry } from './state/registry.js';
import type { StateStore } from './state/store.js';
import { openFleetWatch, type FleetWatch } from './watch/fleet-watch.js';

/** How far ahead an agent may send on its link stream (HTTP/2 receive window), bytes. */
const AGENT_LINK_RECEIVE_WINDOW = 1024 * 1024;

export interface ServicesOptions {
  /** Answers Admin.ListMasters (the single master: itself; an HA master routes it elsewhere). */
  listMasters: () => Promise<ListMastersResponse>;
  /**
   * In-flight rollouts found in the store: `pause` them (a restarted single master: an operator resumes) or
   * `continue` them from their stored step (an HA leader taking over from one that died).
   */
  inFlightRollouts: 'pause' | 'continue';
}

export class MasterServices {
  private http: MasterHttp | null = null;
  /** The bound HTTP port (0 when HTTP is off). */
  httpPort = 0;

  private constructor(
    readonly registry: Registry,
    readonly executions: ExecutionLog,
    readonly fleet: Fleet,
    readonly rollouts: RolloutEngine,
    /** The watch side: event stream hub and metrics history (tests and benchmarks read its stats). */
    readonly watch: FleetWatch,
    readonly admin: AdminHandlers,
    private readonly options: MasterOptions,
    private readonly log: Logger,
  ) {}

  /** Builds every service over `store` (loaded already); rollouts are restored (see ServicesOptions). */
  static async open(
    store: StateStore,
    options: MasterOptions,
    log: Logger,
    opts: ServicesOptions,
  ): Promise<MasterServices> {
    const registry = new Registry(store);
    const executions = new ExecutionLog(store, { capacity: options.executionLogSize });
    await store.flush();
    const fleet = new Fleet(registry, executions, options, log);
    const rollouts = await openRollouts(fleet, store, log, opts.inFlightRollouts);
    const watch = openFleetWatch(fleet, rollouts, options);
    const admin = adminHandlers(fleet, rollouts, log, opts.listMasters);
    return new MasterServices(registry, executions, fleet, rollouts, watch, admin, options, log);
  }

  /** AgentLink.Connect: one agent stream for its whole life. `cn` is the peer certificate's CN. */
  acceptAgent(call: ServerDuplexStream<AgentMessage__Output, MasterMessage>, cn: string): void {
    // Exec output comes on this stream: let the agent send a window of it ahead (a round trip per 64 KiB
    // held exec throughput to a few tens of MB/s).
    widenReceiveWindow(call, AGENT_LINK_RECEIVE_WINDOW);
    this.fleet.accept(call, cn);
  }

  /** Binds the read-only HTTP endpoint when `--http` is not `off`; resolves with its port (0: off). */
  async listenHttp(): Promise<number> {
    const address = this.options.http;
    if (!address || address === 'off') return 0;
    const web = new MasterHttp(this.fleet, this.log.named('http'), {
      maxInstances: this.options.metricsInstances,
    });
    this.httpPort = await web.listen(address);
    this.http = web;
    if (!isLoopbackAddress(address)) {
      this.log.warn(
        `INSECURE: the HTTP endpoint is served on ${address}, beyond this machine, in plaintext ` +
          `and without authentication (--http-insecure). Anyone who can reach it reads the fleet's ` +
          `agents, instances and statistics (command lines and environments are redacted). Bind it to ` +
          `127.0.0.1 and put an authenticating proxy in front of it instead.`,
        { address },
      );
    }
    return this.httpPort;
  }

  /**
   * Stops acting: rollout loops stop (their records stay as stored), watch streams and agent streams end —
   * with `status` when given (an HA master stepping down: UNAVAILABLE and the leader's address), else
   * plainly UNAVAILABLE for watches and a closed stream for agents (a shutdown).
   */
  stop(reason?: string, status?: StreamStatus): void {
    this.rollouts.close();
    // Nothing holds the server open.
    this.watch.close(status ? Object.assign(new Error(status.details ?? reason), status) : undefined);
    this.fleet.close(reason, status);
  }

  /**
   * After `stop`: the HTTP endpoint closes and, with `markAgentsGone` (a shutdown, not a step-down: a deposed
   * leader writes nothing more), every agent this master knew connected is marked gone.
   */
  async release(opts: { markAgentsGone: boolean }): Promise<void> {
    await this.http?.close();
    this.http = null;
    if (!opts.markAgentsGone) return;
    for (const a of this.registry.listAgents())
      if (a.connected) await this.registry.setConnected(a.id, false).catch(() => {});
  }
}
