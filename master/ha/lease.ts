/**
 * A master's etcd lease (HA): granted with `--lease-ttl`, renewed every third of it on one keepalive stream,
 * and judged LOCALLY too. etcd expires a lease TTL after the last renewal it processed; this master counts
 * from when it SENT that renewal (never later than etcd processed it), on the monotonic clock, so its own view
 * expires no later than etcd's. `alive()` checks that age against the TTL on every use: a master that was
 * paused (SIGSTOP) past its lease learns it on waking, before it acts, whatever its late timers do.
 * 'lost' is emitted once, when etcd says the lease is gone or the local deadline passes.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../../shared/logger.js';
import { withDeadline } from '../state/etcd-client.js';

/** The local view of a lease: may this master still act on it? Pure, time passed in. */
export function leaseFresh(renewedAt: number, now: number, ttlMs: number, marginMs: number): boolean {
  return now - renewedAt < ttlMs - marginMs;
}

/** How long before the TTL this master stops trusting its lease (time for an act to reach its target). */
export function leaseMarginMs(ttlMs: number): number {
  return Math.min(500, Math.floor(ttlMs / 10));
}

type KeepaliveStream = Awaited<ReturnType<Etcd3['leaseClient']['leaseKeepAlive']>>;

export interface LeaseEvents {
  lost: [reason: string];
}

export class MasterLease extends EventEmitter<LeaseEvents> {
  private renewedAt: number;
  private lostReason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stream: KeepaliveStream | null = null;
  private opening = false;
  /** Send times of the renewals on the stream not answered yet (answers come in order). */
  private sent: number[] = [];

  private constructor(
    private readonly client: Etcd3,
    /** The lease id as etcd gives it (decimal string). */
    readonly id: string,
    readonly ttlMs: number,
    grantedAt: number,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    super();
    this.renewedAt = grantedAt;
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Grants a lease of `ttlMs` (whole seconds) and keeps it alive; rejects when etcd does not answer in time. */
  static async grant(
    client: Etcd3,
    ttlMs: number,
    log: Logger,
    now: () => number = () => performance.now(),
  ): Promise<MasterLease> {
    const sentAt = now();
    const res = await withDeadline(client.leaseClient.leaseGrant({ TTL: Math.round(ttlMs / 1000) }), ttlMs);
    return new MasterLease(client, String(res.ID), ttlMs, sentAt, log, now);
  }

  /** Time since the last renewal etcd confirmed (counted from when it was sent), ms. */
  get ageMs(): number {
    return this.now() - this.renewedAt;
  }

  /** Still ours, as far as this master can prove — checked now; a lease found expired is lost from then on. */
  alive(): boolean {
    if (this.lostReason !== null) return false;
    if (leaseFresh(this.renewedAt, this.now(), this.ttlMs, leaseMarginMs(this.ttlMs))) return true;
    this.lose(`no renewal confirmed for ${Math.round(this.ageMs)} ms (lease TTL ${this.ttlMs} ms)`);
    return false;
  }

  /** Why the lease was lost (null while alive). */
  get lost(): string | null {
    return this.lostReason;
  }

  /** Stops renewing and revokes it in etcd (its keys go at once); best effort within the TTL. Idempotent. */
  async revoke(): Promise<void> {
    this.stop();
    if (this.lostReason === null) this.lostReason = 'revoked';
    try {
      await withDeadline(this.client.leaseClient.leaseRevoke({ ID: this.id }), this.ttlMs);
    } catch {
      /* expired already, or etcd away: it expires by its TTL */
    }
  }

  private tick(): void {
    if (!this.alive()) return;
    try {
      if (!this.stream) return this.open(); // renews as soon as it is open
      this.sent.push(this.now());
      this.stream.write({ ID: this.id });
    } catch (err) {
      this.dropStream(err);
    }
  }

  private open(): void {
    if (this.opening) return;
    this.opening = true;
    this.sent = [];
    void this.client.leaseClient.leaseKeepAlive().then(
      (stream) => {
        this.opening = false;
        if (this.lostReason !== null) {
          stream.end();
          return;
        }
        this.stream = stream;
        this.sent.push(this.now());
        stream.write({ ID: this.id });
        stream.on('data', (res: { TTL?: string | number }) => {
          const sentAt = this.sent.shift();
          if (Number(res.TTL ?? 0) <= 0) return this.lose('etcd says the lease expired');
          if (sentAt !== undefined && sentAt > this.renewedAt) this.renewedAt = sentAt;
        });
        stream.on('error', (err: unknown) => this.dropStream(err));
        stream.on('end', () => this.dropStream(null));
      },
      (err: unknown) => {
        this.opening = false;
        this.dropStream(err);
      },
    );
  }

  private dropStream(err: unknown): void {
    if (err) this.log.debug('lease keepalive stream failed', { lease: this.id, err });
    const s = this.stream;
    this.stream = null;
    this.sent = [];
    try {
      s?.end();
    } catch {
      /* gone */
    }
  }

  private lose(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.stop();
    this.log.warn('lease lost', { lease: this.id, reason });
    this.emit('lost', reason);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.dropStream(null);
  }
}
