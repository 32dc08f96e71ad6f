/** The restart policy as a pure decision: backoff grows, fatal after start_retries, each policy as named; the transition table. */
import assert from 'node:assert/strict';
import {
  assertTransition,
  appendEvent,
  IllegalTransitionError,
  type InstanceEvent,
} from '../../agent/instance/lifecycle.js';
import { decideRestart, type RestartPolicySpec } from '../../agent/instance/restart-policy.js';
import { backoffDelay } from '../../shared/backoff.js';

const policy = (
  restart: RestartPolicySpec['restart'],
  over: Partial<RestartPolicySpec> = {},
): RestartPolicySpec => ({
  restart,
  start_seconds: 1,
  start_retries: 3,
  backoff: { initial_ms: 1000, max_ms: 8000, factor: 2, jitter: 0 },
  ...over,
});
const T0 = 1_000_000;
const quick = (code: number | null, signal: string | null = null) => ({ code, signal, spawnedAt: T0 });
const mid = () => 0.5; // jitter term = 0

describe('restart policy', () => {
  it('backs off exponentially up to the cap, then goes fatal after start_retries', () => {
    const p = policy('always', { start_retries: 5 });
    let history = { failedStarts: 0 };
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = decideRestart(p, history, quick(1), T0 + 100, mid);
      assert.equal(d.action, 'restart');
      assert.ok(d.failedStart);
      delays.push(d.delayMs);
      history = d.history;
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
    const last = decideRestart(p, history, quick(1), T0 + 100, mid);
    assert.equal(last.action, 'fatal');
    assert.match(last.reason, /6 failed starts in a row \(start_retries: 5\)/);
  });

  it('an exit before the health check ever passed is a failed start however long it ran; once running, not', () => {
    const p = policy('always', { start_seconds: 0 });
    const late = { ...quick(1), beforeHealthy: true };
    const d = decideRestart(p, { failedStarts: 0 }, late, T0 + 60_000, mid);
    assert.equal(d.action, 'restart');
    assert.ok(d.failedStart);
    assert.equal(d.delayMs, 1000, 'backed off');
    assert.match(d.reason, /before its health check ever passed/);
    const ran = decideRestart(p, { failedStarts: 2 }, quick(1), T0 + 60_000, mid);
    assert.ok(!ran.failedStart);
    assert.equal(ran.delayMs, 0);
    assert.deepEqual(ran.history, { failedStarts: 0 });
  });

  it('applies jitter within ±jitter and never beyond the cap', () => {
    const b = { initial_ms: 1000, max_ms: 1500, factor: 2, jitter: 0.2 };
    assert.equal(
      backoffDelay(b, 1, () => 0),
      800,
    );
    assert.equal(
      backoffDelay(b, 1, () => 0.999999),
      1200,
    );
    assert.equal(
      backoffDelay(b, 3, () => 0.999999),
      1500,
    );
  });

  it('a run longer than start_seconds resets the retry count', () => {
    const d = decideRestart(policy('always'), { failedStarts: 3 }, quick(1), T0 + 5000, mid);
    assert.equal(d.action, 'restart');
    assert.equal(d.delayMs, 0);
    assert.equal(d.failedStart, false);
    assert.deepEqual(d.history, { failedStarts: 0 });
  });

  it('always restarts after success and failure', () => {
    assert.equal(decideRestart(policy('always'), { failedStarts: 0 }, quick(0), T0 + 5000).action, 'restart');
    assert.equal(decideRestart(policy('always'), { failedStarts: 0 }, quick(2), T0 + 5000).action, 'restart');
  });

  it('on-failure restarts on non-zero code or signal, not on code 0', () => {
    const p = policy('on-failure');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(0), T0 + 5000).action, 'none');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(0), T0 + 10).action, 'none');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(3), T0 + 5000).action, 'restart');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(null, 'SIGSEGV'), T0 + 5000).action, 'restart');
  });

  it('never does not restart, even a failed start', () => {
    const p = policy('never');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(1), T0 + 5000).action, 'none');
    assert.equal(decideRestart(p, { failedStarts: 0 }, quick(1), T0 + 10).action, 'none');
  });

  it('the transition table refuses illegal changes with a named error', () => {
    assertTransition('web', 'stopped', 'starting');
    assertTransition('web', 'starting', 'running');
    assert.throws(() => assertTransition('web', 'stopping', 'running'), IllegalTransitionError);
    assert.throws(
      () => assertTransition('web', 'unknown', 'running'),
      /web: illegal state transition unknown → running/,
    );
  });

  it('the event history is bounded', () => {
    const list: InstanceEvent[] = [];
    for (let i = 0; i < 120; i++) appendEvent(list, { at: i, type: 'X', message: `X ${i}` });
    assert.equal(list.length, 50);
    assert.equal(list[0]?.at, 70);
  });
});
