/**
 * The agent's own layer against a fleet-wide stop: an APPLY never stops or removes a handler the master
 * does not name in `remove`, whatever set it sends (an empty one included), and a spec that differs only
 * in its targets is stored without a restart. Named handlers, and replicas above a count, are stopped.
 */
import assert from 'node:assert/strict';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const ticker = (name: string, extra: Record<string, unknown> = {}) =>
  parseHandler({ name, command: ['node', fixture('ticker.mjs')], start_seconds: 0, ...extra }, name);

describe('agent: an apply stops only what the master names', () => {
  let sup: Supervisor;
  beforeEach(async () => {
    sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50 });
  });
  afterEach(async () => {
    for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    await sup.shutdown();
  });

  it('an apply with no handlers (a master that knows nothing) leaves both running with the same PIDs', async () => {
    await sup.applySpecs([ticker('a', { agents: ['edge-1', 'edge-2'] }), ticker('b')]);
    const before = sup.status().map((s) => [s.handler, s.pid] as const);
    for (const [, pid] of before) trackPid(pid ?? undefined);
    assert.ok(before.every(([, pid]) => pid && isAlive(pid)));

    await sup.applySpecs([]);
    // Same handlers, same processes; the first one re-targeted is not restarted either.
    await sup.applySpecs([ticker('a', { agents: ['edge-1'] })]);
    assert.deepEqual(
      sup.status().map((s) => [s.handler, s.pid] as const),
      before,
    );
    assert.deepEqual(
      sup.specs().find((s) => s.name === 'a')?.agents,
      ['edge-1'],
      'the new targets are stored',
    );
    assert.equal(sup.status('a')[0]?.restarts, 0);

    // A handler the master names (deleted, or moved to other agents) is stopped.
    await sup.applySpecs([ticker('a', { agents: ['edge-1'] })], new Set(), { remove: new Set(['b', 'zz']) });
    const bPid = before.find(([h]) => h === 'b')?.[1] as number;
    await waitFor(() => !isAlive(bPid), { what: 'b to be stopped when named' });
    assert.deepEqual(
      sup.status().map((s) => s.handler),
      ['a'],
    );
  });

  it('a change of only its resource policies is stored without a restart; a change of how it runs restarts it', async () => {
    const leak = (above: string) => ({
      policies: [{ name: 'leak', when: { metric: 'rss', above }, do: 'restart' }],
    });
    await sup.applySpecs([ticker('p', leak('400MiB'))]);
    const [first] = sup.status('p');
    trackPid(first!.pid ?? undefined);
    await sup.applySpecs([ticker('p', leak('300MiB'))]);
    const [after] = sup.status('p');
    assert.equal(after!.pid, first!.pid, 'the same process');
    assert.equal(sup.specs().find((s) => s.name === 'p')?.policies?.[0]?.when.above, 300 * 1024 * 1024);
    await sup.applySpecs([ticker('p', { ...leak('300MiB'), env: { X: '1' } })]);
    await waitFor(() => sup.status('p')[0]?.pid !== first!.pid && sup.status('p')[0]?.state === 'running', {
      what: 'p restarted on its new environment',
    });
    trackPid(sup.status('p')[0]!.pid ?? undefined);
  });

  it('replicas above a lowered count are stopped, whatever else is named', async () => {
    await sup.applySpecs([ticker('w', { count: 3 })]);
    const pids = sup.status().map((s) => s.pid as number);
    for (const pid of pids) trackPid(pid);
    await sup.applySpecs([ticker('w', { count: 1 })]);
    assert.deepEqual(
      sup.status().map((s) => s.handler),
      ['w'],
    );
    await waitFor(() => !isAlive(pids[1]!) && !isAlive(pids[2]!), { what: 'w#1 and w#2 to stop' });
    assert.ok(isAlive(pids[0]!), 'w keeps running');
  });
});
