/**
 * The DistributedGovernor: the master daemon's lifecycle. `create()` opens the durable state (taking the
 * data-dir lock), `listen()` binds the mTLS gRPC server, `shutdown()` drains and releases everything.
 */
import * as grpc from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage__Output } from '../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../proto/generated/governor/v1/MasterMessage.js';
import { loadProtos } from '../shared/proto.js';
import { loadTlsMaterial, serverCredentials, serverOptions } from '../shared/tls.js';
import { UnavailableError } from '../shared/errors.js';
import { toServiceError } from '../shared/grpc-status.js';
import type { Logger } from '../shared/logger.js';
import { adminHandlers } from './api/admin-service.js';
import { widenReceiveWindow } from './api/http2-stream.js';
import { callerIdentity, createAuthInterceptor } from './api/auth.js';
import { ExecutionLog } from './state/execution-log.js';
import { Fleet } from './fleet/fleet.js';
import { MasterHttp } from './api/http.js';
import { openMasterStore, type MasterStore } from './state/store.js';
import { isLoopbackAddress, type MasterOptions } from './options.js';
import { Registry } from './state/registry.js';
import type { RolloutEngine } from './rollout/engine.js';
import { openRollouts } from './rollout/service.js';
import { openFleetWatch, type FleetWatch } from './watch/fleet-watch.js';

/** How far ahead an agent may send on its link stream (HTTP/2 receive window), bytes. */
const AGENT_LINK_RECEIVE_WINDOW = 1024 * 1024;

export type GovernorState = 'created' | 'listening' | 'stopping' | 'stopped';

export class DistributedGovernor {
  private _state: GovernorState = 'created';
  private server: grpc.Server | null = null;
  private boundPort = 0;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  private constructor(
    readonly options: MasterOptions,
    readonly store: MasterStore,
    readonly registry: Registry,
    readonly executions: ExecutionLog,
    readonly fleet: Fleet,
    private readonly log: Logger,
    readonly rollouts: RolloutEngine,
    /** The watch side: event stream hub and metrics history (tests and benchmarks read its stats). */
    readonly watch: FleetWatch,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  static async create(options: MasterOptions, logger: Logger): Promise<DistributedGovernor> {
    const log = logger.named('master');
    const store = await openMasterStore(options.dataDir, { owner: 'gov master' });
    try {
      const registry = new Registry(store);
      const executions = new ExecutionLog(store, { capacity: options.executionLogSize });
      await store.flush();
      const fleet = new Fleet(registry, executions, options, log);
      const rollouts = await openRollouts(fleet, store, log);
      const watch = openFleetWatch(fleet, rollouts, options);
      return new DistributedGovernor(options, store, registry, executions, fleet, log, rollouts, watch);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  get state(): GovernorState {
    return this._state;
  }

  private setState(to: GovernorState): void {
    this.log.debug('master state', { from: this._state, to });
    this._state = to;
  }

  private http: MasterHttp | null = null;
  /** The bound HTTP port (0 when HTTP is off). */
  httpPort = 0;

  /** The bound port (useful with `:0`). */
  get port(): number {
    return this.boundPort;
  }

  /** Binds the gRPC server with mTLS; resolves with the bound port. */
  async listen(): Promise<number> {
    if (this._state !== 'created') throw new UnavailableError(`cannot listen in state ${this._state}`);
    const tls = loadTlsMaterial({
      caPath: this.options.ca,
      certPath: this.options.cert,
      keyPath: this.options.key,
      cwd: process.cwd(),
    });
    const interceptor = createAuthInterceptor({
      isRevoked: (id) => this.registry.isRevoked(id),
      logger: this.log.named('auth'),
    });
    const server = new grpc.Server(serverOptions([interceptor]));
    const { admin, link } = loadProtos();
    server.addService(link.governor.v1.AgentLink.service, {
      Connect: (call: ServerDuplexStream<AgentMessage__Output, MasterMessage>) => {
        let cn: string;
        try {
          cn = callerIdentity(call).cn;
        } catch (err) {
          call.emit('error', toServiceError(err));
          return;
        }
        // Exec output comes on this stream: let the agent send a window of it ahead (a round trip per 64 KiB
        // held exec throughput to a few tens of MB/s).
        widenReceiveWindow(call, AGENT_LINK_RECEIVE_WINDOW);
        this.fleet.accept(call, cn);
      },
    });
    server.addService(admin.governor.v1.Admin.service, adminHandlers(this.fleet, this.rollouts, this.log));
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.options.listen, serverCredentials(tls), (err, port) => {
        if (err) {
          reject(
            new UnavailableError(`cannot listen on ${this.options.listen}: ${err.message}`, { cause: err }),
          );
          return;
        }
        resolve(port);
      }),
    );
    this.server = server;
    if (this.options.http && this.options.http !== 'off') {
      const web = new MasterHttp(this.fleet, this.log.named('http'), {
        maxInstances: this.options.metricsInstances,
      });
      try {
        this.httpPort = await web.listen(this.options.http);
      } catch (err) {
        server.forceShutdown();
        throw err;
      }
      this.http = web;
      if (!isLoopbackAddress(this.options.http)) {
        this.log.warn(
          `INSECURE: the HTTP endpoint is served on ${this.options.http}, beyond this machine, in plaintext ` +
            `and without authentication (--http-insecure). Anyone who can reach it reads the fleet's ` +
            `agents, instances and statistics (command lines and environments are redacted). Bind it to ` +
            `127.0.0.1 and put an authenticating proxy in front of it instead.`,
          { address: this.options.http },
        );
      }
    }
    this.setState('listening');
    this.log.info('master listening', {
      address: this.options.listen,
      port: this.boundPort,
      data_dir: this.options.dataDir,
    });
    return this.boundPort;
  }

  /** Graceful stop within `deadlineMs`, then forced; state is flushed and the data-dir lock released. */
  async shutdown(deadlineMs = 5000): Promise<void> {
    if (this._state === 'stopping' || this._state === 'stopped') return this.closedPromise;
    this.setState('stopping');
    this.rollouts.close();
    this.watch.close(); // every watch stream ends (UNAVAILABLE): nothing holds the server open
    this.fleet.close();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs).unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.http?.close();
    for (const a of this.registry.listAgents())
      if (a.connected) await this.registry.setConnected(a.id, false).catch(() => {});
    await this.store.close();
    this.setState('stopped');
    this.resolveClosed();
  }

  closed(): Promise<void> {
    return this.closedPromise;
  }
}
