/** `gov attach` / `gov detach` against a fake AdminApi: arguments checked before connecting, JSON, exit codes. */
import assert from 'node:assert/strict';
import { GovError } from '../../shared/errors.js';
import { observedRefusal } from '../../shared/observed.js';
import { FakeAdmin, runGov as gov } from './fake-admin.js';

describe('gov attach / gov detach (CLI)', () => {
  it('attach sends agent, pid and name and prints one JSON document with the observed instance', async () => {
    const { code, io, fake } = await gov([
      'attach',
      '--agent',
      'edge-1',
      '--pid',
      '4242',
      '--name',
      'ext',
      '--json',
    ]);
    assert.equal(code, 0, io.stderr);
    assert.deepEqual(fake.calls, [['attach', 'edge-1', 4242, 'ext']]);
    const doc = JSON.parse(io.stdout) as { instances: Array<{ handler: string; mode: string; pid: number }> };
    assert.deepEqual(
      doc.instances.map((i) => [i.handler, i.mode, i.pid]),
      [['ext', 'observed', 4242]],
    );
  });

  it('usage errors (exit 2) before connecting: missing --agent/--pid/--name, bad pid, bad name', async () => {
    for (const argv of [
      ['attach', '--pid', '4242', '--name', 'ext'],
      ['attach', '--agent', 'edge-1', '--name', 'ext'],
      ['attach', '--agent', 'edge-1', '--pid', '4242'],
      ['attach', '--agent', 'edge-1', '--pid', 'abc', '--name', 'ext'],
      ['attach', '--agent', 'edge-1', '--pid', '1', '--name', 'ext'],
      ['attach', '--agent', 'edge-1', '--pid', '4242', '--name', 'Bad Name'],
      ['detach', '--agent', 'edge-1'],
      ['detach', 'ext'],
    ]) {
      const { code, fake, io } = await gov(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${io.stderr}`);
      assert.equal(fake.connections.length, 0, argv.join(' '));
    }
  });

  it('detach sends agent and name; an agent error exits 1 with its message', async () => {
    const ok = await gov(['detach', 'ext', '--agent', 'edge-1']);
    assert.equal(ok.code, 0, ok.io.stderr);
    assert.deepEqual(ok.fake.calls, [['detach', 'edge-1', 'ext']]);
    const refused = new FakeAdmin({
      control: () => Promise.reject(new GovError('FAILED_PRECONDITION', observedRefusal('ext'))),
    });
    const r = await gov(['stop', 'ext'], refused);
    assert.equal(r.code, 1);
    assert.ok(r.io.stderr.includes(observedRefusal('ext')), r.io.stderr);
  });
});
