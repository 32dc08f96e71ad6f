/**
 * The kept events of the watch stream: numbered from 1 (one above the previous, for this master's life) and
 * held in a bounded ring, oldest dropped first, so a client can resume from the last index it saw.
 */
import type { WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';

/** A kept event: its index is set. */
export type KeptEvent = WatchEvent & { index: number };

/** Where `since` stands against the ring: replayable, older than it holds, or above its newest. */
export type ResumePoint = 'ok' | 'behind' | 'unknown_index';

export class EventRing {
  private readonly slots: Array<KeptEvent | undefined>;
  private next = 1;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity}`);
    this.slots = new Array<KeptEvent | undefined>(capacity);
  }

  /** Numbers `event` and keeps it (dropping the oldest when full); returns it. */
  push(event: WatchEvent): KeptEvent {
    const kept = { ...event, index: this.next++ };
    this.slots[kept.index % this.capacity] = kept;
    return kept;
  }

  /** Index of the newest kept event (0: none yet). */
  get newest(): number {
    return this.next - 1;
  }

  /** Index of the oldest event the ring still holds (newest + 1 when empty). */
  get oldest(): number {
    return Math.max(1, this.next - this.capacity);
  }

  /** Whether the events after `since` can be replayed (since 0: every kept event, always). */
  check(since: number): ResumePoint {
    if (since === 0) return 'ok';
    if (since > this.newest) return 'unknown_index';
    if (since < this.oldest - 1) return 'behind';
    return 'ok';
  }

  /** The kept events with an index above `since`, oldest first (callers check() first). */
  after(since: number): KeptEvent[] {
    const out: KeptEvent[] = [];
    for (let i = Math.max(since + 1, this.oldest); i <= this.newest; i++) {
      const e = this.slots[i % this.capacity];
      if (e) out.push(e);
    }
    return out;
  }
}
