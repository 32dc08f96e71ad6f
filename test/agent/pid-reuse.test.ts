/** PID reuse: a handle whose PID now belongs to another live process is never adopted nor signalled. */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Handle } from '../../agent/process/backend.js';
import { shimArgv } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { hashCmdline, isAlive, readCmdline } from '../../shared/proc.js';
import { tempDir } from '../helpers/common.js';
import { plantState, received, stranger, webHandle } from './stranger.js';
import { startAgent, waitInstance, writeHandlers } from './helpers.js';

function handleFor(pid: number, data: string, over: Partial<Handle>): Handle {
  const exitFile = path.join(data, 'run', 'web.exit');
  return webHandle(pid, data, {
    cmdline_hash: hashCmdline(shimArgv(exitFile, ['node', 'server.js'])),
    ...over,
  });
}

describe('PID reuse', () => {
  const raw = { name: 'web', command: ['node', 'server.js'], start_seconds: 0 };

  it('a recorded PID with a different start time: the agent process marks it unknown and never signals it', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const v = await stranger(dir);
    plantState(data, raw, handleFor(v.pid, data, { start_time: '1' }));
    const file = writeHandlers(dir, [raw]);
    const agent = startAgent(file, data);
    const st = await waitInstance(data, agent.pid, 'web', (s) => s.state === 'unknown', 'web unknown');
    assert.equal(st.pid, null);
    assert.match(st.events.at(-1)?.message ?? '', /^RESTORE_FAILED pid \d+ reused: start time/);
    process.kill(agent.pid, 'SIGTERM');
    assert.equal(await agent.exited, 0);
    assert.ok(isAlive(v.pid), 'the other process is alive');
    assert.equal(received(v.signals), '', 'and received no signal');
  });

  it('same start time but another command line: unknown; an admin stop forgets it without a signal', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const v = await stranger(dir);
    assert.notEqual(hashCmdline(readCmdline(v.pid)!), handleFor(v.pid, data, {}).cmdline_hash);
    plantState(data, raw, handleFor(v.pid, data, {}));
    const sup = await Supervisor.create({ dataDir: data, pollIntervalMs: 20 });
    try {
      const [st] = sup.status('web');
      assert.equal(st?.state, 'unknown');
      assert.match(st?.events.at(-1)?.message ?? '', /RESTORE_FAILED pid \d+ reused: command line differs/);
      // The admin decides: stop forgets the unverified handle without signalling it.
      const stopped = await sup.stop('web');
      assert.equal(stopped.state, 'stopped');
      assert.ok(isAlive(v.pid));
      assert.equal(received(v.signals), '');
    } finally {
      await sup.shutdown();
    }
  });
});
