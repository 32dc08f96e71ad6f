/**
 * Rolling restarts with real processes: of 6 instances on 3 agents, batch 2,
 * through `gov rollout restart --json`; the CLI's JSON document and exit codes.
 */
import assert from 'node:assert/strict';
import type { Rollout } from '../../master/cli/admin-client.js';
import { waitFor } from '../helpers/common.js';
import { Cluster } from '../helpers/cluster.js';
import { downIntervals, maxOverlap, webSpec } from './rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2', 'edge-3'];
const MIN_HEALTHY_MS = 300;

describe('rollout: rolling restart', function () {
  this.timeout(90_000);
  let c: Cluster;

  before(async () => {
    // A wide heartbeat grace: these tests are about rollouts, not about noticing a dead agent on a busy machine.
    c = await Cluster.start({ agents: AGENTS, heartbeatGrace: '5s' });
    const file = c.writeHandlers([
      webSpec(AGENTS, { update: { batch_size: 1, min_healthy_time: '5s', healthy_deadline: '20s' } }),
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 6, (i) => i.state === 'running' && !!i.pid);
  });
  after(async () => {
    await c?.stop();
  });

  it('never more than 2 down, every PID changes, each batch waited min_healthy_time', async () => {
    const before = await c.waitInstances('web', 6, (i) => i.state === 'running' && !!i.pid);
    const oldPids = new Map(before.map((i) => [`${i.agent}/${String(i.instance || 'web')}`, i.pid]));
    const since = Date.now();
    const r = await c.govJson<Rollout>([
      'rollout',
      'restart',
      'web',
      '--batch-size',
      '2',
      '--min-healthy',
      `${MIN_HEALTHY_MS}ms`,
      '--healthy-deadline',
      '10s',
    ]);
    assert.equal(r.state, 'succeeded', r.error);
    assert.equal(r.batches.length, 3);
    assert.ok(r.batches.every((b) => b.instances.length === 2));

    const after = await c.waitInstances('web', 6, (i) => i.state === 'running' && !!i.pid);
    for (const i of after) {
      const key = `${i.agent}/${String(i.instance || 'web')}`;
      assert.notEqual(i.pid, oldPids.get(key), `${key} kept its pid`);
      assert.equal(r.instances.find((x) => `${x.agent}/${x.instance}` === key)?.new_pid, i.pid);
    }

    const down = await downIntervals(c, 'web', since);
    assert.equal(down.length, 6, `one stop/start per instance: ${JSON.stringify(down)}`);
    assert.ok(down.every((d) => d.to !== Infinity));
    assert.ok(maxOverlap(down) <= 2, `more than 2 down at once: ${JSON.stringify(down)}`);

    // Batch k+1 stops nothing before batch k's instances were up for min_healthy_time.
    for (let b = 1; b < r.batches.length; b++) {
      const prev = down.filter((d) => r.batches[b - 1]!.instances.includes(d.key));
      const next = down.filter((d) => r.batches[b]!.instances.includes(d.key));
      const upAt = Math.max(...prev.map((d) => d.to));
      const nextStop = Math.min(...next.map((d) => d.from));
      assert.ok(
        nextStop - upAt >= MIN_HEALTHY_MS - 5,
        `batch ${b + 1} stopped ${nextStop - upAt} ms after batch ${b} was up (min ${MIN_HEALTHY_MS})`,
      );
    }

    // Each step is an execution carrying the rollout id.
    const ex = await c.admin().listExecutions({ kind: 'rollout-step', limit: 50 });
    const steps = ex.records.filter((e) => e.rollout_id === r.id);
    assert.equal(steps.length, 6);
    assert.ok(steps.every((e) => e.status === 'success'));
  });

  it('gov restart of instances a running rollout has yet to move is refused, naming it (no more down at once than its batch); one whose batch is done is restarted', async () => {
    const r = await c.govJson<Rollout>(['rollout', 'restart', 'web', '--batch-size', '1', '--detach']);
    try {
      const refused = await c.gov(['restart', 'web']);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(`rollout ${r.id} is (pending|running) and (is moving it now|moves it in batch \\d+ of 6)`),
      );
      assert.equal(
        (await c.admin().getRollout(r.id)).instances.filter((i) => i.state === 'failed').length,
        0,
      );
      // An instance whose batch is done may be restarted while the rollout goes on with the others.
      const first = await waitFor(
        async () => {
          const x = await c.admin().getRollout(r.id);
          return x.batches[0]?.state === 'done' ? x.instances.find((i) => i.batch === 0) : null;
        },
        { timeoutMs: 30_000, what: `batch 1 of ${r.id} done` },
      );
      const done = await c.gov(['restart', `${first.instance}@${first.agent}`]);
      assert.equal(done.code, 0, done.stderr);
      assert.equal((await c.admin().getRollout(r.id)).state, 'running');
    } finally {
      await c.gov(['rollout', 'abort', r.id]);
    }
  });

  it('--json prints one document; exit codes 0 / 2 (usage) / 1 (failed, naming the reason)', async () => {
    const status = await c.gov(['rollout', 'status', '--json']);
    assert.equal(status.code, 0);
    const doc = JSON.parse(status.stdout) as { rollouts: Rollout[] };
    assert.ok(doc.rollouts.length >= 1);
    const one = await c.gov(['rollout', 'status', doc.rollouts[0]!.id, '--json']);
    const r = JSON.parse(one.stdout) as Rollout;
    for (const k of ['id', 'handler', 'state', 'batches', 'instances']) assert.ok(k in r, k);

    for (const bad of [
      ['rollout'],
      ['rollout', 'restart'],
      ['rollout', 'restart', 'web', '--batch-size', '0'],
      ['rollout', 'restart', 'web', '--on-failure', 'continue'],
      ['rollout', 'restart', 'web', '--min-healthy', 'soon'],
      ['rollout', 'frobnicate'],
    ]) {
      const res = await c.gov([...bad, '--json']);
      assert.equal(res.code, 2, `${bad.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /usage: gov rollout/);
    }

    // A rollout that cannot succeed (healthy_deadline shorter than the start) exits 1 naming the instance.
    const failed = await c.gov([
      'rollout',
      'restart',
      'web',
      '--batch-size',
      '1',
      '--min-healthy',
      '1s',
      '--healthy-deadline',
      '1100ms',
      '--on-failure',
      'abort',
      '--json',
    ]);
    // start_seconds 0.2 + 1s min healthy > 1.1s deadline → the first instance fails; the rollout aborts.
    assert.equal(failed.code, 1, failed.stderr);
    const fdoc = JSON.parse(failed.stdout) as Rollout;
    assert.equal(fdoc.state, 'aborted');
    assert.match(failed.stderr, /rollout ro-\S+ aborted: instance web@edge-1 failed: not healthy/);
    assert.equal(fdoc.instances.filter((i) => i.state !== 'skipped').length, 1, 'no second batch');

    // An ID the master does not hold is the command line's mistake, as an unknown handler is: exit 2.
    for (const sub of ['status', 'pause', 'resume', 'abort']) {
      const r = await c.gov(['rollout', sub, 'ro-nope']);
      assert.equal(r.code, 2, `${sub}: ${r.stderr}`);
      assert.match(r.stderr, /unknown rollout "ro-nope"/);
    }
  });
});
