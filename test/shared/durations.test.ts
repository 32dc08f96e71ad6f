/** One duration rule for specs, settings files and flags; one `--since` rule for the CLI and the master. */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { MAX_TIMER_MS, durationMs, parseDurationSetting, sinceMs } from '../../shared/durations.js';

describe('durations: one parser', () => {
  it('text or a number of seconds, in ms', () => {
    assert.equal(durationMs('250ms'), 250);
    assert.equal(durationMs('1m30s'), 90_000);
    assert.equal(durationMs('1.5s'), 1500);
    assert.equal(durationMs('0'), 0);
    assert.equal(durationMs(10), 10_000);
    assert.equal(durationMs(0.25), 250);
  });

  it('anything else is refused with one reason, whatever its type', () => {
    for (const bad of ['10x', '', 's', '1 s', '-1s', -1, true, null, {}]) {
      assert.throws(() => durationMs(bad), {
        message: `${JSON.stringify(bad)} is not a duration (use e.g. 500ms, 10s, 5m)`,
      });
    }
  });

  it('above the timer limit is a RangeError naming the limit; a span may lift it', () => {
    assert.throws(() => durationMs('30d'), RangeError);
    assert.throws(() => durationMs(30 * 86_400), RangeError);
    assert.equal(durationMs(`${MAX_TIMER_MS}ms`), MAX_TIMER_MS);
    assert.equal(durationMs('90d', Infinity), 90 * 86_400_000);
  });

  it('a setting is refused naming where it came from', () => {
    assert.throws(() => parseDurationSetting('2x', 'm.yaml: heartbeat_interval'), {
      name: 'ValidationError',
      message: 'm.yaml: heartbeat_interval: "2x" is not a duration (use e.g. 500ms, 10s, 5m)',
    });
    assert.throws(() => parseDurationSetting('2x', '--timeout', (m) => new ValidationError(`usage: ${m}`)), {
      message: /^usage: --timeout: "2x" is not a duration/,
    });
    assert.equal(parseDurationSetting(3, 'x'), 3000);
  });

  it('--since: an ISO-8601 time or a duration ago (unbounded), else null', () => {
    const now = Date.parse('2025-02-01T00:00:00Z');
    assert.equal(sinceMs('2025-01-31T12:00:00Z', now), Date.parse('2025-01-31T12:00:00Z'));
    assert.equal(sinceMs('10m', now), now - 600_000);
    assert.equal(sinceMs(' 90d ', now), now - 90 * 86_400_000);
    assert.equal(sinceMs('yesterday', now), null);
    assert.equal(sinceMs('2025-13-45', now), null);
  });
});
