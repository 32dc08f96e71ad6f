/** The watch ring: indexes from 1, one apart; bounded; where a resume index stands against it. */
import assert from 'node:assert/strict';
import { EventRing } from '../../master/watch/event-ring.js';
import { instanceEvent } from './watch-fakes.js';

describe('watch event ring', () => {
  it('numbers kept events from 1, one above the previous', () => {
    const r = new EventRing(10);
    assert.equal(r.newest, 0);
    assert.deepEqual(
      [1, 2, 3].map(() => r.push(instanceEvent('web')).index),
      [1, 2, 3],
    );
    assert.equal(r.newest, 3);
    assert.equal(r.oldest, 1);
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const r = new EventRing(5);
    for (let i = 0; i < 12; i++) r.push(instanceEvent('web'));
    assert.equal(r.oldest, 8);
    assert.deepEqual(
      r.after(0).map((e) => e.index),
      [8, 9, 10, 11, 12],
    );
  });

  it('replays exactly the events after an index it holds; says behind or unknown_index otherwise', () => {
    const r = new EventRing(5);
    for (let i = 0; i < 12; i++) r.push(instanceEvent('web'));
    assert.deepEqual(
      r.after(10).map((e) => e.index),
      [11, 12],
    );
    assert.equal(r.check(7), 'ok', 'since 7: the ring holds 8.. — nothing is missing');
    assert.equal(r.check(6), 'behind', 'event 7 is gone');
    assert.equal(r.check(12), 'ok');
    assert.deepEqual(r.after(12), []);
    assert.equal(r.check(13), 'unknown_index');
    assert.equal(new EventRing(3).check(0), 'ok', 'an empty ring serves since 0');
  });

  it('since 0 asks for every kept event: served without a behind notice after the ring wrapped', () => {
    const r = new EventRing(5);
    for (let i = 0; i < 12; i++) r.push(instanceEvent('web'));
    assert.equal(r.check(0), 'ok');
    assert.deepEqual(
      r.after(0).map((e) => e.index),
      [8, 9, 10, 11, 12],
    );
  });
});
