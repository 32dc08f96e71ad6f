/**
 * An HA master (`gov master --store etcd`): ONE gRPC server bound for the life of the process (its address
 * is stable), and an election (election.ts). While it follows, agent links and every Admin call but
 * ListMasters are refused with NotLeaderError(leader address) — UNAVAILABLE, the address in metadata
 * `governor-leader`. On winning it opens the etcd store fenced by its leadership (a fresh load), builds the
 * leader's services the one way the single master does (services.ts; in-flight rollouts continue) and routes
 * calls to them. On stepping down — lease lost (etcd said so, or its local deadline passed), a fenced write,
 * etcd lost — it closes them: rollouts stop, agent streams and watches end with UNAVAILABLE and the leader
 * hint, the store is closed (a write after that fails loudly, and the fence refuses it in etcd anyway); then
 * it campaigns again.
 */
import { status as grpcStatus, type Server } from '@grpc/grpc-js';
import type { AdminHandlers } from '../../proto/generated/governor/v1/Admin.js';
import { unary } from '../api/unary.js';
import { NotLeaderError, UnavailableError, errorMessage } from '../../shared/errors.js';
import { toServiceError } from '../../shared/grpc-status.js';
import type { Logger } from '../../shared/logger.js';
import { connectEtcd, type EtcdConnection } from '../state/etcd-client.js';
import { openEtcdStore, type EtcdMasterStore, type Fence } from '../state/etcd-store.js';
import type { MasterOptions } from '../options.js';
import { MasterServices } from '../services.js';
import { bindMasterServer, stopServer } from '../server.js';
import { checkClusterPrefix } from './cluster-prefix.js';
import { Election } from './election.js';
import { boundAdvertise } from './ha-options.js';

export type HaMasterState = 'created' | 'listening' | 'stopping' | 'stopped';

/** The leader's part, while it leads. */
interface Term {
  store: EtcdMasterStore;
  services: MasterServices;
}

export class HaMaster {
  private _state: HaMasterState = 'created';
  private server: Server | null = null;
  private boundPort = 0;
  private election: Election | null = null;
  private term: Term | null = null;
  /** Bumped on every win and step-down: a term being opened notices it was overtaken. */
  private generation = 0;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private readonly log: Logger;

  private constructor(
    readonly options: MasterOptions,
    readonly etcd: EtcdConnection,
    logger: Logger,
  ) {
    this.log = logger.named('master');
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
  }

  /** Connects to etcd; an unreachable etcd is an UnavailableError naming the endpoints. */
  static async create(options: MasterOptions, logger: Logger): Promise<HaMaster> {
    const etcdOpts = options.ha.etcd;
    if (!etcdOpts) throw new UnavailableError('HaMaster needs --store etcd');
    const etcd = await connectEtcd({
      endpoints: etcdOpts.endpoints,
      ...(etcdOpts.ca ? { ca: etcdOpts.ca } : {}),
      ...(etcdOpts.cert ? { cert: etcdOpts.cert } : {}),
      ...(etcdOpts.key ? { key: etcdOpts.key } : {}),
      dialTimeoutMs: Math.min(options.ha.leaseTtlMs, 5000),
    });
    return new HaMaster(options, etcd, logger);
  }

  get state(): HaMasterState {
    return this._state;
  }

