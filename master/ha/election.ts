/**
 * Leader election among HA masters on etcd (issue 16). Each master holds ONE lease (lease.ts, `--lease-ttl`)
 * carrying its registry entry `<prefix>masters/<id>` and, while it leads, the leader key `<prefix>leader`
 * ({id, address, since}), created in a transaction only if absent. The key's create revision is the store's
 * Fence: every write of the leader's store is conditioned on it (master/state/etcd-store.ts).
 *
 * States (one setter, logged): starting → campaigning ⇄ following, campaigning → leading → campaigning (on
 * stepping down: the lease lost — etcd said so, or its local deadline passed —, a fenced write, etcd lost),
 * any → closed. Followers watch the leader key: its address is the hint they refuse calls with, and its
 * deletion starts a campaign at once (a poll every TTL backs the watch up).
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { StateError, UnavailableError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ListMastersResponse } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import type { Fence } from '../state/etcd-store.js';
import { withDeadline } from '../state/etcd-client.js';
import { MasterLease } from './lease.js';
import {
  GOVERNOR_VERSION,
  haMasters,
  parseLeaderEntry,
  parseMasterEntry,
  type LeaderEntry,
  type MasterEntry,
} from './masters-info.js';

/** How long past the holder's lease TTL a starting master waits for its id to be free (etcd expires late). */
const ID_WAIT_MARGIN_MS = 2000;
/** The longest lease TTL a master may have (`--lease-ttl` at most 1 h): a bound on that wait. */
const MAX_HOLDER_TTL_MS = 3_600_000;

/** Our master id is held by a registry entry in etcd (a running master, or a dead one's until its lease expires). */
export class MasterIdInUseError extends StateError {
  readonly holderTtlMs: number;
  readonly holderAddress: string;
  constructor(id: string, holder: MasterEntry | null) {
    super(
      `master id ${id} is in use by a running master${holder ? ` at ${holder.address}` : ''}; ` +
        `give each master its own --master-id (or --advertise address)`,
    );
    this.holderTtlMs = holder?.lease_ttl_ms ?? 0;
    this.holderAddress = holder?.address ?? '';
  }
}

export type ElectionState = 'starting' | 'campaigning' | 'following' | 'leading' | 'closed';

export interface ElectionOptions {
  /** The cluster's key prefix (ends in `/`). */
  prefix: string;
  /** This master's id and the address others are told. */
  id: string;
  address: string;
  leaseTtlMs: number;
  log: Logger;
}

export interface ElectionEvents {
  /** This master leads; `fence` guards its store. */
  elected: [fence: Fence];
  /** It no longer leads (it campaigns again by itself). */
  deposed: [reason: string];
}

/** Pause between failed campaign attempts (etcd away), growing to the TTL. */
const RETRY_MIN_MS = 200;

/**
 * The pause before campaigning again after `shortTerms` terms in a row that each ended within a TTL of
 * being won (the leader could not open its store, or lost its lead at once): none after the first, then
 * doubling from RETRY_MIN_MS up to the TTL — a master that keeps failing to lead must not win, fail and
 * campaign again many times a second (etcd churn, the leader key flapping under every client).
 */
export function shortTermPauseMs(shortTerms: number, ttlMs: number): number {
  if (shortTerms < 2) return 0;
  return Math.min(RETRY_MIN_MS * 2 ** (shortTerms - 2), ttlMs);
}

export class Election extends EventEmitter<ElectionEvents> {
  private _state: ElectionState = 'starting';
  private lease: MasterLease | null = null;
  private _fence: Fence | null = null;
  private known: LeaderEntry | null = null;
  private watcher: Watcher | null = null;
  /** Wakes the campaign loop (the leader key was deleted, the lease was lost, …). */
  private wake: () => void = () => {};
  private readonly startedAt = new Date().toISOString();
  /** When the current term was won (monotonic ms), and how many terms in a row ended within a TTL. */
  private electedAt = 0;
  private shortTerms = 0;
  readonly leaderKey: string;
  readonly mastersPrefix: string;

  constructor(
    private readonly client: Etcd3,
    private readonly opts: ElectionOptions,
  ) {
    super();
    this.leaderKey = `${opts.prefix}leader`;
    this.mastersPrefix = `${opts.prefix}masters/`;
  }

  get state(): ElectionState {
    return this._state;
  }

  private setState(to: ElectionState): void {
    if (this._state === to) return;
    this.opts.log.info('election state', { from: this._state, to, master: this.opts.id });
    this._state = to;
  }

  /** The fence while leading (null otherwise). */
  get fence(): Fence | null {
    return this._state === 'leading' ? this._fence : null;
  }

  /** Leads now: checked against the lease's local deadline on every call (a late waker steps down here). */
  isLeader(): boolean {
    if (this._state !== 'leading') return false;
    if (this.lease?.alive()) return true;
    this.stepDown(`lease lost: ${this.lease?.lost ?? 'none'}`);
    return false;
  }

