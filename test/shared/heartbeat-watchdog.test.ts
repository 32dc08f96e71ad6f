/**
 * The heartbeat watchdog both ends of the agent stream use: beats every interval while the peer is heard,
 * gives the peer up once after the grace, and does not blame the peer for our own starved event loop.
 * Runs on a fake clock: no real time passes.
 */
import assert from 'node:assert/strict';
import { HeartbeatWatchdog } from '../../shared/heartbeat-watchdog.js';
import { ManualClock } from '../helpers/manual-clock.js';

function watch(clock: ManualClock, intervalMs = 1000, graceMs = 3000) {
  const beats: number[] = [];
  const silences: number[] = [];
  const w = new HeartbeatWatchdog({
    clock,
    intervalMs,
    graceMs,
    beat: (now) => beats.push(now),
    silent: (ms) => silences.push(ms),
  });
  return { w, beats, silences };
}

describe('heartbeat watchdog', () => {
  it('beats every interval while the peer is heard', () => {
    const clock = new ManualClock();
    const { w, beats, silences } = watch(clock);
    const t0 = clock.now();
    w.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      w.heard();
    }
    assert.deepEqual(
      beats,
      [1, 2, 3, 4, 5].map((k) => t0 + k * 1000),
    );
    assert.deepEqual(silences, []);
    w.stop();
  });

  it('gives a silent peer up once, on the first tick past the grace, and stops', () => {
    const clock = new ManualClock();
    const { w, beats, silences } = watch(clock);
    w.start();
    clock.advance(3000);
    assert.deepEqual(silences, [], 'silent for exactly the grace: still alive');
    assert.equal(beats.length, 3);
    clock.advance(1000);
    assert.deepEqual(silences, [4000]);
    assert.equal(beats.length, 3, 'no beat to a peer given up');
    clock.advance(10_000);
    assert.deepEqual(silences, [4000], 'reported once');
    assert.equal(clock.pending(), 0, 'no timer left behind');
  });

  it('a late tick (our loop starved) restarts the count instead of blaming the peer', () => {
    const clock = new ManualClock();
    const { w, silences, beats } = watch(clock);
    w.start();
    clock.advance(1000);
    clock.starve(10_000); // the peer's messages are unread, not missing
    assert.deepEqual(silences, []);
    assert.equal(beats.length, 2);
    assert.equal(w.silentMs(), 0);
    clock.advance(3000);
    assert.deepEqual(silences, [], 'the grace counts from the late tick');
    clock.advance(1000);
    assert.deepEqual(silences, [4000]);
  });

  it('a tick only slightly late (within two intervals) is not starvation', () => {
    const clock = new ManualClock();
    const { w, silences } = watch(clock, 1000, 2500);
    w.start();
    clock.advance(1000);
    clock.starve(1900); // the next tick comes 1.9 intervals after the last: the peer had its chance
    assert.deepEqual(silences, [2900]);
  });

  it('stop() cancels its timer; start() is idempotent', () => {
    const clock = new ManualClock();
    const { w, beats } = watch(clock);
    w.start();
    w.start();
    assert.equal(clock.pending(), 1);
    w.stop();
    assert.equal(clock.pending(), 0);
    clock.advance(10_000);
    assert.deepEqual(beats, []);
  });
});
