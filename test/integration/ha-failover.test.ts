/**
 * Failover end to end on a real etcd (DESIGN §8, §9 "HA"; skipped only without etcd and CI unset): three
 * masters, agents and the CLI given the address list. kill -9 of the leader: the agents reconnect to the
 * new leader, `gov ps` with the list answers throughout (retrying), every execution the CLI got an id for
 * before the kill is listed after; a rollout of 8 instances in batches of 2 whose leader is killed during
 * batch 2 finishes on the new leader with each instance restarted exactly once, counted from the handlers'
 * own start records.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../master/cli/gov-program.js';
import type { CliIO } from '../../shared/cli-io.js';
import { fixture, waitFor } from '../helpers/common.js';
import { useEtcd } from '../helpers/etcd.js';
import { HaCluster } from '../helpers/ha-cluster.js';

const AGENTS = ['edge-1', 'edge-2'];

/** `gov ps --json` in process (the CLI's own code, lighter than a process per call on a busy machine). */
async function psOnce(
  c: HaCluster,
): Promise<{ code: number; stderr: string; instances: number; started: number; ended: number }> {
  let stderr = '';
  let stdout = '';
  const io: CliIO = {
    out: (t) => (stdout += t),
    err: (t) => (stderr += t),
    env: {},
    cwd: c.dir,
    isTTY: false,
  };
  const started = Date.now();
  const code = await main(['ps', '--json', ...c.connectionArgs()], io);
  const instances = code === 0 ? (JSON.parse(stdout) as { instances: unknown[] }).instances.length : -1;
  return { code, stderr, instances, started, ended: Date.now() };
}

/** Starts per instance key, from the handlers' own records. */
function startsPerInstance(file: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const key = line.split(' ')[0]!;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('HA failover: agents, the CLI and rollouts ride through a leader kill (real etcd)', function () {
  this.timeout(180_000);
  const etcd = useEtcd();
  let c: HaCluster | null = null;
  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('kill -9 of the leader: agents reconnect to the new one, gov ps with the list answers throughout, acknowledged executions are listed after', async () => {
    c = await HaCluster.start(etcd(), { agents: AGENTS });
    const file = c.writeHandlers([
      { name: 'web', agents: AGENTS, command: [process.execPath, fixture('ticker.mjs')], start_seconds: 0 },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
    const acknowledged: string[] = [];
    for (let k = 0; k < 3; k++) {
      const res = await c.govJson<{ executions: Array<{ id: string }> }>(['restart', 'web']);
      acknowledged.push(...res.executions.map((e) => e.id));
    }
    assert.ok(acknowledged.length >= 3, JSON.stringify(acknowledged));

    // gov ps in a loop for the whole failover.
    const calls: Array<Awaited<ReturnType<typeof psOnce>>> = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) calls.push(await psOnce(c!));
    })();

    const old = await c.waitLeader();
    const killedAt = Date.now();
    await c.killMaster(old);
    const next = await c.waitLeader({ not: old });
    const ledAt = Date.now();
    await c.waitAgentsConnected(AGENTS, { timeoutMs: 30_000 });
    const reconnectedAt = Date.now();
    // A few more calls on the new leader, then stop the loop.
    const after = calls.length;
    await waitFor(() => calls.length >= after + 2, { timeoutMs: 30_000, what: 'gov ps on the new leader' });
    stop = true;
    await loop;
    console.log(
      `      leader ${old} killed → master ${next} leads after ${ledAt - killedAt} ms, agents reconnected after ` +
        `${reconnectedAt - killedAt} ms; ${calls.length} gov ps calls`,
    );

    const failed = calls.filter((r) => r.code !== 0 || r.instances !== 2);
    assert.deepEqual(failed, [], 'every gov ps with the address list answered, listing both instances');
    assert.ok(
      calls.some((r) => r.started <= ledAt && r.ended >= ledAt) || calls.some((r) => r.started >= killedAt),
      'gov ps ran during the failover',
    );

    const listed = await c.govJson<{ records: Array<{ id: string }> }>(['executions', '--limit', '1000']);
    const ids = new Set(listed.records.map((r) => r.id));
    assert.deepEqual(
      acknowledged.filter((id) => !ids.has(id)),
      [],
      'every execution acknowledged before the kill is listed by the new leader',
    );
  });

  it('a rollout of 8 instances in batches of 2, leader killed during batch 2: finishes on the new leader, each instance restarted exactly once', async () => {
    c = await HaCluster.start(etcd(), { agents: AGENTS });
    const record = path.join(c.dir, 'starts.log');
    const file = c.writeHandlers([
      {
        name: 'rec',
        agents: AGENTS,
        count: 4,
        command: [process.execPath, fixture('instance-starts.mjs'), record],
        start_seconds: 0.2,
        stop_timeout: '2s',
      },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('rec', 8, (i) => i.state === 'running' && !!i.pid);
    await waitFor(() => total(startsPerInstance(record)) === 8, { what: '8 first starts recorded' });

    const rollout = await c.admin().startRollout({ handler: 'rec', batch_size: '2', min_healthy_time: '2s' });
    // Batch 2 is under way once a third instance started again.
    await waitFor(() => total(startsPerInstance(record)) >= 8 + 3, {
      timeoutMs: 60_000,
      what: 'batch 2 to begin',
    });
    const old = await c.waitLeader();
    await c.killMaster(old);
    await c.waitLeader({ not: old, timeoutMs: 30_000 });

    const done = await waitFor(
      async () => {
        const r = await c!.admin().getRollout(rollout.id);
        if (['failed', 'aborted', 'rolled_back'].includes(r.state))
          throw new Error(`rollout ${r.state}: ${r.error}`);
        return r.state === 'succeeded' ? r : null;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `rollout ${rollout.id} to succeed on the new leader` },
    );
    assert.equal(done.state, 'succeeded');
    await c.waitInstances('rec', 8, (i) => i.state === 'running' && !!i.pid);

    const starts = startsPerInstance(record);
    if ([...starts.values()].some((n) => n !== 2)) {
      console.log(readFileSync(record, 'utf8'));
      console.log(JSON.stringify(done.instances, null, 1));
      const ex = await c.admin().listExecutions({ limit: 100 });
      for (const e of ex.records.reverse())
        console.log(e.id, e.kind, e.agent, e.status, e.started_at, e.params_summary, e.error, e.late, e.note);
    }
    assert.equal(starts.size, 8, JSON.stringify([...starts]));
    for (const [key, n] of starts)
      assert.equal(n, 2, `${key}: started ${n} times (first start + one restart)`);
  });
});
