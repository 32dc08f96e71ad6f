/**
 * The watchers and the ring they resume from. Every kept event is numbered, kept and offered to each
 * watcher in one synchronous step, and a new watcher's start (notice, snapshot, replay) is taken in the
 * same step as it joins: no event falls between its replay and its live events, none comes twice.
 */
import { randomBytes } from 'node:crypto';
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
import { status } from '@grpc/grpc-js';
import { EventRing, type KeptEvent, type ResumePoint } from './event-ring.js';
import { snapshotParts, type SnapshotSource } from './snapshot.js';
import { passes, type Concern, type WatchFilter } from './watch-filter.js';
import { Watcher, type WatchCall, type WatcherStats } from './watcher.js';

export interface WatchHubOptions {
  /** Kept events the ring holds (resume window). */
  ringSize: number;
  /** Watches open at once (default WATCH_LIMITS). */
  limits?: { perCaller: number; total: number };
  /** Live events a watcher may have waiting before it is dropped. */
  bufferSize: number;
  /** The current state, for snapshots. */
  snapshot: () => SnapshotSource;
  /** Clock in epoch ms. */
  now?: () => number;
  /** This master's life (WatchEvent.epoch); default: random. */
  epoch?: string;
}

/**
 * Watches open at once, per caller (certificate) and in all. A watch holds its start (the snapshot: about 0.7 MiB
 * on a fleet of 1,000 instances) until the client reads it: 3,000 unread watches of one viewer certificate took a
 * master from 118 MiB to 2.2 GiB and slowed `gov ps` to 13 s. `gov events -f`, `gov top` and each `gov ui` page
 * hold one.
 */
export const WATCH_LIMITS = { perCaller: 16, total: 256 };

export interface WatchHubStats {
  watchers: number;
  newest: number;
  oldest: number;
  each: WatcherStats[];
}

/** What an event concerns, for filters: rollouts name every handler they cover. */
export function concernOf(e: WatchEvent): Concern {
  const handlers = e.rollout
    ? (e.rollout.handlers ?? []).map((h) => h.name ?? '')
    : e.handler
      ? [e.handler]
      : [];
  return { kind: e.kind ?? '', handlers, agent: e.agent ?? '' };
}

export class WatchHub {
  readonly ring: EventRing;
  private readonly watchers = new Set<Watcher>();
  /** Open watches (following or still sending their start) by caller. */
  private readonly open = new Map<string, number>();
  private openTotal = 0;
  private nextId = 1;
  private closed = false;
  private readonly now: () => number;
  /** On every event sent (see WatchEvent.epoch). */
  readonly epoch: string;

  constructor(private readonly opts: WatchHubOptions) {
    this.ring = new EventRing(opts.ringSize);
    this.now = opts.now ?? Date.now;
    this.epoch = opts.epoch ?? randomBytes(8).toString('hex');
  }

  /** Numbers and keeps `event`, then offers it to every watcher. */
  publish(event: WatchEvent): KeptEvent {
    const kept = this.ring.push({ ...event, epoch: this.epoch });
    this.offer(kept);
    return kept;
  }

  /** Offers an event that is not kept (metrics): it carries the newest kept index. */
  broadcast(event: WatchEvent): void {
    if (this.watchers.size === 0) return;
    this.offer({ ...event, index: this.ring.newest, epoch: this.epoch });
  }

  /** Whether `f`'s resume point can be replayed: an index of another epoch is unknown here. */
  private resumePoint(f: WatchFilter): ResumePoint {
    if (f.epoch !== '' && f.epoch !== this.epoch) return 'unknown_index';
    return this.ring.check(f.since);
  }

  private offer(e: WatchEvent): void {
    if (this.watchers.size === 0) return;
    const concern = concernOf(e);
    const nowMs = this.now();
    for (const w of [...this.watchers]) w.offer(e, concern, nowMs);
  }

