/**
 * One watch stream: what it asked for, what it still has to send (the start: notice, snapshot parts and the
 * replay, then live events), and its bounded buffer. Events are handed to grpc-js only while it takes them
 * (`write()` true); the rest wait here. When the live events waiting exceed the bound (the client does not
 * read fast enough), the watcher is dropped: one `dropped` notice, the stream ends with status OK (a
 * follower re-watches from the last index it received), and everything it held is released.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
import type { WatchRequest__Output } from '../../proto/generated/governor/v1/WatchRequest.js';
import { passes, type Concern, type WatchFilter } from './watch-filter.js';
import { resetStream } from '../api/http2-stream.js';

/** How long a dropped or ended stream may take to flush its end before it is reset. */
export const END_GRACE_MS = 5000;

export type WatcherState = 'starting' | 'live' | 'ended';

export type WatchCall = ServerWritableStream<WatchRequest__Output, WatchEvent>;

export interface WatcherStats {
  id: number;
  state: WatcherState;
  /** Events waiting here (start + live) and in grpc-js's write buffer. */
  buffered: number;
}

export class Watcher {
  private _state: WatcherState = 'starting';
  /** The start (notice, snapshot parts, replay), sent before any live event. */
  private start: WatchEvent[] = [];
  private startAt = 0;
  private live: WatchEvent[] = [];
  /** Per agent: when its last metrics sample was sent (epoch ms). */
  private readonly metricsSent = new Map<string, number>();
  private endTimer: NodeJS.Timeout | null = null;
  /**
   * The index this client is complete up to: the highest index among the events handed to grpc-js (kept
   * events carry theirs, the others the newest kept before them), or where it started. A `dropped` notice
   * carries it: resuming from it misses nothing.
   */
  private position = 0;

  constructor(
    readonly id: number,
    private readonly call: WatchCall,
    readonly filter: WatchFilter,
    private readonly bound: number,
    /** Told once when the watcher ends (cancelled, dropped, finished, closed). */
    private readonly onEnd: (w: Watcher) => void,
    /** The oldest and newest kept index now, and the epoch (for the dropped notice). */
    private readonly newest: () => { oldest: number; newest: number; epoch: string },
  ) {
    call.on('drain', () => this.pump());
    call.on('cancelled', () => this.release());
    call.on('finish', () => this.release());
  }

  get state(): WatcherState {
    return this._state;
  }

  stats(): WatcherStats {
    return {
      id: this.id,
      state: this._state,
      buffered: this.start.length - this.startAt + this.live.length + this.call.writableLength,
    };
  }

  /** Sets what is sent first (`from`: the index the client is complete up to before it), then goes live. */
  begin(start: WatchEvent[], from: number): void {
    this.position = from;
    this.start = start;
    this._state = 'live';
    this.pump();
  }

  /** A live event: queued when it passes the filter; the watcher is dropped when its buffer overflows. */
  offer(event: WatchEvent, concern: Concern, nowMs: number): void {
    if (this._state === 'ended' || !this.filter.follow) return;
    if (!passes(this.filter, concern)) return;
    if (event.kind === 'metrics') {
      if (!this.metricsDue(event.agent ?? '', nowMs)) return;
      event = narrowSample(event, this.filter.handlers);
    }
    this.live.push(event);
    if (this.live.length > this.bound) {
      this.drop();
      return;
    }
    if (this._state === 'live') this.pump();
  }

  /** Ends the stream with `status` (master shutdown), releasing it at once if it cannot flush. */
  close(error: Error & { code: number }): void {
    if (this._state === 'ended') return;
    this.start = [];
    this.live = [];
    this.ending();
    this.call.emit('error', error);
  }

  private metricsDue(agent: string, nowMs: number): boolean {
    const every = this.filter.metricsIntervalMs ?? 0;
    const last = this.metricsSent.get(agent);
    if (every > 0 && last !== undefined && nowMs - last < every) return false;
    this.metricsSent.set(agent, nowMs);
    return true;
  }

  private pump(): void {
    if (this._state !== 'live') return;
    // While grpc-js asked to wait ('drain' pending), events stay here, where the bound is counted.
    while (!this.call.writableNeedDrain) {
      let next: WatchEvent | undefined;
      if (this.startAt < this.start.length) next = this.start[this.startAt++];
      else {
        if (this.start.length > 0) this.start = []; // released once sent
        this.startAt = 0;
        next = this.live.shift();
      }
      if (next === undefined) break;
      this.position = Math.max(this.position, Number(next.index ?? 0));
      this.call.write(next);
    }
    if (!this.filter.follow && this.startAt >= this.start.length && this.live.length === 0) {
      this.call.end();
      this.ending();
    }
  }

  private drop(): void {
    const { oldest, newest, epoch } = this.newest();
    this.start = [];
    this.live = [];
    this.call.write({
      index: this.position,
      epoch,
      kind: 'notice',
      at: new Date().toISOString(),
      notice: {
        reason: 'dropped',
        message:
          `this client read too slowly (more than ${this.bound} events waiting): the stream ends; ` +
          `watch again with resume and since ${this.position} (the index of this notice)`,
        oldest,
        newest,
      },
    });
    this.call.end();
    this.ending();
  }

  /** Stops taking events; resets the stream if it has not ended within END_GRACE_MS. */
  private ending(): void {
    if (this._state === 'ended') return;
    this._state = 'ended';
    this.onEnd(this);
    this.endTimer = setTimeout(() => resetStream(this.call), END_GRACE_MS).unref();
  }

  private release(): void {
    this.start = [];
    this.live = [];
    if (this.endTimer) clearTimeout(this.endTimer);
    this.endTimer = null;
    if (this._state === 'ended') return;
    this._state = 'ended';
    this.onEnd(this);
  }
}

/** A metrics sample with only the instances of the handlers asked for (all when none are named). */
function narrowSample(e: WatchEvent, handlers: ReadonlySet<string>): WatchEvent {
  if (handlers.size === 0 || !e.metrics) return e;
  const instances = (e.metrics.instances ?? []).filter((m) => handlers.has(m.handler ?? ''));
  return { ...e, metrics: { ...e.metrics, instances } };
}
