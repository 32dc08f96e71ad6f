/**
 * Observe-only attach end to end (real master + agent processes + the `gov` CLI): a workload started outside
 * the governor is attached with `gov attach`, listed by `gov ps` as observed, `gov stop`/`restart` on it
 * are refused with the clear message (exit 1); after `kill -9` of the agent it lives on, recorded no
 * signal, and the restarted agent observes it again; `gov detach` leaves it running.
 */
import assert from 'node:assert/strict';
import { isAlive } from '../../shared/proc.js';
import { observedRefusal } from '../../shared/observed.js';
import { Cluster, type PsInstance } from '../helpers/cluster.js';
import { tempDir } from '../helpers/common.js';
import { outsideWorkload, signalsRecorded } from './observed-helpers.js';

describe('observe-only attach end to end', function () {
  this.timeout(60_000);
  let c: Cluster | null = null;
  afterEach(async () => {
    await c?.stop();
    c = null;
  });

  it('attach, refuse stop/restart, survive kill -9 of the agent without a signal, detach', async () => {
    c = await Cluster.start({ agents: ['edge-1'] });
    const w = await outsideWorkload(tempDir());

    const attached = await c.govJson<{ instances: PsInstance[] }>([
      'attach',
      '--agent',
      'edge-1',
      '--pid',
      String(w.pid),
      '--name',
      'ext',
    ]);
    assert.equal(attached.instances[0]?.pid, w.pid);
    const ps = await c.govJson<{ instances: PsInstance[] }>(['ps']);
    const ext = ps.instances.find((i) => i.handler === 'ext');
    assert.equal(ext?.mode, 'observed');
    assert.equal(ext?.state, 'running');
    assert.equal(ext?.pid, w.pid);

    for (const action of ['stop', 'restart']) {
      const r = await c.gov([action, 'ext']);
      assert.equal(r.code, 1, `gov ${action} ext exit code\n${r.stdout}${r.stderr}`);
      assert.ok(r.stderr.includes(observedRefusal('ext')), r.stderr);
      const r2 = await c.gov([action, 'ext', '--agent', 'edge-1']);
      assert.equal(r2.code, 1);
      assert.ok(r2.stderr.includes(observedRefusal('ext')), r2.stderr);
    }

    await c.killAgent('edge-1');
    assert.ok(isAlive(w.pid), 'the workload outlives kill -9 of the agent');
    assert.equal(signalsRecorded(w.log), '', 'no signal recorded');

    await c.startAgent('edge-1');
    const again = await c.waitLocal('edge-1', 'ext', (s) => s.state === 'running');
    assert.equal(again.pid, w.pid);
    await c.waitInstances('ext', 1, (i) => i.mode === 'observed' && i.pid === w.pid && !i.stale);

    const admin = c.admin();
    const executions = async () => (await admin.listExecutions({ limit: 100 })).records.length;
    const recorded = await executions();
    const unknown = await c.gov(['detach', 'nope', '--agent', 'edge-1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no observed process "nope" on agent edge-1 .*nothing was sent/);
    assert.equal(await executions(), recorded, 'nothing recorded');
    const d = await c.gov(['detach', 'ext', '--agent', 'edge-1']);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(isAlive(w.pid), 'detach leaves it running');
    assert.equal(signalsRecorded(w.log), '', 'never signalled');
    const after = await c.govJson<{ instances: PsInstance[] }>(['ps']);
    assert.equal(
      after.instances.find((i) => i.handler === 'ext'),
      undefined,
    );
  });
});