  /**
   * Adds a watcher for `call` of `caller` (a certificate's identity) and sends it its start (see the file
   * comment); refused with RESOURCE_EXHAUSTED (null) when the caller or the master holds its limit of watches.
   */
  watch(call: WatchCall, filter: WatchFilter, caller = ''): Watcher | null {
    const limits = this.opts.limits ?? WATCH_LIMITS;
    const mine = this.open.get(caller) ?? 0;
    if (mine >= limits.perCaller || this.openTotal >= limits.total) {
      const details =
        mine >= limits.perCaller
          ? `${caller || 'this caller'} already holds ${mine} watches (at most ${limits.perCaller} at once): end one (gov events -f, gov top and gov ui each hold one)`
          : `this master already serves ${this.openTotal} watches (at most ${limits.total} at once): try again later`;
      call.emit('error', Object.assign(new Error(details), { code: status.RESOURCE_EXHAUSTED, details }));
      return null;
    }
    this.open.set(caller, mine + 1);
    this.openTotal++;
    const w = new Watcher(
      this.nextId++,
      call,
      filter,
      this.opts.bufferSize,
      (x) => {
        this.watchers.delete(x);
        this.openTotal--;
        const left = (this.open.get(caller) ?? 1) - 1;
        if (left > 0) this.open.set(caller, left);
        else this.open.delete(caller);
      },
      () => ({ oldest: this.ring.oldest, newest: this.ring.newest, epoch: this.epoch }),
    );
    if (this.closed) {
      w.close(shutdownError());
      return w;
    }
    if (filter.follow) this.watchers.add(w);
    // A client that resumes is complete up to `since`; one that starts now, up to the newest index.
    const resumable = filter.resume && this.resumePoint(filter) === 'ok';
    w.begin(this.startOf(filter), resumable ? filter.since : this.ring.newest);
    return w;
  }

  private startOf(f: WatchFilter): WatchEvent[] {
    const at = new Date(this.now()).toISOString();
    const newest = this.ring.newest;
    const snapshot = (): WatchEvent[] =>
      snapshotParts(this.opts.snapshot(), f, newest, at).map((e) => ({ ...e, epoch: this.epoch }));
    if (!f.resume) return f.snapshot ? snapshot() : [];
    const point = this.resumePoint(f);
    if (point !== 'ok') {
      const message =
        point === 'behind'
          ? `index ${f.since} is older than the events this master keeps (${this.ring.oldest}..${newest}): a snapshot follows`
          : f.epoch !== '' && f.epoch !== this.epoch
            ? `the master restarted: index ${f.since} is from its previous life (epoch ${f.epoch}, now ${this.epoch}); a snapshot follows`
            : `the master restarted: index ${f.since} is above its newest (${newest}); a snapshot follows`;
      const notice: WatchEvent = {
        index: newest,
        kind: 'notice',
        at,
        handler: '',
        agent: '',
        epoch: this.epoch,
        notice: { reason: point, message, oldest: this.ring.oldest, newest },
      };
      return [notice, ...snapshot()];
    }
    const replay: WatchEvent[] = this.ring.after(f.since).filter((e) => passes(f, concernOf(e)));
    return f.snapshot ? [...replay, ...snapshot()] : replay;
  }

  stats(): WatchHubStats {
    const each = [...this.watchers].map((w) => w.stats());
    return { watchers: each.length, newest: this.ring.newest, oldest: this.ring.oldest, each };
  }

  /**
   * Ends every watch stream (UNAVAILABLE: the master is going away; followers watch again elsewhere), with
   * `status` when given (an HA master stepping down: UNAVAILABLE with the leader's address in metadata).
   */
  close(status: Error & { code: number } = shutdownError()): void {
    this.closed = true;
    for (const w of [...this.watchers]) w.close(status);
    this.watchers.clear();
  }
}

function shutdownError(): Error & { code: number } {
  return Object.assign(new Error('the master is shutting down'), { code: status.UNAVAILABLE });
}
