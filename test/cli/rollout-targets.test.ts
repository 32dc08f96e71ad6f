/**
 * `gov rollout restart TARGET…` sends ONE request with the target set; `gov rollout status` shows a
 * rollout over many handlers one line per handler and lists it as `web, api +48 more`; `gov apply` follows
 * its one rollout. Against a fake master.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Rollout } from '../../master/cli/admin-client.js';
import { tempDir } from '../helpers/common.js';
import { FakeAdmin, rollout, runGov as gov } from './fake-admin.js';

/** A rollout over `n` handlers (`web`, `api`, `h3`…), one instance each. */
function manyHandlers(n: number, over: Partial<Rollout> = {}): Rollout {
  const names = ['web', 'api', ...Array.from({ length: n - 2 }, (_, i) => `h${i + 3}`)];
  return rollout({
    handlers: names.map((name, i) => ({ name, from_version: i + 1, to_version: i + 2, rollback_version: 0 })),
    kind: 'update',
    instances: names.map((name, i) => ({
      handler: name,
      agent: `edge-${(i % 3) + 1}`,
      instance: name,
      batch: Math.floor(i / 13),
      state: 'healthy',
      old_pid: 100 + i,
      new_pid: 200 + i,
      reason: '',
      started_at: '',
      done_at: '',
    })),
    ...over,
  });
}

