/**
 * On-demand handlers and health checks end to end: a real `gov master` and `gov agent`, driven by the `gov` CLI —
 * `gov ensure` wakes an on-demand handler and reports its cold start, it idles back to cold, a broken one
 * fails with the reason (exit 1) and stays cold; `gov ps` shows temperature and health with the reason;
 * `gov metrics --json` carries the fleet `governor` telemetry.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture } from '../helpers/common.js';
import { freePort } from '../agent/health-helpers.js';

interface Execution {
  status: string;
  result: string;
  error: string | null;
}

interface Governor {
  by_temperature: Record<string, number>;
  memory_saved_bytes: number;
  avg_cold_start_ms: number;
  cold_starts_last_hour: number;
  resource_mode: string;
}

describe('on-demand and health end to end', function () {
  this.timeout(90_000);
  let c: Cluster;
  let lazyPort = 0;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    lazyPort = await freePort();
    const sickPort = await freePort();
    const node = process.execPath;
    const file = c.writeHandlers([
      {
        name: 'lazy',
        agents: ['edge-1'],
        mode: 'on-demand',
        idle_timeout: '1500ms',
        command: [node, fixture('http-server.mjs')],
        env: { PORT: String(lazyPort) },
        start_seconds: 0,
        health: { tcp: lazyPort, interval: '1s' },
      },
      {
        name: 'broken',
        agents: ['edge-1'],
        mode: 'on-demand',
        command: ['sh', '-c', 'echo cannot bind >&2; exit 3'],
        start_seconds: 0.5,
        backoff: { initial: '10s', max: '10s' },
      },
      {
        name: 'sick',
        agents: ['edge-1'],
        command: [node, fixture('http-server.mjs')],
        env: { PORT: String(sickPort), STATUS: '503' },
        start_seconds: 0,
        health: { http: `http://127.0.0.1:${sickPort}/health`, interval: '100ms', unhealthy_threshold: 2 },
      },
    ]);
    await c.govJson(['apply', '-f', file]);
  });
  after(async () => {
    await c?.stop();
  });

  async function one(handler: string): Promise<PsInstance> {
    const [i] = await c.waitInstances(handler, 1, () => true);
    return i!;
  }

  it('gov ensure wakes a cold handler (cold start reported); idle → cold, process gone; telemetry', async () => {
    const cold = await one('lazy');
    assert.equal(cold.temperature, 'cold');
    assert.equal(cold.pid, null, 'no process before ensure');

    const r = await c.govJson<{ executions: Execution[]; instances: PsInstance[] }>(['ensure', 'lazy']);
    assert.equal(r.executions[0]?.status, 'success');
    assert.match(r.executions[0]?.result ?? '', /^hot pid \d+, cold start \d+ms$/);
    assert.equal(r.instances[0]?.temperature, 'hot');
    const pid = r.instances[0]?.pid;
    assert.ok(pid && existsSync(`/proc/${pid}`));

    const hot = await c.govJson<{ governor: Governor }>(['metrics']);
    assert.equal(hot.governor.by_temperature.hot, 1);
    assert.equal(hot.governor.resource_mode, 'mixed');

    await c.waitInstances('lazy', 1, (i) => i.temperature === 'cold', 'lazy cold after idle_timeout');
    assert.ok(!existsSync(`/proc/${pid}`), 'the process is gone');

    const m = await c.govJson<{ governor: Governor }>(['metrics']);
    assert.deepEqual(m.governor.by_temperature, { cold: 2, warming: 0, hot: 0, cooling: 0, frozen: 0 });
    assert.ok(m.governor.memory_saved_bytes > 0, 'memory saved from the last hot RSS');
    assert.ok(m.governor.avg_cold_start_ms > 0);
    assert.equal(m.governor.cold_starts_last_hour, 1);
  });

  it('gov ensure of a handler that fails to start exits 1 with the reason; it is cold again', async () => {
    const r = await c.gov(['ensure', 'broken']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /broken did not become hot \(backoff: EXITED code=3\); it is cold again/);
    const b = await one('broken');
    assert.equal(b.temperature, 'cold');
    assert.equal(b.state, 'stopped');
  });

  it('gov ps shows an HTTP-unhealthy handler not ready, with its health reason', async () => {
    const [sick] = await c.waitInstances('sick', 1, (i) => i.health === 'unhealthy', 'sick unhealthy');
    assert.equal(sick?.state, 'starting');
    assert.equal(sick?.health_reason, 'http 503');
    const text = await c.gov(['ps', 'sick']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /sick\s+edge-1\s+starting\s+\d+\s+.*unhealthy: http 503/);
    const lazy = await c.gov(['ps', 'lazy']);
    assert.match(lazy.stdout, /lazy\s+edge-1\s+stopped \(cold\)/);
  });
});
