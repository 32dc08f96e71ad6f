/**
 * Durations are bounded where the runtime is (DESIGN §8.13): Node fires a timer longer than 2^31-1 ms
 * after 1 ms, so every path that reads a duration refuses one above it, naming the limit and where the
 * value came from, and every computed delay stays within it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readAgentConfig } from '../../agent/options.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { HealthMonitor } from '../../agent/health/monitor.js';
import { probeDelayMs } from '../../agent/health/checks.js';
import { readinessDeadlineMs } from '../../shared/handler-waits.js';
import { decideRestart } from '../../agent/instance/restart-policy.js';
import { backoffDelay } from '../../shared/backoff.js';
import { compileMasterOptions, readMasterConfig } from '../../master/options.js';
import { compileOverrides } from '../../master/rollout/service.js';
import { main } from '../../master/cli/gov-program.js';
import { MAX_TIMER_MS, exactDuration, parseDuration } from '../../shared/durations.js';
import { ValidationError } from '../../shared/errors.js';
import { parseHandler, parseHandlersFile } from '../../shared/spec.js';
import type { StartRolloutRequest__Output } from '../../proto/generated/governor/v1/StartRolloutRequest.js';
import { tempDir } from '../helpers/common.js';
import { FakeAdmin, captureIO } from '../cli/fake-admin.js';

const LIMIT = 'exceeds the longest timer Node can run, 24d20h31m23.647s (2147483647 ms)';

function refusedSpec(handler: string): string {
  try {
    parseHandlersFile(`handlers:\n  - name: web\n    command: [x]\n${handler}`, 'handlers.yaml');
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.message;
  }
  return assert.fail('spec was accepted');
}

function settings(text: string): string {
  const f = path.join(tempDir(), 'settings.yaml');
  writeFileSync(f, text);
  return f;
}

/** A clock that records every delay asked of it; timers fire only when the test says so. */
function recordingClock(): Clock & { delays: number[]; fireAll(): void } {
  const delays: number[] = [];
  let pending: Array<() => void> = [];
  return {
    delays,
    now: () => 0,
    after(ms, fn) {
      delays.push(ms);
      pending.push(fn);
      return { cancel: () => (pending = pending.filter((f) => f !== fn)) };
    },
    fireAll() {
      const due = pending;
      pending = [];
      for (const fn of due) fn();
    },
  };
}

