/**
 * Rolling updates that also change a handler's count or agents, with real processes: the replicas an update
 * adds start in their batch (health-gated like the others), never with the APPLY; a rollback puts the handler
 * back as it was — the replicas it added removed, those it removed started again, every instance on the
 * previous spec — and the master lists what the agents run. 2 agents, batches of 1.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ApplyResponse, Rollout } from '../../master/cli/admin-client.js';
import { waitFor } from '../helpers/common.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { needsFile, webSpec } from './rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2'];
const UPDATE = { batch_size: 1, min_healthy_time: '300ms', healthy_deadline: '8s' };
/** A handler that runs, except its last replica (web#1 on edge-2), which exits at once: it fails its batch. */
const FAILS_LAST = [
  process.execPath,
  '-e',
  "if (process.env.GOV_AGENT === 'edge-2' && process.env.GOV_INSTANCE === 'web#1') process.exit(3); setInterval(() => {}, 1000);",
];

type ApplyDoc = Pick<ApplyResponse, 'handlers'> & { rollouts: Rollout[] };

const keyOf = (i: { agent: string; instance?: unknown }): string =>
  `${i.agent}/${String(i.instance || 'web')}`;

describe('rollout: a rolling update that changes the count or the agents', function () {
  this.timeout(90_000);
  let c: Cluster;

  before(async () => {
    c = await Cluster.start({ agents: AGENTS, heartbeatGrace: '5s' });
    await c.govJson(['apply', '-f', c.writeHandlers([webSpec(AGENTS, { count: 1, update: UPDATE })])]);
    await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
  });
  after(async () => {
    await c?.stop();
  });

  /** Applies `spec`; returns the one rollout it ran (to its end: the CLI waits for it). */
  async function applyRollout(spec: Record<string, unknown>, exit: number): Promise<Rollout> {
    const res = await c.gov(['apply', '-f', c.writeHandlers([spec]), '--json']);
    assert.equal(res.code, exit, res.stderr);
    const doc = JSON.parse(res.stdout) as ApplyDoc;
    assert.equal(doc.rollouts.length, 1, res.stdout);
    return doc.rollouts[0]!;
  }

  /**
   * Waits until every agent runs exactly `keys` of web (running, on `hash` when given) and the master lists
   * the same instances with the same PIDs; returns the master's list.
   */
  async function runsExactly(keys: string[], hash?: string): Promise<PsInstance[]> {
    const want = [...keys].sort();
    return waitFor(
      async () => {
        const local = AGENTS.flatMap((agent) =>
          c
            .localStatus(agent)
            .filter((i) => i.handler === 'web')
            .map((i) => ({ ...i, agent })),
        );
        const listed = await c.instances('web');
        const ok = (l: Array<{ agent: string; instance?: unknown; state: string; spec_hash?: unknown }>) =>
          JSON.stringify(l.map(keyOf).sort()) === JSON.stringify(want) &&
          l.every((i) => i.state === 'running' && (hash === undefined || i.spec_hash === hash));
        if (!ok(local) || !ok(listed)) return null;
        const pids = (l: Array<{ agent: string; instance?: unknown; pid: number | null }>) =>
          JSON.stringify(l.map((i) => `${keyOf(i)}:${i.pid}`).sort());
        if (pids(local) !== pids(listed)) return null;
        for (const i of listed) c.trackGroup(i.pgid);
        return listed;
      },
      {
        timeoutMs: 20_000,
        what: `web to run exactly ${want.join(' ')}${hash ? ` on ${hash}` : ''}, on the agents and in gov ps`,
      },
    ).catch(async (err: unknown) => {
      const local = AGENTS.map((a) => JSON.stringify(c.localStatus(a).filter((i) => i.handler === 'web')));
      throw new Error(
        `${String(err)}\nagents: ${local.join('\n')}\nmaster: ${JSON.stringify(await c.instances('web'))}`,
      );
    });
  }

  it('a rollback of an update that raised the count removes the replicas it added: the old count runs the old spec everywhere', async () => {
    const before = await runsExactly(['edge-1/web', 'edge-2/web']);
    const hash = String(before[0]!.spec_hash);
    const broken = webSpec(AGENTS, {
      count: 2,
      env: { V: '2' },
      command: needsFile(path.join(c.dir, 'never')),
      update: { ...UPDATE, on_failure: 'rollback' },
    });
    const r = await applyRollout(broken, 1);
    assert.equal(r.state, 'rolled_back', r.error);
    // The added replicas are steps of the rollout, in later batches than the instances that ran.
    assert.deepEqual(
      r.instances.map((i) => `${i.agent}/${i.instance} ${i.state}`),
      ['edge-1/web rolled_back', 'edge-2/web skipped', 'edge-1/web#1 skipped', 'edge-2/web#1 skipped'],
    );
    await runsExactly(['edge-1/web', 'edge-2/web'], hash);
    const status = await c.govJson<Rollout>(['rollout', 'status', r.id]);
    assert.equal(status.state, 'rolled_back');
  });

  it('a rollback removes the added replicas its batches had started, and puts the rest back', async () => {
    const before = await runsExactly(['edge-1/web', 'edge-2/web']);
    const hash = String(before[0]!.spec_hash);
    // Version 5 runs, except its last replica (web#1 on edge-2), which fails its batch.
    const spec = webSpec(AGENTS, {
      count: 2,
      env: { V: '5' },
      command: FAILS_LAST,
      update: { ...UPDATE, on_failure: 'rollback' },
    });
    const r = await applyRollout(spec, 1);
    assert.equal(r.state, 'rolled_back', r.error);
    assert.match(r.error, /instance web#1@edge-2 failed: .*rolling back 4 instance\(s\)/);
    assert.deepEqual(
      r.instances.map((i) => `${i.agent}/${i.instance} ${i.state}`),
      [
        'edge-1/web rolled_back',
        'edge-2/web rolled_back',
        'edge-1/web#1 rolled_back',
        'edge-2/web#1 rolled_back',
      ],
    );
    await runsExactly(['edge-1/web', 'edge-2/web'], hash);
  });

  it('the replicas an update adds start in their batch, each health-gated like the others', async () => {
    const r = await applyRollout(webSpec(AGENTS, { count: 2, env: { V: '3' }, update: UPDATE }), 0);
    assert.equal(r.state, 'succeeded', r.error);
    assert.deepEqual(
      r.instances.map((i) => `${i.agent}/${i.instance} ${i.state} batch ${i.batch}`),
      [
        'edge-1/web healthy batch 0',
        'edge-2/web healthy batch 1',
        'edge-1/web#1 healthy batch 2',
        'edge-2/web#1 healthy batch 3',
      ],
    );
    const after = await runsExactly(['edge-1/web', 'edge-1/web#1', 'edge-2/web', 'edge-2/web#1']);
    assert.equal(new Set(after.map((i) => i.spec_hash)).size, 1, 'every instance on the new spec');
    for (const step of r.instances.filter((i) => i.instance === 'web#1')) {
      // Started by its step (the PID its health gate judged), after the batch before it was done.
      assert.equal(after.find((i) => keyOf(i) === keyOf(step))?.pid, step.new_pid, keyOf(step));
      assert.equal(step.old_pid, 0);
      assert.ok(Date.parse(step.started_at) >= Date.parse(r.batches[step.batch - 1]!.done_at));
    }
  });

  it('a rollback of an update that lowered the count starts the replicas it removed again, on the old spec', async () => {
    const before = await runsExactly(['edge-1/web', 'edge-1/web#1', 'edge-2/web', 'edge-2/web#1']);
    const hash = String(before[0]!.spec_hash);
    const broken = webSpec(AGENTS, {
      count: 1,
      env: { V: '4' },
      command: needsFile(path.join(c.dir, 'never')),
      update: { ...UPDATE, on_failure: 'rollback' },
    });
    const r = await applyRollout(broken, 1);
    assert.equal(r.state, 'rolled_back', r.error);
    await runsExactly(['edge-1/web', 'edge-1/web#1', 'edge-2/web', 'edge-2/web#1'], hash);
  });

  it('a rollback of an update that left an agent starts its replicas there again, on the old spec', async () => {
    const all = ['edge-1/web', 'edge-1/web#1', 'edge-2/web', 'edge-2/web#1'];
    const hash = String((await runsExactly(all))[0]!.spec_hash);
    const broken = webSpec(['edge-1'], {
      count: 2,
      env: { V: '6' },
      command: needsFile(path.join(c.dir, 'never')),
      update: { ...UPDATE, on_failure: 'rollback' },
    });
    const r = await applyRollout(broken, 1);
    assert.equal(r.state, 'rolled_back', r.error);
    await runsExactly(all, hash);
  });

  it('a rollback of an update that placed the handler on another agent removes it there, started there in its batch', async () => {
    // Only on edge-1 (a change of agents alone: no rollout).
    const only = webSpec(['edge-1'], { count: 2, env: { V: '3' }, update: UPDATE });
    const moved = await c.govJson<ApplyDoc>(['apply', '-f', c.writeHandlers([only])]);
    assert.deepEqual(moved.rollouts, []);
    const hash = String((await runsExactly(['edge-1/web', 'edge-1/web#1']))[0]!.spec_hash);
    // Version 7 on both agents runs, except its last replica (web#1 on edge-2), which fails its batch.
    const spec = webSpec(AGENTS, {
      count: 2,
      env: { V: '7' },
      command: FAILS_LAST,
      update: { ...UPDATE, on_failure: 'rollback' },
    });
    const r = await applyRollout(spec, 1);
    assert.equal(r.state, 'rolled_back', r.error);
    assert.deepEqual(
      r.instances.map((i) => `${i.agent}/${i.instance} ${i.state} batch ${i.batch}`),
      [
        'edge-1/web rolled_back batch 0',
        'edge-2/web rolled_back batch 1',
        'edge-1/web#1 rolled_back batch 2',
        'edge-2/web#1 rolled_back batch 3',
      ],
    );
    await runsExactly(['edge-1/web', 'edge-1/web#1'], hash);
  });

  /**
   * web on both agents (count 1, env V `base`), then an update to count 3 (env V `to`) aborted once its first
   * batch is done: the replicas it adds never started.
   */
  async function abortedGrowth(base: string, to: string, count = 3): Promise<void> {
    await c.gov([
      'apply',
      '-f',
      c.writeHandlers([webSpec(AGENTS, { count: 1, env: { V: base }, update: UPDATE })]),
    ]);
    await runsExactly(['edge-1/web', 'edge-2/web']);
    const slow = { ...UPDATE, wait_between: '4s' };
    const spec = webSpec(AGENTS, { count, env: { V: to }, update: slow });
    const res = await c.gov(['apply', '-f', c.writeHandlers([spec]), '--detach', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const id = (JSON.parse(res.stdout) as ApplyDoc).rollouts[0]!.id;
    await waitFor(
      async () => ((await c.govJson<Rollout>(['rollout', 'status', id])).current_batch >= 1 ? true : null),
      { what: 'its first batch done' },
    );
    const ab = await c.gov(['rollout', 'abort', id]);
    assert.equal(ab.code, 0, ab.stderr);
    await runsExactly(['edge-1/web', 'edge-2/web']); // the added replicas were held back
  }

  it('after an update aborted before the replicas it adds ran, a later apply of the handler places them as any apply does', async () => {
    await abortedGrowth('30', '31');
    // A change of the count alone: no rollout, the replicas start with the apply.
    const spec = webSpec(AGENTS, { count: 2, env: { V: '31' }, update: UPDATE });
    const doc = await c.govJson<ApplyDoc>(['apply', '-f', c.writeHandlers([spec])]);
    assert.deepEqual(doc.rollouts, []);
    await runsExactly(['edge-1/web', 'edge-2/web', 'edge-1/web#1', 'edge-2/web#1']);
  });

  it('control commands leave out the replicas an aborted update held back, and refuse one named by its key', async () => {
    await abortedGrowth('34', '35', 2);
    for (const action of ['start', 'restart', 'ensure', 'stop']) {
      const res = await c.gov([action, 'web', '--json']);
      assert.equal(res.code, 0, `${action}: ${res.stderr}`);
      const outcomes = (JSON.parse(res.stdout) as { outcomes: Array<{ key: string; ok: boolean }> }).outcomes;
      assert.deepEqual(
        outcomes.map((o) => `${o.key} ${o.ok}`),
        ['web@edge-1 true', 'web@edge-2 true'],
        `${action}: only what the agents run, each with its own outcome`,
      );
    }
    for (const args of [
      ['start', 'web#1@edge-1'],
      ['signal', 'HUP', 'web#1@edge-2', 'web@edge-1'],
    ]) {
      const res = await c.gov(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /web#1@edge-(1|2) is not started: held back by a rolling update/);
      assert.match(res.stderr, /`gov rollout restart web` starts it.*nothing was done/);
    }
    const listed = await c.instances('web');
    assert.deepEqual(
      listed.map((i) => `${keyOf(i)} ${i.state}`).sort(),
      ['edge-1/web stopped', 'edge-2/web stopped'],
      'the stop took; the refused commands did nothing',
    );
    await c.gov(['start', 'web']);
  });

  it('after an update aborted before the replicas it adds ran, a rolling restart of the handler starts them in its batches', async () => {
    await abortedGrowth('32', '33');
    const res = await c.gov([
      'rollout',
      'restart',
      'web',
      '--wait-between',
      '0s',
      '--batch-size',
      '2',
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const r = JSON.parse(res.stdout) as Rollout;
    assert.equal(r.state, 'succeeded', r.error);
    assert.equal(r.instances.length, 6, JSON.stringify(r.instances.map(keyOf)));
    const all = AGENTS.flatMap((a) => ['web', 'web#1', 'web#2'].map((k) => `${a}/${k}`));
    const listed = await runsExactly(all);
    assert.equal(new Set(listed.map((i) => i.spec_hash)).size, 1, 'every replica on the handler’s spec');
  });
});
