/** Issue 2 test 5: a handle whose PID now belongs to another live process is never adopted nor signalled. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Handle } from '../../agent/backend.js';
import { shimArgv } from '../../agent/linux-backend.js';
import { specHash, type AgentState } from '../../agent/state-store.js';
import { Supervisor } from '../../agent/supervisor.js';
import { hashCmdline, isAlive, readCmdline, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { startAgent, waitInstance, writeHandlers } from './helpers.js';

/** A live process that records every signal it gets; in its own process group, like a handler. */
async function victim(dir: string): Promise<{ pid: number; signals: string }> {
  const signals = path.join(dir, 'signals');
  const ready = path.join(dir, 'ready');
  const p = spawn(process.execPath, [fixture('signal-recorder.mjs'), signals, ready], {
    detached: true,
    stdio: 'ignore',
  });
  trackPid(p.pid, true);
  p.unref();
  await waitFor(() => existsSync(ready), { what: 'signal recorder ready' });
  return { pid: p.pid!, signals };
}

function plantState(data: string, raw: Record<string, unknown>, handle: Handle): void {
  const spec = parseHandler(raw, 'handlers[0]', 'handlers.yaml');
  const state: AgentState = {
    version: 1,
    specs: { [spec.name]: spec },
    instances: {
      [spec.name]: {
        spec_hash: specHash(spec),
        desired: 'running',
        state: 'running',
        handle: { ...handle, spec_hash: specHash(spec) },
        unverified_handle: null,
        restarts: 0,
        failed_starts: 0,
        last_exit: null,
        started_at: handle.spawned_at,
      },
    },
  };
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'state.json'), JSON.stringify(state));
}

function handleFor(pid: number, data: string, over: Partial<Handle>): Handle {
  const exitFile = path.join(data, 'run', 'web.exit');
  return {
    pid,
    pgid: pid,
    start_time: readProcStat(pid)!.startTime,
    cmdline_hash: hashCmdline(shimArgv(exitFile, ['node', 'server.js'])),
    spawned_at: Date.now() - 60_000,
    stdout_log: path.join(data, 'logs', 'web', 'stdout.log'),
    stderr_log: path.join(data, 'logs', 'web', 'stderr.log'),
    exit_file: exitFile,
    spec_hash: '',
    ...over,
  };
}

function received(signals: string): string {
  return existsSync(signals) ? readFileSync(signals, 'utf8') : '';
}

describe('PID reuse (issue 2 test 5)', () => {
  const raw = { name: 'web', command: ['node', 'server.js'], start_seconds: 0 };

  it('a recorded PID with a different start time: the agent process marks it unknown and never signals it', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const v = await victim(dir);
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
    const v = await victim(dir);
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
