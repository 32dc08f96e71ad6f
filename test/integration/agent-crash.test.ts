/**
 * Kill -9 of an agent, over real processes: it shows as disconnected within the heartbeat
 * grace (its instances stale, not guessed); a command to it fails fast with a clear error and is logged
 * as an error execution; the restarted agent reconnects and re-adopts its handler without a respawn.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../shared/proc.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';

/** Master heartbeat grace used here; "within the grace" allows for process scheduling on a busy box. */
const GRACE_MS = 1000;

describe('integration: kill -9 of an agent', function () {
  this.slow(10_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'], heartbeatGrace: `${GRACE_MS}ms` });
  });
  after(async () => {
    await c?.stop();
  });

  it('shows it disconnected and its instances stale, fails commands to it fast, and re-adopts on reconnect', async () => {
    const spawns = path.join(c.dir, 'spawns');
    const file = c.writeHandlers([
      {
        name: 'web',
        agents: ['edge-1', 'edge-2'],
        command: [process.execPath, fixture('ticker.mjs')],
        env: { SPAWN_LOG: spawns },
        start_seconds: 0,
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    const before = await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
    const onEdge2 = before.find((i) => i.agent === 'edge-2')!;
    await waitFor(() => spawnCount(spawns) === 2, { what: 'both handlers to start' });

    const killedAt = Date.now();
    await c.killAgent('edge-2', 'SIGKILL');
    await c.waitAgentConnected('edge-2', false, GRACE_MS + 2000);
    const noticedMs = Date.now() - killedAt;
    assert.ok(noticedMs <= GRACE_MS + 2000, `disconnection noticed after ${noticedMs} ms`);
    assert.ok(isAlive(onEdge2.pid!), 'the handler outlives its agent');

    const agents = await c.govJson<{ agents: Array<{ id: string; connected: boolean }> }>(['agents']);
    assert.deepEqual(
      agents.agents.map((a) => [a.id, a.connected]),
      [
        ['edge-1', true],
        ['edge-2', false],
      ],
    );
    const ps = await c.govJson<{ instances: PsInstance[] }>(['ps', 'web']);
    const stale = new Map(ps.instances.map((i) => [i.agent, i]));
    assert.equal(stale.get('edge-2')?.stale, true, 'edge-2 instance is marked stale');
    assert.equal(stale.get('edge-2')?.pid, onEdge2.pid, 'with its last known status, not a guess');
    assert.equal(stale.get('edge-1')?.stale, false);

    // A command to the dead agent fails fast (the command timeout is 30 s) with a clear error.
    const t0 = Date.now();
    const r = await c.gov(['restart', 'web', '--agent', 'edge-2', '--json']);
    const tookMs = Date.now() - t0;
    assert.equal(r.code, 1, `exit 1; stderr: ${r.stderr}`);
    assert.ok(tookMs < 10_000, `failed fast (${tookMs} ms including the CLI start)`);
    const out = JSON.parse(r.stdout) as { executions: Array<{ id: string; status: string; error: string }> };
    const failed = out.executions[0]!;
    assert.equal(failed.status, 'error');
    assert.match(failed.error, /agent edge-2 is not connected/);
    assert.match(r.stderr, /edge-2 is not connected/);
    const logged = await c.admin().listExecutions({ agent: 'edge-2', status: 'error' });
    const rec = logged.records.find((x) => x.id === failed.id);
    assert.equal(rec?.kind, 'restart');
    assert.equal(rec?.issued_by, 'admin');
    assert.match(rec?.error ?? '', /not connected/);
    assert.ok(isAlive(onEdge2.pid!), 'nothing happened to the handler');

    // The restarted agent reconnects and re-adopts: same PID, no second spawn, no restart.
    await c.startAgent('edge-2');
    const after = await c.waitInstances(
      'web',
      2,
      (i) => !i.stale && i.state === 'running',
      'both instances fresh after the agent restart',
    );
    assert.deepEqual(
      after.map((i) => [i.agent, i.pid, i.restarts]),
      before.map((i) => [i.agent, i.pid, i.restarts]),
    );
    const local = c.localStatus('edge-2').find((s) => s.handler === 'web');
    assert.equal(local?.pid, onEdge2.pid);
    assert.ok(
      (local?.events as Array<{ message: string }>).some((e) => e.message === `ADOPTED pid=${onEdge2.pid}`),
      'the agent adopted the running process',
    );
    assert.equal(spawnCount(spawns), 2, 'no respawn');
  });

  it('a hung agent (SIGSTOP, its connection still open) is disconnected by the heartbeat grace and comes back after SIGCONT', async () => {
    const agent = c.agents.get('edge-1')!;
    await c.waitAgentConnected('edge-1');
    const stoppedAt = Date.now();
    process.kill(agent.pid, 'SIGSTOP');
    try {
      await c.waitAgentConnected('edge-1', false, GRACE_MS + 3000);
      const noticedMs = Date.now() - stoppedAt;
      // Its last heartbeat may predate the SIGSTOP by up to one interval (200 ms).
      assert.ok(noticedMs >= GRACE_MS - 300, `not before the grace (${noticedMs} ms)`);
      const ps = await c.instances('web');
      assert.deepEqual(
        ps.map((i) => [i.agent, i.stale]),
        [
          ['edge-1', true],
          ['edge-2', false],
        ],
      );
    } finally {
      process.kill(agent.pid, 'SIGCONT');
    }
    await c.waitAgentConnected('edge-1', true, 15_000);
    await c.waitInstances('web', 2, (i) => !i.stale && i.state === 'running');
  });
});

function spawnCount(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}
