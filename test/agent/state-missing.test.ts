/**
 * A lost state file is never "nothing started yet": an agent whose state.json is missing while handler
 * processes of its data dir run refuses to start (naming the file and the PIDs) and signals none of them.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { STATE_FILE } from '../../agent/supervisor/state-store.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';

describe('agent: a missing state file beside running handlers', () => {
  it('is refused, naming the file and the running PIDs; the handler keeps running untouched', async () => {
    const dataDir = tempDir();
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    await sup.applySpecs([
      parseHandler({ name: 'a', command: ['node', fixture('ticker.mjs')], start_seconds: 0 }, 'a'),
    ]);
    const [st] = sup.status();
    trackPid(st?.pgid ?? undefined, true);
    const pid = st?.pid as number;
    await sup.shutdown(); // handlers outlive the supervisor
    rmSync(path.join(dataDir, STATE_FILE));

    await assert.rejects(
      Supervisor.create({ dataDir, pollIntervalMs: 50 }),
      (err: Error) => err.message.includes(STATE_FILE) && err.message.includes(String(st?.pgid)),
    );
    assert.ok(isAlive(pid), 'the handler was not signalled');
  });

  it('a new data dir gets its empty state file before anything starts', async () => {
    const dataDir = tempDir();
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    try {
      assert.ok(existsSync(path.join(dataDir, STATE_FILE)), 'state.json is on disk before any spawn');
    } finally {
      await sup.shutdown();
    }
  });
});