  /** The leader's address as last seen ('' when none is known, or this master leads). */
  leaderAddress(): string {
    if (this._state === 'leading') return this.opts.address;
    return this.known && this.known.id !== this.opts.id ? this.known.address : '';
  }

  /**
   * Registers this master (refused when another live master holds its id) and starts campaigning. Rejects
   * when etcd does not answer or the id is taken; afterwards, failures are retried by the loop.
   */
  async start(): Promise<void> {
    if (this._state !== 'starting') throw new StateError(`election already ${this._state}`);
    await this.register();
    this.watchLeader();
    this.setState('campaigning');
    void this.loop();
  }

  /**
   * Stops leading (stores, streams: the 'deposed' listener), revokes the lease so that its keys go at once
   * (others campaign without waiting for the TTL), then campaigns again with a new lease.
   */
  stepDown(reason: string): void {
    if (this._state !== 'leading') return;
    this.opts.log.warn('stepping down', { master: this.opts.id, reason });
    this._fence = null;
    this.setState('campaigning');
    const lease = this.lease;
    this.lease = null;
    this.emit('deposed', reason);
    const short = performance.now() - this.electedAt < this.opts.leaseTtlMs;
    this.shortTerms = short ? this.shortTerms + 1 : 0;
    const pauseMs = shortTermPauseMs(this.shortTerms, this.opts.leaseTtlMs);
    if (pauseMs > 0)
      this.opts.log.warn('campaigning again after a pause: the last terms ended at once', {
        master: this.opts.id,
        short_terms: this.shortTerms,
        pause_ms: pauseMs,
      });
    // Not cut short by the leader key's deletion (our own revocation deletes it): a plain timer.
    void (lease?.revoke() ?? Promise.resolve())
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, pauseMs).unref()))
      .then(() => this.loop());
  }

  /** Leaves the election: the lease is revoked (leader key and registry entry go). Idempotent. */
  async close(): Promise<void> {
    if (this._state === 'closed') return;
    const wasLeading = this._state === 'leading';
    this.setState('closed');
    this.wake();
    this.watcher?.cancel().catch(() => {});
    this.watcher = null;
    if (wasLeading) this.emit('deposed', 'master shutting down');
    await this.lease?.revoke();
    this.lease = null;
  }

  /** Admin.ListMasters from etcd (a follower answers too). */
  async listMasters(): Promise<ListMastersResponse> {
    const [entries, leader] = await withDeadline(
      Promise.all([
        this.client.getAll().prefix(this.mastersPrefix).exec(),
        this.client.get(this.leaderKey).string(),
      ]),
      this.opts.leaseTtlMs,
    ).catch((err: unknown) => {
      throw new UnavailableError(`etcd did not answer the masters list: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    const list: Array<MasterEntry & { lease: string }> = [];
    for (const kv of entries.kvs) {
      const e = parseMasterEntry(kv.value.toString());
      if (e) list.push({ ...e, lease: String(kv.lease) });
    }
    const ages = new Map<string, number>();
    await Promise.all(
      list.map(async (e) => {
        if (e.id === this.opts.id && this.lease && String(this.lease.id) === e.lease) {
          ages.set(e.id, Math.round(this.lease.ageMs));
          return;
        }
        // Another master's lease, as etcd sees it (whole seconds): the TTL it was granted less what remains.
        try {
          const ttl = await withDeadline(this.client.leaseClient.leaseTimeToLive({ ID: e.lease }), 2000);
          const remaining = Number(ttl.TTL);
          ages.set(e.id, remaining >= 0 ? Math.max(0, Number(ttl.grantedTTL) - remaining) * 1000 : -1);
        } catch {
          ages.set(e.id, -1);
        }
      }),
    );
    return haMasters(
      list,
      leader ? parseLeaderEntry(leader) : null,
      (id) => ages.get(id) ?? -1,
      this.opts.id,
    );
  }

  // ---- campaign ----

  private async loop(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (this._state === 'campaigning' || this._state === 'following') {
      try {
        await this.ensureLease();
        if (await this.tryLead()) return;
        retryMs = RETRY_MIN_MS;
        await this.waitForVacancy();
      } catch (err) {
        if (this.state === 'closed') return;
        this.opts.log.warn('campaign failed; retrying', { master: this.opts.id, err });
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, this.opts.leaseTtlMs);
      }
    }
  }

  /** One attempt: create the leader key if absent. Won: leading (emits 'elected'); else following. */
  private async tryLead(): Promise<boolean> {
    const lease = this.lease;
    if (!lease) return false;
    const entry: LeaderEntry = {
      id: this.opts.id,
      address: this.opts.address,
      since: new Date().toISOString(),
    };
    const res = await withDeadline(
      this.client
        .if(this.leaderKey, 'Create', '==', 0)
        .then(
          this.client.put(this.leaderKey).value(JSON.stringify(entry)).lease(lease.id),
          this.client.get(this.leaderKey),
        )
        .else(this.client.get(this.leaderKey))
        .commit(),
      this.opts.leaseTtlMs,
    );
    const kv = (res.responses[res.succeeded ? 1 : 0]?.response_range?.kvs ?? [])[0];
    if (!res.succeeded || !kv) {
      this.noteLeader(kv);
      if (this._state === 'campaigning') this.setState('following');
      return false;
    }
    if (this._state !== 'campaigning' && this._state !== 'following') return false; // closed meanwhile
    // Won, but only if the lease is still good now (the attempt may have taken long).
    if (!lease.alive() || this.lease !== lease) return false;
    this._fence = { key: this.leaderKey, createRevision: String(kv.create_revision) };
    this.electedAt = performance.now();
    this.known = entry;
    this.setState('leading');
    this.opts.log.info('elected leader', { master: this.opts.id, fence: this._fence.createRevision });
    this.emit('elected', this._fence);
    return true;
  }

  /**
   * The first registration. Our id held by an entry may be this very master's previous life (killed -9 and
   * restarted by its supervisor at once): that entry's lease expires within its TTL, so the id is tried
   * again until then (the holder's TTL + ID_WAIT_MARGIN_MS); an entry still there after that is renewed by
   * a live master, and the id is refused.
   */
  private async register(): Promise<void> {
    let until = 0;
    for (;;) {
      try {
        return await this.ensureLease();
      } catch (err) {
        if (!(err instanceof MasterIdInUseError)) throw err;
        if (this._state !== 'starting') throw err;
        if (until === 0) {
          const ttlMs = Math.min(err.holderTtlMs || this.opts.leaseTtlMs, MAX_HOLDER_TTL_MS);
          until = performance.now() + ttlMs + ID_WAIT_MARGIN_MS;
          this.opts.log.warn('master id held by an entry in etcd; waiting for its lease to expire', {
            master: this.opts.id,
            holder: err.holderAddress,
            wait_ms: ttlMs + ID_WAIT_MARGIN_MS,
          });
        }
        if (performance.now() >= until) throw err;
        await new Promise<void>((resolve) => setTimeout(resolve, RETRY_MIN_MS * 2).unref());
      }
    }
  }

  /** A lease of our own, with our registry entry on it. A live master elsewhere with our id is refused. */
  private async ensureLease(): Promise<void> {
    if (this.lease?.alive()) return;
    const old = this.lease;
    this.lease = null;
    await old?.revoke(); // its registry entry goes with it (else the new one would find our id taken)
    const lease = await MasterLease.grant(this.client, this.opts.leaseTtlMs, this.opts.log);
    lease.on('lost', (reason) => {
      if (this.lease !== lease) return;
      if (this._state === 'leading') this.stepDown(`lease lost: ${reason}`);
      else this.wake();
    });
    const key = `${this.mastersPrefix}${encodeURIComponent(this.opts.id)}`;
    const entry: MasterEntry = {
      id: this.opts.id,
      address: this.opts.address,
      version: GOVERNOR_VERSION,
      started_at: this.startedAt,
      lease_ttl_ms: this.opts.leaseTtlMs,
    };
    // Ours when absent, or when the entry is on a lease that is gone (a previous term of this very master).
    const res = await withDeadline(
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(entry)).lease(lease.id))
        .else(this.client.get(key))
        .commit(),
      this.opts.leaseTtlMs,
    ).catch(async (err: unknown) => {
      await lease.revoke();
      throw err;
    });
    if (!res.succeeded) {
      const holder = parseMasterEntry(res.responses[0]?.response_range?.kvs?.[0]?.value.toString() ?? '');
      await lease.revoke();
      throw new MasterIdInUseError(this.opts.id, holder);
    }
    this.lease = lease;
  }

  /** Follows the leader key: who leads (the hint), and a vacancy wakes the campaign. */
  private watchLeader(): void {
    void this.client
      .watch()
      .key(this.leaderKey)
      .create()
      .then(
        (w) => {
          if (this._state === 'closed') return void w.cancel().catch(() => {});
          this.watcher = w;
          w.on('put', (kv) => {
            this.noteLeader(kv);
            // Our key replaced under us (only by hand: a leader's key lives as long as its lease).
            if (this._state === 'leading' && String(kv.create_revision) !== this._fence?.createRevision)
              this.stepDown('the leader key was replaced');
          });
          w.on('delete', () => {
            this.known = null;
            if (this._state === 'leading') this.stepDown('the leader key was deleted');
            this.wake();
          });
          w.on('error', (err) => this.opts.log.debug('leader watch', { err }));
        },
        (err: unknown) => this.opts.log.warn('cannot watch the leader key', { err }),
      );
  }

  private noteLeader(kv: IKeyValue | undefined): void {
    const entry = kv ? parseLeaderEntry(kv.value.toString()) : null;
    this.known = entry;
  }

  /** Until the leader key is gone, the lease is lost, or a TTL passed (then look again). */
  private waitForVacancy(): Promise<void> {
    return this.pause(this.opts.leaseTtlMs);
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(t);
        if (this.wake === finish) this.wake = () => {};
        resolve();
      };
      const t = setTimeout(finish, ms);
      t.unref();
      this.wake = finish;
    });
  }
}
