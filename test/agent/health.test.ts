/** Health checks: the pure verdicts, the three probes, and readiness/unhealthy handling. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  INITIAL_HEALTH,
  expireReadiness,
  judgeHealth,
  probeDelayMs,
  type HealthCounts,
} from '../../agent/health/checks.js';
import { readinessDeadlineMs } from '../../shared/handler-waits.js';
import { HealthMonitor } from '../../agent/health/monitor.js';
import { execProbe, httpProbe, tcpProbe } from '../../agent/health/probe.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { instancesTable } from '../../master/cli/format.js';
import { instance } from '../cli/fake-admin.js';
import type { Supervisor } from '../../agent/supervisor/supervisor.js';
import { Logger } from '../../shared/logger.js';
import { isAlive } from '../../shared/proc.js';
import { fixture, tempDir, waitFor } from '../helpers/common.js';
import { freePort, lines, spec, supervisors } from './health-helpers.js';

const TH = { healthy_threshold: 2, unhealthy_threshold: 3 };
const PASS = { ok: true, reason: '' };
const FAIL = { ok: false, reason: 'http 503' };

function run(results: Array<typeof PASS>, grace = false, from: HealthCounts = INITIAL_HEALTH): HealthCounts {
  return results.reduce((c, r) => judgeHealth(c, r, TH, grace), from);
}

describe('health: verdicts (pure)', () => {
  it('healthy after healthy_threshold consecutive passes, unhealthy after unhealthy_threshold failures', () => {
    assert.equal(run([PASS]).status, 'unknown');
    assert.equal(run([PASS, PASS]).status, 'healthy');
    assert.equal(run([PASS, FAIL, PASS]).status, 'unknown', 'passes must be consecutive');
    const healthy = run([PASS, PASS]);
    assert.equal(run([FAIL, FAIL], false, healthy).status, 'healthy', 'two failures are not enough');
    const sick = run([FAIL, FAIL, FAIL], false, healthy);
    assert.deepEqual(sick, { status: 'unhealthy', passes: 0, failures: 3, reason: 'http 503' });
    const back = run([PASS, PASS], false, sick);
    assert.equal(back.status, 'healthy');
    assert.equal(back.reason, 'http 503', 'the last failure reason is kept for gov ps');
  });

  it('failures during the readiness grace are counted but never unhealthy; the deadline decides', () => {
    const c = run([FAIL, FAIL, FAIL, FAIL], true);
    assert.equal(c.status, 'unknown');
    assert.equal(c.failures, 4);
    assert.equal(expireReadiness(c).status, 'unhealthy');
    assert.equal(expireReadiness(INITIAL_HEALTH).reason, 'no passing health check yet');
    assert.equal(expireReadiness(run([PASS, PASS], true)).status, 'healthy');
  });

  it('cadence: fast while waiting for readiness (slower for exec, and after its first 500 ms), the interval afterwards; deadline', () => {
    const h = { ...TH, interval_ms: 2000, timeout_ms: 1000, restart_on_unhealthy: false };
    assert.equal(probeDelayMs({ ...h, tcp: 80 }, true), 10);
    assert.equal(probeDelayMs({ ...h, exec: ['true'] }, true), 100);
    assert.equal(probeDelayMs({ ...h, tcp: 80 }, false), 2000);
    assert.equal(probeDelayMs({ ...h, tcp: 80, interval_ms: 5 }, true), 5);
    // 500 ms into readiness, 5 times slower: a long boot is not probed 100 times a second.
    assert.equal(probeDelayMs({ ...h, tcp: 80 }, true, 499), 10);
    assert.equal(probeDelayMs({ ...h, tcp: 80 }, true, 500), 50);
    assert.equal(probeDelayMs({ ...h, exec: ['true'] }, true, 600), 500);
    assert.equal(probeDelayMs({ ...h, tcp: 80, interval_ms: 30 }, true, 600), 30);
    assert.equal(
      readinessDeadlineMs({ start_seconds: 1, health: { ...h, tcp: 80 } }),
      1000 + 3 * 2000 + 1000,
    );
    assert.equal(readinessDeadlineMs({ start_seconds: 2 }), 2000);
  });
});

describe('health: the monitor (fake clock)', () => {
  it('a paused check ignores the probe in flight; resumed, it keeps its verdict and probes next one interval later', async () => {
    const clock = new FakeClock();
    const h = { ...TH, interval_ms: 60_000, timeout_ms: 1000, restart_on_unhealthy: false, tcp: 80 };
    const answers: Array<(r: typeof PASS) => void> = [];
    const changes: string[] = [];
    const m = new HealthMonitor(
      h,
      { env: {} },
      {
        clock,
        probe: () => new Promise((r) => answers.push(r)),
        onChange: (next) => changes.push(next.status),
      },
    );
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    m.start(0);
    for (let i = 0; i < TH.healthy_threshold; i++) {
      clock.advance(60_000);
      await settle();
      answers.shift()!(PASS);
      await settle();
    }
    assert.equal(m.state.status, 'healthy');
    clock.advance(60_000); // a probe goes out, and the process is frozen before it answers
    await settle();
    assert.equal(answers.length, 1);
    m.pause();
    answers.shift()!(FAIL);
    await settle();
    clock.advance(10 * 60_000);
    await settle();
    assert.equal(answers.length, 0, 'no probe while paused');
    assert.deepEqual(m.state, run([PASS, PASS]), 'the answer that came in while paused was not judged');
    m.resume();
    clock.advance(59_000);
    await settle();
    assert.equal(answers.length, 0, 'not probed at once on resume');
    clock.advance(1000);
    await settle();
    assert.equal(answers.length, 1, 'probed one interval after the resume');
    answers.shift()!(PASS);
    await settle();
    assert.equal(m.state.status, 'healthy');
    assert.deepEqual(changes, ['healthy']);
    m.stop();
  });
});

describe('health: gov ps', () => {
  it('shows health with the last failure reason, and the temperature next to the state', () => {
    const sick = instance();
    sick.status = { ...sick.status!, health: 'unhealthy', health_reason: 'http 503' };
    const warm = instance({ agent: 'edge-2', state: 'starting' });
    warm.status = { ...warm.status!, mode: 'on-demand', temperature: 'warming', health: 'unknown' };
    const text = instancesTable([sick, warm], Date.parse('2025-01-01T12:00:00Z'));
    assert.match(text, /edge-1\s+running\s+.*unhealthy: http 503\n/);
    assert.match(text, /edge-2\s+starting \(warming\)\s+.*unknown\n/);
    const ok = instance();
    ok.status = { ...ok.status!, health: 'healthy', health_reason: 'http 503' };
    assert.match(instancesTable([ok], 0), /healthy\n/);
    assert.doesNotMatch(instancesTable([ok], 0), /http 503/, 'an old reason is not shown once healthy');
  });
});

describe('health: probes', () => {
  let server: http.Server;
  let port = 0;
  let answer = 200;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(answer);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('tcp: passes when something listens, fails with the connect error otherwise', async () => {
    assert.deepEqual(await tcpProbe(port, 1000), { ok: true, reason: '' });
    const closed = await freePort();
    const r = await tcpProbe(closed, 1000);
    assert.equal(r.ok, false);
    assert.equal(r.reason, `connect ECONNREFUSED 127.0.0.1:${closed}`);
  });

  it('http: 2xx passes; 503, refused and a hung server fail with the reason; no socket is left open', async () => {
    answer = 204;
    assert.equal((await httpProbe(`http://127.0.0.1:${port}/health`, 1000)).ok, true);
    answer = 503;
    assert.deepEqual(await httpProbe(`http://127.0.0.1:${port}/health`, 1000), {
      ok: false,
      reason: 'http 503',
    });
    const closed = await freePort();
    assert.match((await httpProbe(`http://127.0.0.1:${closed}/`, 1000)).reason, /ECONNREFUSED/);
    const t0 = Date.now();
    assert.deepEqual(await httpProbe(`http://127.0.0.1:${port}/hang`, 200), {
      ok: false,
      reason: 'http timeout after 200ms',
    });
    assert.ok(Date.now() - t0 < 1000);
    await waitFor(
      async () => (await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) === 0,
      { what: 'probe connections closed' },
    );
  });

  it('exec: exit 0 passes, a failure carries its exit code and stderr, a timeout kills the probe', async () => {
    const ctx = { env: { X: 'from-spec' } };
    assert.equal((await execProbe(['sh', '-c', 'test "$X" = from-spec'], 1000, ctx)).ok, true);
    assert.deepEqual(await execProbe(['sh', '-c', 'echo not ready >&2; exit 2'], 1000, ctx), {
      ok: false,
      reason: 'exec exit 2: not ready',
    });
    assert.match((await execProbe(['/nonexistent/check'], 1000, ctx)).reason, /^exec spawn .*ENOENT/);
    const pidFile = path.join(tempDir(), 'pid');
    const r = await execProbe(['sh', '-c', `echo $$ > ${pidFile}; sleep 30`], 200, ctx);
    assert.deepEqual(r, { ok: false, reason: 'exec timeout after 200ms (killed)' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isAlive(pid), { what: 'timed-out probe process gone' });
  });
});

describe('health: readiness and unhealthy instances (real processes)', () => {
  const s = supervisors();
  afterEach(() => s.close());

  function one(sup: Supervisor, name: string) {
    const st = sup.status(name)[0];
    assert.ok(st);
    return st;
  }

  it('an HTTP check answering 503 keeps the instance not ready (starting), with the reason', async () => {
    const sup = await s.make();
    const port = await freePort();
    const [st] = await sup.applySpecs([
      spec({
        name: 'web',
        command: ['node', fixture('http-server.mjs')],
        env: { PORT: String(port), STATUS: '503' },
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${port}/health`, interval: '100ms', unhealthy_threshold: 2 },
      }),
    ]);
    // applySpecs (start) settles at the readiness deadline: not running, still starting, unhealthy.
    assert.equal(st?.state, 'starting');
    assert.equal(st?.health, 'unhealthy');
    assert.equal(st?.health_reason, 'http 503');
    assert.ok(st?.pid && isAlive(st.pid), 'not killed for it');
    assert.ok(st?.events.some((e) => e.message === 'NOT_READY not healthy by its deadline: http 503'));
    assert.ok(!st?.events.some((e) => e.type === 'RUNNING'));
    // A second start request answers at once with the same not-ready verdict (no new process).
    const again = await sup.start('web');
    assert.equal(again.state, 'starting');
    assert.equal(again.pid, st?.pid);
  });

  it('a handler that exits before its health check ever passed backs off and ends fatal after start_retries, start_seconds 0 included', async () => {
    const sup = await s.make();
    const port = await freePort();
    await sup.applySpecs([
      spec({
        name: 'never-ready',
        // Lives past start_seconds (0) but never listens: each start fails, however long it ran.
        command: ['node', '-e', 'setTimeout(() => process.exit(1), 150)'],
        start_seconds: 0,
        start_retries: 2,
        backoff: { initial: '50ms', max: '100ms' },
        health: { http: `http://127.0.0.1:${port}/`, interval: '50ms' },
      }),
    ]);
    const st = await waitFor(
      () => (one(sup, 'never-ready').state === 'fatal' ? one(sup, 'never-ready') : null),
      {
        what: 'never-ready to end fatal',
      },
    );
    assert.equal(st.events.filter((e) => e.type === 'BACKOFF').length, 2, 'one backoff per failed start');
    assert.equal(st.events.at(-1)?.message, 'FATAL 3 failed starts in a row (start_retries: 2)');
    assert.ok(!st.events.some((e) => e.type === 'RUNNING'));
  });

  it('an HTTP check with nothing listening reports the connect error and stays not ready', async () => {
    const sup = await s.make();
    const port = await freePort();
    const [st] = await sup.applySpecs([
      spec({
        name: 'deaf',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${port}/`, interval: '50ms', unhealthy_threshold: 2 },
      }),
    ]);
    assert.equal(st?.state, 'starting');
    assert.equal(st?.health, 'unhealthy');
    assert.equal(st?.health_reason, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('tcp and http checks that pass make the instance running and healthy (after start_seconds)', async () => {
    const sup = await s.make();
    const [p1, p2] = [await freePort(), await freePort()];
    const t0 = Date.now();
    const statuses = await sup.applySpecs([
      spec({
        name: 'tcp-ok',
        command: ['node', fixture('http-server.mjs')],
        env: { PORT: String(p1) },
        start_seconds: 0.3,
        health: { tcp: p1, interval: '1s' },
      }),
      spec({
        name: 'http-ok',
        command: ['node', fixture('http-server.mjs')],
        env: { PORT: String(p2) },
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${p2}/health`, interval: '1s' },
      }),
    ]);
    for (const st of statuses) {
      assert.equal(st.state, 'running', st.handler);
      assert.equal(st.health, 'healthy', st.handler);
    }
    assert.ok(Date.now() - t0 >= 300, 'running only after start_seconds');
    const tcp = one(sup, 'tcp-ok');
    assert.match(tcp.events.at(-1)?.message ?? '', /^RUNNING/);
  });

  it("a log line for a pass names the kept failure last_failure, never the pass's reason", async () => {
    const logged: string[] = [];
    const sup = await s.make({ logger: new Logger('t', { sink: { write: (l) => logged.push(l) } }) });
    const [port, failFile] = [await freePort(), path.join(tempDir(), 'fail')];
    writeFileSync(failFile, '');
    // Answered once it is running and healthy, or not ready at the readiness deadline.
    const applied = sup.applySpecs([
      spec({
        name: 'late',
        command: ['node', fixture('http-server.mjs')],
        env: { PORT: String(port), FAIL_FILE: failFile },
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${port}/`, interval: '50ms' },
      }),
    ]);
    await waitFor(() => logged.some((l) => /health .*reason="http 503"/.test(l)), {
      what: 'a failed probe logged',
    });
    rmSync(failFile);
    await applied;
    const pass = await waitFor(() => logged.find((l) => /health .*to=healthy/.test(l)), {
      what: 'the pass logged',
    });
    assert.match(pass, /last_failure="http 503"/);
    assert.doesNotMatch(pass, / reason=/);
  });

  it('exec checks: exit 0 makes it running, a failing one keeps it not ready with the exit', async () => {
    const sup = await s.make();
    const dir = tempDir();
    const ready = path.join(dir, 'ready');
    writeFileSync(ready, '');
    await sup.applySpecs([
      spec({
        name: 'exec-ok',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        health: { exec: ['test', '-f', ready], interval: '100ms' },
      }),
      spec({
        name: 'exec-bad',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        health: { exec: ['sh', '-c', 'echo db down >&2; exit 1'], interval: '100ms', unhealthy_threshold: 2 },
      }),
    ]);
    const [ok, bad] = [one(sup, 'exec-ok'), one(sup, 'exec-bad')];
    assert.equal(ok?.state, 'running');
    assert.equal(ok?.health, 'healthy');
    assert.equal(bad?.state, 'starting');
    assert.equal(bad?.health, 'unhealthy');
    assert.equal(bad?.health_reason, 'exec exit 1: db down');
  });

  it('a running instance turning unhealthy is reported, and restarted only with restart_on_unhealthy', async () => {
    const sup = await s.make();
    const dir = tempDir();
    const [p1, p2] = [await freePort(), await freePort()];
    const base = {
      command: ['node', fixture('http-server.mjs')],
      start_seconds: 0,
    };
    const health = { interval: '50ms', unhealthy_threshold: 2 };
    const failKeep = path.join(dir, 'fail-keep');
    const failRestart = path.join(dir, 'fail-restart');
    const spawnLog = path.join(dir, 'spawns-restart');
    const healthEvents: string[] = [];
    sup.on('health', ({ handler }) => healthEvents.push(handler));
    await sup.applySpecs([
      spec({
        ...base,
        name: 'keep',
        env: { PORT: String(p1), FAIL_FILE: failKeep },
        health: { ...health, http: `http://127.0.0.1:${p1}/` },
      }),
      spec({
        ...base,
        name: 'heal',
        env: { PORT: String(p2), FAIL_FILE: failRestart, SPAWN_LOG: spawnLog },
        health: { ...health, http: `http://127.0.0.1:${p2}/`, restart_on_unhealthy: true },
      }),
    ]);
    const keepPid = one(sup, 'keep').pid;
    const healPid = one(sup, 'heal').pid;
    assert.equal(one(sup, 'keep').health, 'healthy');
    writeFileSync(failKeep, '');
    writeFileSync(failRestart, '');
    const keep = await waitFor(() => (one(sup, 'keep').health === 'unhealthy' ? one(sup, 'keep') : null), {
      what: 'keep unhealthy',
    });
    assert.equal(keep.state, 'running', 'reported, not restarted');
    assert.equal(keep.pid, keepPid);
    assert.equal(keep.restarts, 0);
    assert.equal(keep.health_reason, 'http 503');
    assert.ok(keep.events.some((e) => e.message === 'UNHEALTHY http 503'));
    assert.ok(healthEvents.includes('keep'), 'the health change is announced (status push)');

    // restart_on_unhealthy: the instance is restarted (the new one stays unhealthy until the file goes).
    await waitFor(() => one(sup, 'heal').restarts >= 1, { what: 'heal restarted' });
    rmSync(failRestart);
    const heal = await waitFor(
      () => {
        const st = one(sup, 'heal');
        return st.state === 'running' && st.health === 'healthy' && st.pid !== healPid ? st : null;
      },
      { what: 'heal running and healthy again' },
    );
    assert.ok(heal.events.some((e) => e.message === 'RESTARTING restart_on_unhealthy'));
    assert.ok(!isAlive(healPid!), 'the unhealthy process was stopped');
    assert.ok(lines(spawnLog).length >= 2);
    rmSync(failKeep);
    await waitFor(() => one(sup, 'keep').health === 'healthy', { what: 'keep healthy again' });
    assert.ok(one(sup, 'keep').events.some((e) => e.type === 'HEALTHY'));
    assert.ok(existsSync(spawnLog));
  });
});
