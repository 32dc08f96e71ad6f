/**
 * An instance reports its handler's own process (the shim's child) as its pid, the shim as shim_pid: what
 * `gov ps` shows is what `kill -HUP` must reach. Real processes, in-process supervisor.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { agentOn, command, pidSignalsSpec, signalsOf, started } from './pid-signal-helpers.js';
import { readState } from './helpers.js';

describe("the handler's own pid", () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50 });
    sup.on('state', () => {
      for (const s of sup.status()) trackPid(s.pgid ?? undefined, true);
    });
    sups.push(sup);
    return sup;
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });

  it('status pid is the pid the handler logs, its parent is shim_pid, and kill -HUP of it reaches the handler', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(dir);
    const [st] = await sup.applySpecs([parseHandler(pidSignalsSpec('web', log), 'handlers[0]', 't')]);
    const main = await started(log, 'main');
    assert.equal(st?.pid, main.pid, 'the status pid is the handler itself');
    assert.equal(st?.shim_pid, main.ppid, 'shim_pid is its parent');
    assert.equal(st?.pgid, st?.shim_pid, 'the shim still leads the group');
    assert.notEqual(st?.pid, st?.shim_pid);
    // Recorded in the durable handle with its start time.
    const h = readState(dir).instances.web?.handle;
    assert.equal(h?.main_pid, main.pid);
    assert.equal(h?.main_start_time, readProcStat(main.pid)?.startTime);

    process.kill(st!.pid!, 'SIGHUP');
    await waitFor(() => signalsOf(log, main.pid).includes('SIGHUP'), { what: 'the handler to log SIGHUP' });
    assert.ok(isAlive(main.pid), 'a signal is not a stop: the handler keeps running');
    assert.equal(sup.status('web')[0]?.state, 'running');
    assert.equal(sup.status('web')[0]?.pid, main.pid);
  });

  it('START and RESTART answer with the new main pid in their status and summary', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(dir);
    const agent = agentOn(sup, dir);
    await sup.applySpecs([parseHandler(pidSignalsSpec('web', log), 'handlers[0]', 't')]);
    const first = await started(log, 'main');
    const res = await agent.execute(command({ kind: 'RESTART', handler: 'web' }));
    const second = await started(log, 'main', first.pid);
    assert.equal(res.instances?.[0]?.pid, second.pid, 'the restart answers with the new handler pid');
    assert.equal(res.instances?.[0]?.shim_pid, second.ppid);
    assert.equal(res.summary, `web running pid ${second.pid}`);
    await sup.stop('web');
    const again = await agent.execute(command({ kind: 'START', handler: 'web' }));
    const third = await started(log, 'main', second.pid);
    assert.ok(third.pid !== second.pid);
    assert.equal(again.instances?.[0]?.pid, third.pid);
    const startedEv = sup
      .status('web')[0]!
      .events.filter((e) => e.type === 'STARTED')
      .at(-1);
    assert.equal(startedEv?.message, `STARTED pid=${third.pid}`);
  });

  it('metrics are summed over the whole tree (shim, main, its child) and report the main pid', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await supervisor(dir);
    await sup.applySpecs([parseHandler(pidSignalsSpec('web', log, true), 'handlers[0]', 't')]);
    const main = await started(log, 'main');
    await started(log, 'child');
    const m = await waitFor(
      async () => {
        const x = (await sup.metrics()).find((i) => i.handler === 'web');
        return x && x.processes >= 3 ? x : null;
      },
      { what: 'metrics over shim + main + child' },
    );
    assert.equal(m.pid, main.pid);
    assert.ok(m.memory_bytes > 0);
  });
});
