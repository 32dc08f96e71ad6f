/**
 * Following a watch across drops and restarts: each new watch resumes from the last index received and
 * the epoch it came from, so a restarted master (indexes from 1 again) is never asked to replay from an
 * index of its predecessor's life.
 */
import assert from 'node:assert/strict';
import type { AdminApi, WatchEvent, WatchRequest } from '../../master/cli/admin-client.js';
import { followWatch } from '../../master/cli/watch-follow.js';
import { watchEvent } from './fake-admin.js';

describe('followWatch', () => {
  it('resumes from the last index and its epoch; after a restart, from the new epoch’s indexes', async () => {
    const asked: WatchRequest[] = [];
    // Each watch hands out its events then ends (as the master does after a dropped notice).
    const rounds: WatchEvent[][] = [
      [watchEvent({ index: 7, epoch: 'A' }), watchEvent({ index: 8, epoch: 'A' })],
      [watchEvent({ index: 2, kind: 'notice', epoch: 'B' }), watchEvent({ index: 3, epoch: 'B' })],
      [],
    ];
    let following: ReturnType<typeof followWatch> | null = null;
    const api = {
      watch(req: WatchRequest, onEvent: (e: WatchEvent) => void) {
        asked.push(req);
        const events = rounds.shift() ?? [];
        if (rounds.length === 0) following?.stop();
        return { done: Promise.resolve().then(() => events.forEach(onEvent)), cancel: () => {} };
      },
    } as unknown as AdminApi;
    const seen: number[] = [];
    following = followWatch(api, { follow: true, snapshot: true, kinds: ['instance'] }, (e) =>
      seen.push(e.index),
    );
    await following.done;
    assert.deepEqual(seen, [7, 8, 2, 3]);
    assert.deepEqual(
      asked.map((r) => [r.resume ?? false, r.since ?? 0, r.epoch ?? '', r.snapshot]),
      [
        [false, 0, '', true],
        [true, 8, 'A', false],
        [true, 3, 'B', false],
      ],
    );
  });
});