describe('durations are bounded by what a Node timer can run', () => {
  it('the one parser accepts the limit and refuses anything above it, naming the limit', () => {
    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
    assert.equal(exactDuration(MAX_TIMER_MS), '24d20h31m23.647s');
    assert.equal(parseDuration('24d20h31m23.647s'), MAX_TIMER_MS);
    assert.throws(() => parseDuration('30d'), { name: 'RangeError', message: `"30d" ${LIMIT}` });
    assert.throws(() => parseDuration('24d20h31m23.648s'), /exceeds the longest timer/);
    // A span back in time is not a timer: `--since 90d` stays possible.
    assert.equal(parseDuration('90d', Infinity), 90 * 86_400_000);
  });

  it('spec fields refuse 30d (and 30 days in seconds) with the file, the key path and the limit', () => {
    assert.equal(
      refusedSpec('    health: {tcp: 8080, interval: 30d}\n'),
      `handlers.yaml: handlers[0].health.interval: "30d" ${LIMIT}`,
    );
    assert.equal(
      refusedSpec('    backoff: {initial: 1s, max: 30d}\n'),
      `handlers.yaml: handlers[0].backoff.max: "30d" ${LIMIT}`,
    );
    assert.equal(
      refusedSpec('    update: {healthy_deadline: 30d}\n'),
      `handlers.yaml: handlers[0].update.healthy_deadline: "30d" ${LIMIT}`,
    );
    assert.equal(
      refusedSpec('    stop_timeout: 2592000\n'),
      `handlers.yaml: handlers[0].stop_timeout: 2592000 ${LIMIT}`,
    );
    assert.match(refusedSpec('    mode: on-demand\n    idle_timeout: 30d\n'), /idle_timeout: "30d" exceeds/);
  });

  it('master and agent settings files refuse 30d naming the file and the key', () => {
    const m = settings('heartbeat_interval: 30d\n');
    assert.throws(() => readMasterConfig(m), { message: `${m}: heartbeat_interval: "30d" ${LIMIT}` });
    assert.throws(
      () => compileMasterOptions({ command_timeout: '30d' }, '/', 'm.yaml'),
      new RegExp(`m\\.yaml: command_timeout: "30d" exceeds the longest timer`),
    );
    const a = settings('metrics_interval: 30d\n');
    assert.throws(() => readAgentConfig(a), { message: `${a}: metrics_interval: "30d" ${LIMIT}` });
    const d = settings('discover_interval: 30d\n');
    assert.throws(() => readAgentConfig(d), { message: `${d}: discover_interval: "30d" ${LIMIT}` });
  });

  it('CLI flags refuse 30d naming the flag (exit 2), and so does the master for rollout requests', async () => {
    const runs: Array<[string[], string]> = [
      [['rollout', 'restart', 'web', '--healthy-deadline', '30d'], '--healthy-deadline'],
      [['rollout', 'restart', 'web', '--min-healthy', '30d'], '--min-healthy'],
      [['master', '--heartbeat-interval', '30d'], '--heartbeat-interval'],
      [
        ['agent', '--handlers', 'h.yaml', '--data-dir', tempDir(), '--metrics-interval', '30d'],
        '--metrics-interval',
      ],
      [
        ['agent', '--handlers', 'h.yaml', '--data-dir', tempDir(), '--discover-interval', '30d'],
        '--discover-interval',
      ],
    ];
    const dir = tempDir();
    writeFileSync(path.join(dir, 'h.yaml'), 'handlers: []\n');
    for (const [argv, flag] of runs) {
      const io = captureIO({ cwd: dir });
      const code = await main(argv, io, { connect: new FakeAdmin().connect });
      assert.equal(code, 2, `gov ${argv.join(' ')}: exit 2 (stderr ${io.stderr})`);
      assert.match(io.stderr, new RegExp(`^error: ${flag}: "30d" ${LIMIT.replace(/[()]/g, '\\$&')}`, 'm'));
    }
    const req = { healthy_deadline: '30d' } as Partial<StartRolloutRequest__Output>;
    assert.throws(() => compileOverrides(req as StartRolloutRequest__Output), {
      message: `healthy_deadline: "30d" ${LIMIT}`,
    });
  });

  it('the backoff delay never exceeds the cap or the timer limit, and is never NaN', () => {
    const huge = { initial_ms: MAX_TIMER_MS, max_ms: MAX_TIMER_MS, factor: 100, jitter: 1 };
    for (const n of [1, 2, 10, 200, 10_000]) {
      for (const r of [0, 0.5, 0.999]) {
        const d = backoffDelay(huge, n, () => r);
        assert.ok(d >= 0 && d <= MAX_TIMER_MS, `retry ${n}: ${d}`);
      }
    }
    assert.equal(
      backoffDelay({ initial_ms: 0, max_ms: 1000, factor: 100, jitter: 0 }, 5000, () => 0.5),
      0,
    );
    // Stored before the parse-time limit existed: still never a delay Node would fire at once.
    const stored = { initial_ms: 1000, max_ms: 30 * 86_400_000, factor: 100, jitter: 0 };
    assert.equal(
      backoffDelay(stored, 50, () => 0.5),
      MAX_TIMER_MS,
    );
    const d = decideRestart(
      { restart: 'always', start_seconds: 10, start_retries: 1_000_000, backoff: stored },
      { failedStarts: 999 },
      { code: 1, signal: null, spawnedAt: 0 },
      1,
    );
    assert.equal(d.action, 'restart');
    assert.ok(d.delayMs <= MAX_TIMER_MS);
  });

  it('the health monitor never asks for a timer longer than the limit, whatever the spec adds up to', async () => {
    const spec = parseHandler(
      {
        name: 'web',
        command: ['x'],
        start_seconds: 3600,
        health: { tcp: 1, interval: '24d20h31m23.647s', timeout: '24d', unhealthy_threshold: 1000 },
      },
      'handlers[0]',
      'test',
    );
    assert.ok(spec.health);
    assert.equal(readinessDeadlineMs(spec), MAX_TIMER_MS);
    assert.ok(probeDelayMs(spec.health, false) <= MAX_TIMER_MS);
    for (const readyWithinMs of [spec.start_seconds * 1000 + 1000 * MAX_TIMER_MS, 0]) {
      const clock = recordingClock();
      let probes = 0;
      const monitor = new HealthMonitor(
        spec.health,
        { env: {} },
        {
          clock,
          probe: () => {
            probes++;
            return Promise.resolve({ ok: false, reason: 'down' });
          },
          onChange: () => {},
        },
      );
      // Readiness cadence and deadline (a starting instance), or the steady cadence (an adopted one).
      monitor.start(readyWithinMs);
      for (let i = 0; i < 3; i++) {
        clock.fireAll();
        await new Promise((r) => setImmediate(r));
      }
      monitor.stop();
      assert.ok(probes >= 2, `probes ran (${probes})`);
      assert.ok(clock.delays.length >= 3);
      for (const ms of clock.delays) assert.ok(ms >= 0 && ms <= MAX_TIMER_MS, `scheduled ${ms} ms`);
    }
  });

  it('the system clock never fires a long timer early', async () => {
    let fired = false;
    const t = systemClock.after(30 * 86_400_000, () => (fired = true));
    await new Promise((r) => setTimeout(r, 50));
    t.cancel();
    assert.equal(fired, false, 'a 30-day timer did not fire after 1 ms');
  });
});
