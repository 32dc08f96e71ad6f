/**
 * The agent on a really full disk (its data dir on a small tmpfs): it never crashes, keeps supervising
 * (a crashing handler keeps being restarted), logs the failure once per streak, and writes its state
 * again once space is freed.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { isAlive } from '../../shared/proc.js';
import { tempDir, waitFor } from '../helpers/common.js';
import { useSmallDisk } from '../helpers/full-disk.js';
import { lineCount, readState, readStatus, startAgent, trackStateGroups, writeHandlers } from './helpers.js';

describe('agent on a full disk', function () {
  this.slow(10_000);
  const disk = useSmallDisk('4m');

  it('survives ENOSPC, keeps restarting a crashing handler, and writes its state once space is freed', async function () {
    this.timeout(90_000);
    const outside = tempDir();
    const spawns = path.join(outside, 'spawns');
    const data = path.join(disk.dir, 'data');
    const crash = `require('fs').appendFileSync(process.env.SPAWN_LOG, process.pid + '\\n'); setTimeout(() => process.exit(3), 150)`;
    const file = writeHandlers(outside, [
      {
        name: 'crashy',
        command: ['node', '-e', crash],
        restart: 'always',
        start_seconds: 0,
        start_retries: 100000,
        backoff: { initial: '50ms', max: '100ms' },
        env: { SPAWN_LOG: spawns },
      },
    ]);
    const agent = startAgent(file, data);
    try {
      await waitFor(() => lineCount(spawns) >= 2, { what: 'the handler to start twice', timeoutMs: 20_000 });
      disk.fill();
      const atFull = lineCount(spawns);
      await waitFor(() => lineCount(spawns) >= atFull + 4, {
        what: 'restarts while the disk is full',
        timeoutMs: 30_000,
      });
      assert.ok(isAlive(agent.pid), `the agent is alive:\n${agent.stderr()}`);
      const stateFailures = agent.stderr().split('state file write failed').length - 1;
      assert.equal(stateFailures, 1, `one log line per failure streak:\n${agent.stderr()}`);
      disk.free();
      const freed = lineCount(spawns);
      await waitFor(() => (readState(data).instances.crashy?.restarts ?? 0) >= freed - 1, {
        what: 'the state file to be written again',
        timeoutMs: 20_000,
      });
      await waitFor(() => (readStatus(data)?.instances[0]?.restarts ?? 0) >= freed - 1, {
        what: 'the status file to be written again',
        timeoutMs: 20_000,
      });
      assert.ok(isAlive(agent.pid), 'the agent is still alive');
    } finally {
      trackStateGroups(data);
      agent.proc.kill('SIGTERM');
      await agent.exited;
      trackStateGroups(data);
    }
  });
});
