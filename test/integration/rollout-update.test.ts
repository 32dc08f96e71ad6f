/**
 * Rolling updates with real processes: `gov apply -f` of a changed spec is a rolling update; a version
 * that cannot come up stops the rollout after the first batch, then rollback / pause → fix → resume /
 * abort. 4 instances on 2 agents, batch 2.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApplyResponse, Rollout } from '../../master/cli/admin-client.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { needsFile, webSpec } from './rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2'];
const UPDATE = { batch_size: 2, min_healthy_time: '300ms', healthy_deadline: '8s' };

type ApplyDoc = Pick<ApplyResponse, 'handlers'> & { rollouts: Rollout[] };

const keyOf = (i: PsInstance): string => `${i.agent}/${String(i.instance || 'web')}`;

describe('rollout: rolling update to a version that fails', function () {
  this.timeout(90_000);
  let c: Cluster;
  let okFile: string;

  before(async () => {
    // A wide heartbeat grace: these tests are about rollouts, not about noticing a dead agent on a busy machine.
    c = await Cluster.start({ agents: AGENTS, heartbeatGrace: '5s' });
    okFile = path.join(c.dir, 'ok');
    await c.govJson(['apply', '-f', c.writeHandlers([webSpec(AGENTS, { env: { V: '1' }, update: UPDATE })])]);
    await c.waitInstances('web', 4, (i) => i.state === 'running' && !!i.pid);
  });
  after(async () => {
    await c?.stop();
  });

  async function snapshot(): Promise<Map<string, PsInstance>> {
    const list = await c.waitInstances('web', 4, () => true);
    return new Map(list.map((i) => [keyOf(i), i]));
  }

  /** Applies a broken version of web; expects exit 1 and returns the rollout it started. */
  async function applyBroken(env: Record<string, string>, onFailure: string, file: string): Promise<Rollout> {
    const spec = webSpec(AGENTS, {
      env,
      command: needsFile(file),
      update: { ...UPDATE, on_failure: onFailure },
    });
    const res = await c.gov(['apply', '-f', c.writeHandlers([spec]), '--json']);
    assert.equal(res.code, 1, `apply should fail: ${res.stderr}`);
    const doc = JSON.parse(res.stdout) as ApplyDoc;
    assert.equal(doc.handlers[0]?.change, 'updated');
    assert.equal(doc.rollouts.length, 1);
    const r = doc.rollouts[0]!;
    assert.match(res.stderr, new RegExp(`rollout ${r.id} ${r.state === 'rolling_back' ? '' : r.state}`));
    assert.match(res.stderr, /instance web@edge-1 failed: (backoff|exited|fatal|process replaced)/);
    return r;
  }

  it('a change of only its resource policies starts no rolling update and restarts nothing', async () => {
    const before = await snapshot();
    const policies = [{ name: 'leak', when: { metric: 'rss', above: '900MiB', for: '1m' }, do: 'restart' }];
    const spec = webSpec(AGENTS, { env: { V: '1' }, update: UPDATE, policies });
    const doc = await c.govJson<ApplyDoc>(['apply', '-f', c.writeHandlers([spec])]);
    assert.equal(doc.handlers[0]?.change, 'updated');
    assert.deepEqual(doc.rollouts, []);
    const after = await snapshot();
    for (const [key, i] of before) assert.equal(after.get(key)?.pid, i.pid, `${key} was restarted`);
    // Back to the spec the other tests start from (again no rollout).
    await c.govJson(['apply', '-f', c.writeHandlers([webSpec(AGENTS, { env: { V: '1' }, update: UPDATE })])]);
  });

  it('health check failing: stops after the first batch and rolls it back', async () => {
    const before = await snapshot();
    const spec = webSpec(AGENTS, {
      env: { V: 'health' },
      health: { exec: ['test', '-f', path.join(c.dir, 'never')], interval: '100ms', unhealthy_threshold: 1 },
      update: { ...UPDATE, healthy_deadline: '2s', on_failure: 'rollback' },
    });
    const res = await c.gov(['apply', '-f', c.writeHandlers([spec]), '--json']);
    assert.equal(res.code, 1, res.stderr);
    const r = (JSON.parse(res.stdout) as ApplyDoc).rollouts[0]!;
    assert.equal(r.state, 'rolled_back', r.error);
    assert.match(r.error, /instance web@edge-1 failed: not healthy .*health unhealthy/);
    assert.match(res.stderr, /rollout ro-\S+ rolled_back: instance web@edge-1 failed/);
    assert.deepEqual(
      r.instances.map((i) => i.state),
      ['rolled_back', 'rolled_back', 'skipped', 'skipped'],
    );
    const after = await c.waitInstances('web', 4, (i) => i.state === 'running');
    for (const key of r.batches[1]!.instances)
      assert.equal(after.find((i) => keyOf(i) === key)?.pid, before.get(key)?.pid);
    for (const i of after) assert.equal(i.spec_hash, before.get(keyOf(i))?.spec_hash);
  });

  it('rollback: the first batch runs the previous spec again and the rest never changed', async () => {
    const before = await snapshot();
    const r = await applyBroken({ V: '2' }, 'rollback', path.join(c.dir, 'never'));
    assert.equal(r.state, 'rolled_back', r.error);
    assert.equal(r.batches.length, 2);
    const first = r.batches[0]!.instances;
    const rest = r.batches[1]!.instances;
    assert.deepEqual(
      r.instances.map((i) => i.state),
      ['rolled_back', 'rolled_back', 'skipped', 'skipped'],
    );
    const after = await c.waitInstances('web', 4, (i) => i.state === 'running');
    for (const i of after) {
      const key = keyOf(i);
      const was = before.get(key)!;
      assert.equal(i.spec_hash, was.spec_hash, `${key} runs the previous spec`);
      if (rest.includes(key)) assert.equal(i.pid, was.pid, `${key} was touched`);
      if (first.includes(key)) assert.notEqual(i.pid, was.pid, `${key} was not rolled back`);
    }
    // The previous spec is the current one again (a new version with the same content).
    assert.ok(r.rollback_version > r.to_version);
  });

  it('pause: stops after the first batch; resume after a fix completes it', async () => {
    const before = await snapshot();
    const r = await applyBroken({ V: '3' }, 'pause', okFile);
    assert.equal(r.state, 'paused');
    assert.match(r.error, /paused/);
    const mid = await snapshot();
    for (const key of r.batches[1]!.instances) assert.equal(mid.get(key)?.pid, before.get(key)?.pid);

    writeFileSync(okFile, 'fixed\n'); // the fix
    const resumed = await c.govJson<Rollout>(['rollout', 'resume', r.id]);
    assert.equal(resumed.state, 'succeeded', resumed.error);
    assert.ok(resumed.instances.every((i) => i.state === 'healthy'));
    const after = await c.waitInstances('web', 4, (i) => i.state === 'running');
    const hashes = new Set(after.map((i) => i.spec_hash));
    assert.equal(hashes.size, 1, 'every instance on the new version');
    assert.ok(!hashes.has(before.values().next().value!.spec_hash));
  });

  it('abort: ends aborted after the first batch, naming the instance', async () => {
    const before = await snapshot();
    const r = await applyBroken({ V: '4' }, 'abort', path.join(c.dir, 'never'));
    assert.equal(r.state, 'aborted');
    assert.match(r.error, /instance web@edge-1 failed/);
    const status = await c.govJson<Rollout>(['rollout', 'status', r.id]);
    assert.equal(status.state, 'aborted');
    const after = await snapshot();
    for (const key of r.batches[1]!.instances) {
      assert.equal(after.get(key)?.pid, before.get(key)?.pid, `${key} changed after an abort`);
      assert.equal(after.get(key)?.spec_hash, before.get(key)?.spec_hash);
    }
  });
});
