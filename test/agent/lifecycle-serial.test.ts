/** Concurrent lifecycle operations on one instance run one at a time: no duplicate spawn, no orphan (DESIGN §8.2). */
import assert from 'node:assert/strict';
import type { Handle, SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';

/** Records every handle it spawns (tracked for cleanup by process group). */
class SpawnSpy extends BackendDecorator {
  readonly spawned: Handle[] = [];
  override spawn(req: SpawnRequest): Spawned {
    const sp = this.inner.spawn(req);
    trackPid(sp.handle.pgid, true);
    this.spawned.push(sp.handle);
    return sp;
  }
}

describe('lifecycle operations are serialised per instance', () => {
  const sups: Supervisor[] = [];
  async function supervisor(): Promise<{ sup: Supervisor; spy: SpawnSpy }> {
    const spy = new SpawnSpy(new LinuxBackend());
    const sup = await Supervisor.create({ dataDir: tempDir(), backend: spy, pollIntervalMs: 50 });
    sups.push(sup);
    return { sup, spy };
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) await sup.shutdown();
  });

  const ticker = parseHandler(
    { name: 't', command: ['node', fixture('ticker.mjs')], start_seconds: 0 },
    'handlers[0]',
    'test',
  );

  it('concurrent starts spawn once; after stop no process remains', async () => {
    const { sup, spy } = await supervisor();
    await sup.applySpecs([ticker]);
    await sup.stop('t');
    const before = spy.spawned.length;
    const results = await Promise.all([sup.start('t'), sup.start('t'), sup.start('t')]);
    const fresh = spy.spawned.slice(before);
    assert.equal(fresh.length, 1, `one spawn for three concurrent starts, got ${fresh.length}`);
    for (const r of results) assert.equal(r.shim_pid, fresh[0]!.pid);
    assert.equal(sup.status('t')[0]?.state, 'running');
    await sup.stop('t');
    const alive = spy.spawned.filter((h) => isAlive(h.pid)).map((h) => h.pid);
    assert.deepEqual(alive, [], 'no process is left after stop');
  });

  it('concurrent restarts run one after the other: only the last, tracked process survives', async () => {
    const { sup, spy } = await supervisor();
    await sup.applySpecs([ticker]);
    const results = await Promise.allSettled([sup.restart('t'), sup.restart('t'), sup.restart('t')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      String(results.map((r) => (r.status === 'rejected' ? r.reason : '')).join(' ')),
    );
    assert.equal(spy.spawned.length, 4, 'the first start and one spawn per restart');
    const st = sup.status('t')[0]!;
    assert.equal(st.state, 'running');
    assert.equal(st.restarts, 3);
    assert.equal(st.shim_pid, spy.spawned.at(-1)!.pid, 'the last spawned process is the tracked one');
    const alive = spy.spawned.filter((h) => isAlive(h.pid)).map((h) => h.pid);
    assert.deepEqual(alive, [st.shim_pid], 'no orphan: every earlier process is gone');
    await sup.stop('t');
    assert.ok(
      spy.spawned.every((h) => !isAlive(h.pid)),
      'nothing remains after stop',
    );
  });

  it('two applies of the same changed spec at once restart the instance once: the later finds it on that spec', async () => {
    const { sup, spy } = await supervisor();
    await sup.applySpecs([ticker]);
    const changed = parseHandler(
      { name: 't', command: ['node', fixture('ticker.mjs')], start_seconds: 0, env: { V: '2' } },
      'handlers[0]',
      'test',
    );
    const before = spy.spawned.length;
    // The second arrives while the first is still stopping the old process (as an agent's reconnect push can).
    await Promise.all([sup.applySpecs([changed]), sup.applySpecs([changed])]);
    assert.equal(spy.spawned.length - before, 1, 'one spawn for the change, not one per apply');
    const st = sup.status('t')[0]!;
    assert.equal(st.state, 'running');
    assert.equal(st.shim_pid, spy.spawned.at(-1)!.pid);
  });
});