  private setState(to: HaMasterState): void {
    this.log.debug('master state', { from: this._state, to });
    this._state = to;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The leader's HTTP port while this master leads (0 otherwise, or when HTTP is off). */
  get httpPort(): number {
    return this.term?.services.httpPort ?? 0;
  }

  /** The address this master tells others. */
  address(): string {
    return boundAdvertise(this.options.ha, this.options.listen, this.boundPort);
  }

  /** This master's id (`--master-id`, else its address). */
  id(): string {
    return this.options.ha.masterId || this.address();
  }

  /** Where state lives and who this master is, for the start line. */
  describe(): string {
    const ha = this.options.ha;
    return (
      `store etcd ${this.etcd.describe} prefix ${ha.etcd?.prefix ?? ''}, id ${this.id()}, ` +
      `advertise ${this.address()}, lease ${ha.leaseTtlMs / 1000}s`
    );
  }

  /** True while it leads (the lease checked now). */
  isLeader(): boolean {
    return this.election?.isLeader() === true && this.term !== null;
  }

  /** The leader's services while this master leads (tests), else null. */
  get services(): MasterServices | null {
    return this.isLeader() ? (this.term?.services ?? null) : null;
  }

  /** Binds the server (once, for the life of the process), registers and starts campaigning. */
  async listen(): Promise<number> {
    if (this._state !== 'created') throw new UnavailableError(`cannot listen in state ${this._state}`);
    const prefix = this.options.ha.etcd?.prefix ?? '/governor/';
    await checkClusterPrefix(this.etcd.client, prefix, '--etcd-prefix', this.options.ha.leaseTtlMs);
    const { server, port } = await bindMasterServer(
      this.options,
      {
        current: () => this.current(),
        always: { ListMasters: this.listMastersHandler() },
      },
      this.log,
    );
    this.server = server;
    this.boundPort = port;
    const election = new Election(this.etcd.client, {
      prefix,
      id: this.id(),
      address: this.address(),
      leaseTtlMs: this.options.ha.leaseTtlMs,
      log: this.log.named('election'),
    });
    election.on('elected', (fence) => void this.lead(fence));
    election.on('deposed', (reason) => this.follow(reason));
    try {
      await election.start();
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
    this.election = election;
    this.setState('listening');
    this.log.info('master listening', {
      address: this.options.listen,
      port: this.boundPort,
      advertise: this.address(),
      store: `etcd ${this.etcd.describe} prefix ${prefix}`,
    });
    return this.boundPort;
  }

  /** The services that answer a call now, or NotLeaderError with the leader's address. */
  private current(): MasterServices {
    const election = this.election;
    if (this.term && election?.isLeader()) return this.term.services;
    throw new NotLeaderError(election?.leaderAddress() ?? '');
  }

  /** ListMasters is answered by any master, a follower included (from etcd). */
  private listMastersHandler(): AdminHandlers['ListMasters'] {
    return unary(async () => {
      if (!this.election) throw new UnavailableError('this master is starting');
      return this.election.listMasters();
    });
  }

  /** Won: a fresh load of the store under the fence, then the leader's services. */
  private async lead(fence: Fence): Promise<void> {
    const generation = ++this.generation;
    const prefix = this.options.ha.etcd?.prefix ?? '/governor/';
    let store: EtcdMasterStore | null = null;
    let services: MasterServices | null = null;
    try {
      // The state lives under `<prefix>state/`, apart from the election's keys (`leader`, `masters/`).
      store = await openEtcdStore({ etcd: this.etcd, prefix: `${prefix}state/`, fence });
      const s = store;
      s.on('fenced', (err) => this.election?.stepDown(`a write was fenced: ${errorMessage(err)}`));
      s.on('unavailable', (err) => this.election?.stepDown(`etcd lost: ${errorMessage(err)}`));
      services = await MasterServices.open(store, this.options, this.log, {
        inFlightRollouts: 'continue',
        listMasters: () =>
          this.election?.listMasters() ?? Promise.reject(new UnavailableError('no election')),
      });
      if (generation !== this.generation || !this.election?.isLeader()) throw new NotLeaderError('');
      this.term = { store, services };
      // HTTP is the leader's (bound while it leads); a failed bind (a paused predecessor on this host still
      // holds the port) is logged, never a reason to give up the lead.
      await services
        .listenHttp()
        .catch((err: unknown) =>
          this.log.error('HTTP endpoint not served', { address: this.options.http, err }),
        );
      this.log.info('leading', { master: this.id(), fence: fence.createRevision, http: services.httpPort });
    } catch (err) {
      if (this.term?.services === services) this.term = null;
      services?.stop('lead lost while starting');
      await store?.close().catch(() => {});
      if (generation === this.generation && this.election?.state === 'leading') {
        this.log.error('cannot lead', { err });
        this.election.stepDown(`cannot lead: ${errorMessage(err)}`);
      }
    }
  }

  /** Deposed: stop acting at once; streams end with the leader's address (when known) as the hint. */
  private follow(reason: string): void {
    this.generation++;
    const term = this.term;
    this.term = null;
    if (!term) return;
    const status = toServiceError(
      new NotLeaderError(this.election?.leaderAddress() ?? '', `this master stepped down (${reason})`),
    );
    term.services.stop(`stepped down: ${reason}`, { ...status, code: grpcStatus.UNAVAILABLE });
    // Closed at once: a write still queued fails loudly (StateError), and is fenced in etcd anyway.
    void term.store.close().catch(() => {});
    void term.services.release({ markAgentsGone: false }).catch(() => {});
    this.log.warn('following', { master: this.id(), reason });
  }

  /** Leaves the election (the lead passes at once), ends every stream, closes etcd. */
  async shutdown(deadlineMs = 5000): Promise<void> {
    if (this._state === 'stopping' || this._state === 'stopped') return this.closedPromise;
    this.setState('stopping');
    const term = this.term;
    this.term = null;
    this.generation++;
    term?.services.stop();
    if (this.server) await stopServer(this.server, deadlineMs);
    if (term) {
      await term.services.release({ markAgentsGone: true });
      await term.store.close().catch(() => {});
    }
    await this.election?.close();
    this.etcd.close();
    this.setState('stopped');
    this.resolveClosed();
  }

  closed(): Promise<void> {
    return this.closedPromise;
  }
}
