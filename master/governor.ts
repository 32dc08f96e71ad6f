/**
 * The DistributedGovernor: the single master's lifecycle (the default, one master on the durable file store).
 * `create()` opens the state (taking the data-dir lock) and builds the services (services.ts, the one way an
 * HA leader builds them too), `listen()` binds the mTLS gRPC server (server.ts) and the HTTP endpoint,
 * `shutdown()` drains and releases everything. HA masters on etcd are ha/ha-master.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ExecutionLog } from './state/execution-log.js';
import type { Fleet } from './fleet/fleet.js';
import { openMasterStore, type MasterStore } from './state/store.js';
import type { MasterOptions } from './options.js';
import type { Registry } from './state/registry.js';
import type { RolloutEngine } from './rollout/engine.js';
import type { FleetWatch } from './watch/fleet-watch.js';
import { MasterServices } from './services.js';
import { bindMasterServer, stopServer } from './server.js';
import { boundAdvertise } from './ha/ha-options.js';
import { embeddedMasters } from './ha/masters-info.js';

export type GovernorState = 'created' | 'listening' | 'stopping' | 'stopped';

export class DistributedGovernor {
  private _state: GovernorState = 'created';
  private server: grpc.Server | null = null;
  private boundPort = 0;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  readonly registry: Registry;
  readonly executions: ExecutionLog;
  readonly fleet: Fleet;
  readonly rollouts: RolloutEngine;
  /** The watch side: event stream hub and metrics history (tests and benchmarks read its stats). */
  readonly watch: FleetWatch;

  private constructor(
    readonly options: MasterOptions,
    readonly store: MasterStore,
    readonly services: MasterServices,
    private readonly log: Logger,
  ) {
    ({
      registry: this.registry,
      executions: this.executions,
      fleet: this.fleet,
      rollouts: this.rollouts,
      watch: this.watch,
    } = services);
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  static async create(options: MasterOptions, logger: Logger): Promise<DistributedGovernor> {
    const log = logger.named('master');
    const store = await openMasterStore(options.dataDir, { owner: 'gov master' });
    const startedAt = new Date();
    try {
      let self: DistributedGovernor | null = null;
      const services = await MasterServices.open(store, options, log, {
        inFlightRollouts: 'pause',
        listMasters: async () => embeddedMasters(self?.address() ?? '', options.ha.masterId, startedAt),
      });
      self = new DistributedGovernor(options, store, services, log);
      return self;
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

  /** The bound HTTP port (0 when HTTP is off). */
  get httpPort(): number {
    return this.services.httpPort;
  }

  /** The bound port (useful with `:0`). */
  get port(): number {
    return this.boundPort;
  }

  /** The address this master tells others (`--advertise`, else the listen address with the bound port). */
  address(): string {
    return boundAdvertise(this.options.ha, this.options.listen, this.boundPort);
  }

  /** Where state lives, for the start line. */
  describe(): string {
    return `data dir ${this.options.dataDir}`;
  }

  /** Binds the gRPC server with mTLS; resolves with the bound port. */
  async listen(): Promise<number> {
    if (this._state !== 'created') throw new UnavailableError(`cannot listen in state ${this._state}`);
    const { server, port } = await bindMasterServer(this.options, { current: () => this.services }, this.log);
    this.server = server;
    this.boundPort = port;
    try {
      await this.services.listenHttp();
    } catch (err) {
      server.forceShutdown();
      throw err;
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
    this.services.stop();
    if (this.server) await stopServer(this.server, deadlineMs);
    await this.services.release({ markAgentsGone: true });
    await this.store.close();
    this.setState('stopped');
    this.resolveClosed();
  }

  closed(): Promise<void> {
    return this.closedPromise;
  }
}
