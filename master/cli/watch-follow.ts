/**
 * Following the master's `Admin.Watch` for as long as a view lives (`gov events -f`, `gov top`, `gov ui`):
 * when the master ends the stream (it dropped this client for reading too slowly) or the connection is
 * lost, the watch is opened again from the last index received (and its epoch), so every kept event
 * reaches `onEvent` once; when the master no longer holds that index, or restarted since (another epoch),
 * it says so (a notice) and sends a snapshot. A watch lost in the middle of a snapshot asks for a whole
 * one again with its resume.
 * A refusal (bad filter, wrong role) is not retried: `done` rejects with it.
 */
import { backoffDelay, type BackoffSpec } from '../../shared/backoff.js';
import type { GovError } from '../../shared/errors.js';
import type { AdminApi, WatchEvent, WatchRequest, WatchStream } from './admin-client.js';

/** Between attempts to watch again after a lost connection. */
const RECONNECT: BackoffSpec = { initial_ms: 250, max_ms: 5000, factor: 2, jitter: 0.2 };

export interface FollowOptions {
  /** Told each time the watch is lost and opened again (error: why it was lost; null: the master ended it). */
  onReconnect?: (err: GovError | null, attempt: number) => void;
  /** Randomness for the reconnect jitter (tests). */
  random?: () => number;
}

export interface Following {
  /** Resolves when `stop()` is called (or a watch without `follow` ends); rejects on a refusal. */
  readonly done: Promise<void>;
  /** The index of the newest event received (0: none yet). */
  readonly lastIndex: number;
  stop(): void;
}

/** Watches with `req` and keeps watching (see the file comment). */
export function followWatch(
  api: AdminApi,
  req: WatchRequest,
  onEvent: (event: WatchEvent) => void,
  opts: FollowOptions = {},
): Following {
  let lastIndex = 0;
  let epoch = '';
  let received = false;
  // A snapshot begun and its last part not yet received: the parts so far are no state to resume from.
  let partial = false;
  let stopped = false;
  let current: WatchStream | null = null;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const run = async (): Promise<void> => {
    let attempt = 0;
    let next: WatchRequest = req;
    for (;;) {
      current = api.watch(next, (e) => {
        attempt = 0;
        received = true;
        if (e.kind === 'snapshot') partial = e.snapshot?.more === true;
        // Another epoch: the master restarted and numbers from 1 again (its notice carries its newest):
        // from there on its indexes count, or a later resume from the old, higher one would skip events.
        if (e.epoch && e.epoch !== epoch) {
          epoch = e.epoch;
          lastIndex = e.index;
        }
        if (e.index > lastIndex || e.notice?.reason === 'unknown_index') lastIndex = e.index;
        onEvent(e);
      });
      let lost: GovError | null = null;
      try {
        await current.done;
      } catch (err) {
        const e = err as GovError;
        // Only a lost or unreachable master is retried: anything else is the master's answer.
        if (e.kind !== 'UNAVAILABLE' || !req.follow) throw err;
        lost = e;
      }
      if (stopped || !req.follow) return;
      attempt++;
      opts.onReconnect?.(lost, attempt);
      // From where this client is (a snapshot comes only when the master cannot replay from there, or
      // again when the last one was cut before its last part).
      next = received ? { ...req, resume: true, since: lastIndex, epoch, snapshot: partial } : req;
      if (lost) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, backoffDelay(RECONNECT, attempt, opts.random ?? Math.random));
        });
        wake = null;
        if (stopped) return;
      }
    }
  };

  const done = run();
  return {
    done,
    get lastIndex() {
      return lastIndex;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      current?.cancel();
    },
  };
}
