/**
 * A command that names one instance acts on that instance alone. Replica 0's key is the handler's name
 * (`web`), which is what the master and the control socket put in a command's `instance` for it: the agent
 * must never read it as "every instance of web". Commands through GovernorAgent.execute, real processes.
 */
import assert from 'node:assert/strict';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { InstanceStatus } from '../../agent/supervisor/supervisor.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { agentOn, command } from './pid-signal-helpers.js';

describe('a command naming one instance', () => {
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  async function replicas(extra: Record<string, unknown> = {}) {
    const dir = tempDir();
    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    sups.push(sup);
    sup.on('state', () => {
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    });
    const spec = { name: 'web', count: 3, command: ['sleep', '600'], start_seconds: 0, ...extra };
    await sup.applySpecs([parseHandler(spec, 'handlers[0]', 't')]);
    return { sup, agent: agentOn(sup, dir) };
  }
  const byKey = (sup: Supervisor): Map<string, InstanceStatus> =>
    new Map(sup.status('web').map((s) => [s.instance, s]));

  for (const key of ['web', 'web#0']) {
    it(`instance "${key}" (replica 0): STOP, START, RESTART and SIGNAL touch replica 0 only`, async () => {
      const { sup, agent } = await replicas();
      const before = byKey(sup);
      const others = ['web#1', 'web#2'];

      const stopped = await agent.execute(command({ kind: 'STOP', handler: 'web', instance: key }));
      assert.deepEqual(
        stopped.instances?.map((i) => i.instance),
        ['web'],
      );
      let now = byKey(sup);
      assert.equal(now.get('web')?.state, 'stopped');
      for (const k of others) assert.equal(now.get(k)?.pid, before.get(k)?.pid, `${k} untouched by the stop`);

      await agent.execute(command({ kind: 'START', handler: 'web', instance: key }));
      await agent.execute(command({ kind: 'RESTART', handler: 'web', instance: key }));
      const signalled = await agent.execute(
        command({ kind: 'SIGNAL', handler: 'web', instance: key, signal: 'CONT' }),
      );
      assert.deepEqual(
        signalled.instances?.map((i) => i.instance),
        ['web'],
      );
      now = byKey(sup);
      assert.equal(now.get('web')?.state, 'running');
      assert.notEqual(now.get('web')?.pid, before.get('web')?.pid, 'replica 0 has a new process');
      for (const k of others) {
        const s = now.get(k)!;
        assert.equal(s.pid, before.get(k)?.pid, `${k} kept its process`);
        assert.equal(s.restarts, 0, `${k} was not restarted`);
        const types = s.events.map((e) => e.type);
        assert.ok(!types.includes('STOPPING') && !types.includes('SIGNALLED'), `${k}: ${types.join(' ')}`);
      }
    });
  }

  it('the handler name without an instance still means every instance', async () => {
    const { sup, agent } = await replicas();
    const res = await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'CONT' }));
    assert.deepEqual(
      res.instances?.map((i) => i.instance),
      ['web', 'web#1', 'web#2'],
    );
    for (const s of sup.status('web')) assert.equal(s.events.at(-1)?.type, 'SIGNALLED', s.instance);
  });

  it('ENSURE of replica 0 of an on-demand handler wakes replica 0, even while another replica is hot', async () => {
    const { sup, agent } = await replicas({
      mode: 'on-demand',
      count: 2,
      idle_timeout: '60s',
      command: ['node', fixture('ticker.mjs')],
    });
    await agent.execute(command({ kind: 'ENSURE', handler: 'web', instance: 'web#1' }));
    const res = await agent.execute(command({ kind: 'ENSURE', handler: 'web', instance: 'web' }));
    assert.deepEqual(
      res.instances?.map((i) => i.instance),
      ['web'],
    );
    await waitFor(() => byKey(sup).get('web')?.temperature === 'hot', { what: 'replica 0 hot' });
    assert.equal(byKey(sup).get('web#1')?.temperature, 'hot');
  });
});
