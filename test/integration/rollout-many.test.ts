/**
 * One rollout over many handlers with real processes: 12 single-instance handlers on 3 agents (four each),
 * `--batch-size 25%`. Who was down when is read from the handlers' OWN records (start-stop-recorder.mjs):
 * never more than 3 at once, every PID changes, pause → resume, and `gov apply` of all 12 is one rollout the
 * CLI follows until it settles — stopped at batch 2 by a failing health check and rolled back.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApplyResponse, Rollout } from '../../master/cli/admin-client.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { fixture, waitFor } from '../helpers/common.js';
import { maxOverlap, type DownInterval } from './rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2', 'edge-3'];
/** h01…h12: h01-h04 on edge-1, h05-h08 on edge-2, h09-h12 on edge-3. */
const NAMES = Array.from({ length: 12 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
const agentOf = (name: string): string => AGENTS[Math.floor((Number(name.slice(1)) - 1) / 4)]!;
const UPDATE = { batch_size: '25%', min_healthy_time: '300ms', healthy_deadline: '6s' };

type ApplyDoc = Pick<ApplyResponse, 'handlers'> & { rollouts: Rollout[] };

describe('rollout over many handlers (3 agents, 12 handlers)', function () {
  this.timeout(120_000);
  let c: Cluster;

  const recordOf = (name: string): string => path.join(c.dir, `${name}.records`);

  function specs(
    env: Record<string, string>,
    extra: (name: string) => Record<string, unknown> = () => ({}),
  ): Array<Record<string, unknown>> {
    return NAMES.map((name) => ({
      name,
      agents: [agentOf(name)],
      count: 1,
      command: [process.execPath, fixture('start-stop-recorder.mjs'), recordOf(name)],
      start_seconds: 0.2,
      stop_timeout: '2s',
      labels: { fleet: 'many' },
      env,
      update: UPDATE,
      ...extra(name),
    }));
  }

  async function running(): Promise<Map<string, PsInstance>> {
    const list = await waitFor(
      async () => {
        const all = (await c.instances()).filter((i) => NAMES.includes(i.handler));
        return all.length === 12 && all.every((i) => i.state === 'running' && !!i.pid) ? all : null;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: '12 handlers running' },
    );
    for (const i of list) c.trackGroup(i.pgid);
    return new Map(list.map((i) => [i.handler, i]));
  }

  /** Each handler's down time since `since`: from its `stop` record to the next `start` (Infinity if none). */
  function downIntervals(since: number): DownInterval[] {
    const out: DownInterval[] = [];
    for (const name of NAMES) {
      const file = recordOf(name);
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
      let from: number | null = null;
      for (const line of lines) {
        const [what, , at] = line.split(' ');
        const t = Number(at);
        if (t < since) continue;
        if (what === 'stop' && from === null) from = t;
        if (what === 'start' && from !== null) {
          out.push({ key: name, from, to: t });
          from = null;
        }
      }
      if (from !== null) out.push({ key: name, from, to: Infinity });
    }
    return out;
  }

  before(async () => {
    // A wide heartbeat grace: this test is about rollouts, not about noticing a dead agent on a busy machine.
    c = await Cluster.start({ agents: AGENTS, heartbeatGrace: '5s' });
    await c.govJson(['apply', '-f', c.writeHandlers(specs({ V: '1' }))]);
    await running();
  });
  after(async () => {
    await c?.stop();
  });

  it('gov rollout restart --all --batch-size 25%: one rollout, never more than 3 down, every PID changes', async () => {
    const before = await running();
    const since = Date.now();
    const r = await c.govJson<Rollout>(
      ['rollout', 'restart', '--all', '--batch-size', '25%', '--min-healthy', '300ms'],
      {},
    );
    assert.equal(r.state, 'succeeded', r.error);
    assert.deepEqual(r.handlers.map((h) => h.name).sort(), NAMES);
    assert.equal(r.handler, r.handlers[0]?.name);
    assert.equal(r.batches.length, 4);
    for (const b of r.batches)
      assert.deepEqual(
        b.instances.map((k) => k.split('/')[0]).sort(),
        AGENTS,
        `batch ${b.index + 1} takes one instance per agent`,
      );
    assert.ok(r.instances.every((i) => i.handler === i.instance));

    const after = await running();
    for (const name of NAMES)
      assert.notEqual(after.get(name)?.pid, before.get(name)?.pid, `${name} kept its pid`);
    const down = downIntervals(since);
    assert.equal(down.length, 12, `one stop/start per handler: ${JSON.stringify(down)}`);
    assert.ok(down.every((d) => d.to !== Infinity));
    assert.ok(maxOverlap(down) <= 3, `more than 3 down at once: ${JSON.stringify(down)}`);
  });

  it('pause stops it between batches; resume carries it to the end', async () => {
    const started = await c.govJson<Rollout>([
      'rollout',
      'restart',
      '--selector',
      'fleet=many',
      '--batch-size',
      '25%',
      '--min-healthy',
      '600ms',
      '--detach',
    ]);
    assert.equal(started.handlers.length, 12);
    const paused = await c.govJson<Rollout>(['rollout', 'pause', started.id]);
    assert.ok(['running', 'paused'].includes(paused.state), paused.state);
    const mid = await waitFor(
      async () => {
        const r = await c.govJson<Rollout>(['rollout', 'status', started.id]);
        return r.state === 'paused' ? r : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the rollout paused' },
    );
    assert.ok(mid.current_batch < 4, 'paused before the end');
    assert.ok(
      mid.instances.some((i) => i.state === 'pending'),
      'instances left for after the resume',
    );

    const text = await c.gov(['rollout', 'status', started.id]);
    assert.equal(text.code, 0, text.stderr);
    for (const name of NAMES)
      assert.match(text.stdout, new RegExp(`^    ${name}: versions 1 → 1, \\d+/1 instance`, 'm'));
    const list = await c.gov(['rollout', 'status']);
    assert.match(list.stdout, /h01, h02 \+10 more/);

    const done = await c.govJson<Rollout>(['rollout', 'resume', started.id]);
    assert.equal(done.state, 'succeeded', done.error);
    assert.ok(done.instances.every((i) => i.state === 'healthy'));
  });

  it('instance keys restart only those instances; unknown names and held handlers are refused, nothing started', async () => {
    const before = await running();
    const r = await c.govJson<Rollout>(['rollout', 'restart', 'h01', 'h05@edge-2', '--min-healthy', '200ms']);
    assert.equal(r.state, 'succeeded', r.error);
    assert.deepEqual(r.instances.map((i) => `${i.handler}@${i.agent}`).sort(), ['h01@edge-1', 'h05@edge-2']);
    const after = await running();
    for (const name of NAMES)
      assert.equal(after.get(name)?.pid !== before.get(name)?.pid, ['h01', 'h05'].includes(name), name);

    const unknown = await c.gov(['rollout', 'restart', 'h01', 'nope']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown handler "nope"/);

    const held = await c.govJson<Rollout>([
      'rollout',
      'restart',
      'h03',
      'h04',
      '--min-healthy',
      '30s',
      '--healthy-deadline',
      '60s',
      '--detach',
    ]);
    try {
      const refused = await c.gov(['rollout', 'restart', 'h02', 'h04']);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`handler h04 has rollout ${held.id}`));
      const { rollouts } = await c.govJson<{ rollouts: Rollout[] }>(['rollout', 'status']);
      assert.equal(rollouts.filter((x) => x.created_at >= held.created_at).length, 1, 'nothing else started');
    } finally {
      await c.govJson(['rollout', 'abort', held.id]);
    }
  });

  it('gov apply of 12 changed handlers runs ONE rollout and returns once it settled', async () => {
    const before = await running();
    const since = Date.now();
    const res = await c.gov(['apply', '-f', c.writeHandlers(specs({ V: '2' })), '--json']);
    const returned = Date.now();
    assert.equal(res.code, 0, res.stderr);
    const doc = JSON.parse(res.stdout) as ApplyDoc;
    assert.ok(doc.handlers.every((h) => h.change === 'updated'));
    assert.equal(doc.rollouts.length, 1, 'one rollout for the whole change');
    const r = doc.rollouts[0]!;
    assert.equal(r.state, 'succeeded', r.error);
    assert.equal(r.handlers.length, 12);
    assert.ok(Date.parse(r.completed_at) <= returned, 'the CLI returned after the rollout settled');
    const after = await running();
    for (const name of NAMES) {
      assert.notEqual(after.get(name)?.spec_hash, before.get(name)?.spec_hash, `${name} on the new spec`);
      assert.notEqual(after.get(name)?.pid, before.get(name)?.pid);
    }
    assert.ok(maxOverlap(downIntervals(since)) <= 3, 'never more than a batch down');
  });

  it('a failing health check in batch 2 stops the apply there and rolls every changed handler back', async () => {
    const before = await running();
    // Batch 2 is h02, h06, h10 (index 0, round-robin over agents, each agent's handlers in order).
    const res = await c.gov([
      'apply',
      '-f',
      c.writeHandlers(
        specs({ V: '3' }, (name) => ({
          update: { ...UPDATE, on_failure: 'rollback' },
          ...(name === 'h06'
            ? {
                health: {
                  exec: ['test', '-f', path.join(c.dir, 'never')],
                  interval: '100ms',
                  unhealthy_threshold: 1,
                },
              }
            : {}),
        })),
      ),
      '--json',
    ]);
    assert.equal(res.code, 1, `apply should fail: ${res.stderr}`);
    const doc = JSON.parse(res.stdout) as ApplyDoc;
    assert.equal(doc.rollouts.length, 1);
    const r = doc.rollouts[0]!;
    assert.equal(r.state, 'rolled_back', r.error);
    assert.deepEqual(r.batches[1]!.instances, ['edge-1/h02', 'edge-2/h06', 'edge-3/h10']);
    assert.match(r.error, /instance h06@edge-2 failed: not healthy/);
    const touched = [...r.batches[0]!.instances, ...r.batches[1]!.instances].map((k) => k.split('/')[1]!);
    for (const i of r.instances)
      assert.equal(
        i.state,
        touched.includes(i.handler) ? 'rolled_back' : 'skipped',
        `${i.handler}: ${i.reason}`,
      );
    for (const h of r.handlers)
      assert.ok(h.rollback_version > h.to_version, `${h.name}: its previous spec registered again`);
    // The master holds every handler's previous spec as current (applying it again changes nothing).
    await c.specVersions(readFileSync(c.writeHandlers(specs({ V: '2' })), 'utf8'));

    const after = await running();
    for (const name of NAMES) {
      assert.equal(after.get(name)?.spec_hash, before.get(name)?.spec_hash, `${name} runs its previous spec`);
      if (!touched.includes(name))
        assert.equal(after.get(name)?.pid, before.get(name)?.pid, `${name} was touched`);
    }
  });
});
