/**
 * The agent's own layer against a fleet-wide stop: the master's post-hello sync (an APPLY marked `sync`)
 * never stops or removes a handler, whatever the master sends (an empty set included), and a spec that
 * differs only in its targets is stored without a restart. An explicit apply still stops removed ones.
 */
import assert from 'node:assert/strict';
import { Supervisor } from '../../agent/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const ticker = (name: string, extra: Record<string, unknown> = {}) =>
  parseHandler({ name, command: ['node', fixture('ticker.mjs')], start_seconds: 0, ...extra }, name);

describe('agent: a sync from the master never stops handlers', () => {
  let sup: Supervisor;
  beforeEach(async () => {
    sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50 });
  });
  afterEach(async () => {
    for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    await sup.shutdown();
  });

  it('a sync with no handlers (a master that knows nothing) leaves both running with the same PIDs', async () => {
    await sup.applySpecs([ticker('a', { agents: ['edge-1', 'edge-2'] }), ticker('b')]);
    const before = sup.status().map((s) => [s.handler, s.pid] as const);
    for (const [, pid] of before) trackPid(pid ?? undefined);
    assert.ok(before.every(([, pid]) => pid && isAlive(pid)));

    await sup.applySpecs([], new Set(), { sync: true });
    // Same handlers, same processes; the first one re-targeted by a sync is not restarted either.
    await sup.applySpecs([ticker('a', { agents: ['edge-1'] })], new Set(), { sync: true });
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

    // An explicit apply (an admin's) still stops what it no longer lists.
    await sup.applySpecs([ticker('a', { agents: ['edge-1'] })]);
    const bPid = before.find(([h]) => h === 'b')?.[1] as number;
    await waitFor(() => !isAlive(bPid), { what: 'b to be stopped by an explicit apply' });
    assert.deepEqual(
      sup.status().map((s) => s.handler),
      ['a'],
    );
  });
});