describe('gov rollout over a target set (fake master)', () => {
  it('restart --all --batch-size 25% --min-healthy 1s: one StartRollout carrying the set', async () => {
    const { code, io, fake } = await gov([
      'rollout',
      'restart',
      '--all',
      '--batch-size',
      '25%',
      '--min-healthy',
      '1s',
      '--detach',
    ]);
    assert.equal(code, 0, io.stderr);
    const starts = fake.calls.filter((c) => c[0] === 'startRollout');
    assert.equal(starts.length, 1);
    const req = starts[0]![1] as Record<string, unknown>;
    assert.deepEqual(req.targets, { names: [], all: true, selector: {}, agents: [] });
    assert.equal(req.batch_size, '25%');
    assert.equal(req.min_healthy_time, '1s');
  });

  it('restart takes several names, instance keys, a selector and repeated --agent', async () => {
    const { code, io, fake } = await gov([
      'rollout',
      'restart',
      'web',
      'api#1@edge-2',
      '--selector',
      'tier=front',
      '--agent',
      'edge-1',
      '--agent',
      'edge-2',
      '--detach',
    ]);
    assert.equal(code, 0, io.stderr);
    const req = fake.calls.find((c) => c[0] === 'startRollout')![1] as Record<string, unknown>;
    assert.deepEqual(req.targets, {
      names: ['web', 'api#1@edge-2'],
      all: false,
      selector: { tier: 'front' },
      agents: ['edge-1', 'edge-2'],
    });
  });

  it('restart without a target, or --all mixed with names, is a usage error and sends nothing', async () => {
    for (const argv of [
      ['rollout', 'restart'],
      ['rollout', 'restart', '--all', 'web'],
      ['rollout', 'restart', 'web@'],
    ]) {
      const { code, io, fake } = await gov(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.match(io.stderr, /^error: /);
      assert.deepEqual(fake.calls, [], argv.join(' '));
    }
  });

  it('--min-healthy and --healthy-deadline that cannot fit together are a usage error naming the flags, nothing sent', async () => {
    const { code, io, fake } = await gov([
      'rollout',
      'restart',
      'web',
      '--min-healthy',
      '2s',
      '--healthy-deadline',
      '1s',
    ]);
    assert.equal(code, 2, io.stderr);
    assert.match(
      io.stderr,
      /^error: --healthy-deadline: 1000 ms must be longer than --min-healthy \(2000 ms\)/,
    );
    assert.deepEqual(fake.calls, []);
  });

  it('status: one line per handler with its versions; --json keeps the shape plus handlers', async () => {
    const r = manyHandlers(4);
    const fake = new FakeAdmin({ getRollout: async () => r });
    const text = await gov(['rollout', 'status', 'ro-1'], fake);
    assert.equal(text.code, 0, text.io.stderr);
    assert.match(text.io.stdout, /^rollout ro-1 \(update of web, api \+2 more\): succeeded/);
    for (const [i, name] of ['web', 'api', 'h3', 'h4'].entries())
      assert.match(
        text.io.stdout,
        new RegExp(`^    ${name}: versions ${i + 1} → ${i + 2}, 1/1 instance\\(s\\) healthy$`, 'm'),
      );
    const json = await gov(['rollout', 'status', 'ro-1', '--json'], fake);
    const doc = JSON.parse(json.io.stdout) as Rollout;
    assert.equal(doc.handler, 'web');
    assert.deepEqual(
      doc.handlers.map((h) => h.name),
      ['web', 'api', 'h3', 'h4'],
    );
    assert.ok(doc.instances.every((i) => typeof i.handler === 'string'));
  });

  it('a settled rollout counts only healthy instances as done, and says how the others ended', async () => {
    const r = manyHandlers(4, { state: 'aborted' });
    r.instances[1]!.state = 'failed';
    r.instances[2]!.state = 'skipped';
    r.instances[3]!.state = 'skipped';
    const fake = new FakeAdmin({ getRollout: async () => r });
    const { io } = await gov(['rollout', 'status', 'ro-1'], fake);
    assert.match(io.stdout, /: aborted — 1\/4 instance\(s\) healthy, 1 failed, 2 skipped, /);
    assert.match(io.stdout, /^ {4}api: versions 2 → 3, 0\/1 instance\(s\) healthy, 1 failed$/m);
  });

  it('status of a restart asked to roll back on failure says it aborts (a restart has nothing to roll back)', async () => {
    const fake = new FakeAdmin({ getRollout: async () => rollout({ on_failure: 'rollback' }) });
    const { code, io } = await gov(['rollout', 'status', 'ro-1'], fake);
    assert.equal(code, 0, io.stderr);
    assert.match(io.stdout, /on failure abort \(rollback asked: a restart has nothing to roll back\)/);
  });

  it('pause, resume and abort without an ID act on the one rollout they can, and refuse to pick among several', async () => {
    const two = [rollout({ id: 'ro-2', state: 'running' }), rollout({ id: 'ro-1', state: 'paused' })];
    for (const sub of ['pause', 'abort']) {
      const fake = new FakeAdmin({ listRollouts: async () => ({ rollouts: two }) });
      const { code, io } = await gov(['rollout', sub], fake);
      assert.equal(code, 2, `${sub}: ${io.stderr}`);
      assert.match(
        io.stderr,
        new RegExp(
          `2 rollouts could be meant \\(ro-2 running web; ro-1 paused web\\): pass the ID of the one to ${sub}`,
        ),
      );
      assert.deepEqual(
        fake.calls.map((c) => c[0]),
        ['listRollouts'],
        `${sub}: nothing paused or aborted`,
      );
    }
    // resume: only the paused one can be meant.
    const fake = new FakeAdmin({ listRollouts: async () => ({ rollouts: two }) });
    const { code, io } = await gov(['rollout', 'resume', '--detach'], fake);
    assert.equal(code, 0, io.stderr);
    assert.deepEqual(
      fake.calls.find((c) => c[0] === 'resumeRollout'),
      ['resumeRollout', 'ro-1'],
    );
  });

  it('status (list) shows many handlers as `web, api +48 more`', async () => {
    const fake = new FakeAdmin({ listRollouts: async () => ({ rollouts: [manyHandlers(50)] }) });
    const { code, io } = await gov(['rollout', 'status'], fake);
    assert.equal(code, 0, io.stderr);
    assert.match(io.stdout, /ro-1 +web, api \+48 more +update/);
  });

  it('apply follows its one rollout and returns as soon as it settled', async () => {
    const dir = tempDir('gov-apply-');
    const file = path.join(dir, 'h.yaml');
    writeFileSync(file, 'handlers:\n  - name: web\n    command: [x]\n    agents: [edge-1]\n');
    const states = ['running', 'running', 'succeeded'];
    const fake = new FakeAdmin({
      apply: async () => ({
        handlers: [],
        executions: [],
        rollouts: [manyHandlers(3, { state: 'pending' })],
      }),
      getRollout: async () => manyHandlers(3, { state: states.shift() ?? 'succeeded' }),
    });
    const { code, io } = await gov(['apply', '-f', file], fake);
    assert.equal(code, 0, io.stderr);
    assert.equal(fake.calls.filter((c) => c[0] === 'getRollout').length, 3, 'no poll after it settled');
    assert.match(io.stdout, /rollout ro-1 \(update of web, api, h3\): succeeded/);
  });
});
