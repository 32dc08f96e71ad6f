/**
 * The agent side of "the execution log ends up true" (DESIGN §8.10): command deadlines are judged in the
 * master's clock without being fooled by messages read late (after a freeze), and results are kept until
 * the master acknowledges them — bounded, slim.
 */
import assert from 'node:assert/strict';
import { CLOCK_MAX_SAMPLES, ClockOffset } from '../../agent/link/clock-offset.js';
import { ResultOutbox } from '../../agent/link/result-outbox.js';

describe('agent: judging deadlines and keeping results for a master that gave up', () => {
  it('heartbeats read late (the agent was frozen) never make an expired deadline look fresh', () => {
    const clock = new ClockOffset();
    // The master's clock is 5 s ahead of ours; heartbeats every 200 ms read at once.
    for (let t = 0; t < 2000; t += 200) clock.sample(5000 + t, t + 3);
    assert.ok(Math.abs(clock.offsetMs - 4997) < 1e-9);
    // Frozen at 2000 for 3 s: ten heartbeats queued meanwhile, all read at 5000.
    for (let t = 2000; t < 4000; t += 200) clock.sample(5000 + t, 5000);
    const deadline = 5000 + 2500 + 1500; // sent at master time 7500 with a 1.5 s timeout
    assert.ok(clock.masterNow(5000) > deadline, `expired: master now ≈ ${clock.masterNow(5000)}`);
  });

  it('however many heartbeats queued during the freeze, one read on time before it still counts', () => {
    const clock = new ClockOffset(10_000);
    clock.sample(5000, 3);
    // Frozen at 3 for 4 s with heartbeats every 10 ms: 400 queued, all read at 4003.
    for (let t = 10; t <= 4000; t += 10) clock.sample(5000 + t, 4003);
    assert.ok(Math.abs(clock.offsetMs - 4997) < 1e-9, `offset ${clock.offsetMs}`);
    assert.ok(
      clock.masterNow(4003) > 5000 + 2000 + 1500,
      'a command sent 2 s into the freeze, 1.5 s timeout',
    );
  });

  it('follows a real change of either clock: a step back of the master at once, one of ours within the window', () => {
    const clock = new ClockOffset(10_000);
    for (let i = 0; i < 5; i++) clock.sample(10_000 + i, i);
    assert.equal(clock.offsetMs, 10_000);
    clock.sample(2000, 100); // the master's clock stepped back 8 s
    assert.equal(clock.offsetMs, 1900);
    const ahead = new ClockOffset(10_000);
    ahead.sample(10_000, 0);
    ahead.sample(10_200, 5200); // our clock jumped 5 s ahead: the old sample holds within the window
    assert.equal(ahead.offsetMs, 10_000);
    ahead.sample(20_001, 15_001); // the window has passed
    assert.equal(ahead.offsetMs, 5000);
    assert.equal(new ClockOffset().offsetMs, 0, 'no sample: our own clock');
  });

  it('keeps a bounded number of samples whatever the heartbeat rate', () => {
    const clock = new ClockOffset(1e9);
    clock.sample(1, 0); // the best sample, but the oldest
    for (let i = 0; i < CLOCK_MAX_SAMPLES; i++) clock.sample(2 + i, 10);
    assert.equal(clock.offsetMs, CLOCK_MAX_SAMPLES + 1 - 10);
  });

  it('keeps results until acknowledged, slim, bounded (oldest dropped and reported)', () => {
    const dropped: string[] = [];
    const box = new ResultOutbox(3, (id) => dropped.push(id));
    box.add({
      command_id: 'a',
      ok: true,
      summary: 'web running pid 1',
      lines: ['x'.repeat(1000)],
      metrics: null,
    });
    box.add({ command_id: 'b', ok: false, error: { code: 'UNAVAILABLE', message: 'not carried out' } });
    assert.deepEqual(box.pending(), [
      { command_id: 'a', ok: true, summary: 'web running pid 1' },
      { command_id: 'b', ok: false, error: { code: 'UNAVAILABLE', message: 'not carried out' } },
    ]);
    box.ack(['a', 'unknown']);
    assert.deepEqual(
      box.pending().map((r) => r.command_id),
      ['b'],
    );
    for (const id of ['c', 'd', 'e']) box.add({ command_id: id, ok: true });
    assert.deepEqual(dropped, ['b']);
    assert.equal(box.size, 3);
  });
});
