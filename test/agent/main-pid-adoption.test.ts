/**
 * Re-adoption verifies the main process too: a restarted agent still reports the handler's own pid (also
 * from a state file of an older agent, without main fields), and a recorded main pid that now belongs to a
 * stranger (another start time, not the shim's child) is never signalled — not by SIGNAL --main, stop or
 * restart — checked from the stranger's own log.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { tempDir, trackPid, waitFor } from '../helpers/common.js';
import { readState, startAgent, waitInstance, writeHandlers } from './helpers.js';
import { agentOn, command, pidSignalsSpec, signalsOf, started } from './pid-signal-helpers.js';
import { received, stranger } from './stranger.js';

function editHandle(data: string, key: string, edit: (h: Record<string, unknown>) => void): void {
  const state = readState(data);
  const h = state.instances[key]?.handle as unknown as Record<string, unknown>;
  edit(h);
  writeFileSync(path.join(data, 'state.json'), JSON.stringify(state));
}

describe('re-adoption of the main process', () => {
  it('a restarted agent process re-adopts and still reports the main pid, also from a state without main fields', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const log = path.join(dir, 'pids.log');
    const file = writeHandlers(dir, [pidSignalsSpec('web', log)]);
    let agent = startAgent(file, data);
    const first = await waitInstance(
      data,
      agent.pid,
      'web',
      (s) => s.state === 'running' && !!s.pid,
      'web running',
    );
    trackPid(first.pgid ?? undefined, true);
    const main = await started(log, 'main');
    assert.equal(first.pid, main.pid);
    assert.equal(first.shim_pid, main.ppid);

    for (const older of [false, true]) {
      process.kill(agent.pid, 'SIGTERM');
      assert.equal(await agent.exited, 0);
      if (older)
        editHandle(data, 'web', (h) => {
          delete h.main_pid;
          delete h.main_start_time;
        });
      agent = startAgent(file, data);
      const again = await waitInstance(
        data,
        agent.pid,
        'web',
        (s) => s.state === 'running' && s.events.some((e) => e.type === 'ADOPTED'),
        `web adopted${older ? ' from an older state' : ''}`,
      );
      assert.equal(again.pid, main.pid, 'the same handler, reported by its own pid');
      assert.equal(again.shim_pid, main.ppid);
      // status.json is written at once, the state file's durable write of the adoption right after it.
      await waitFor(() => readState(data).instances.web?.handle?.main_pid === main.pid || null, {
        what: 'the main pid recorded again',
      });
    }
    process.kill(agent.pid, 'SIGTERM');
    assert.equal(await agent.exited, 0);
    assert.ok(isAlive(main.pid), 'handlers outlive the agent');
  });

  it('a recorded main pid reused by a stranger is never signalled by SIGNAL --main, stop or restart', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const spec = parseHandler(pidSignalsSpec('web', log, true), 'handlers[0]', 't');
    const sup1 = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    const [st] = await sup1.applySpecs([spec]);
    trackPid(st?.pgid ?? undefined, true);
    const main = await started(log, 'main');
    await started(log, 'child');
    await sup1.shutdown();

    const v = await stranger(dir);
    assert.notEqual(readProcStat(v.pid)?.startTime, readState(dir).instances.web?.handle?.main_start_time);
    editHandle(dir, 'web', (h) => (h.main_pid = v.pid));

    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    try {
      const s = sup.status('web')[0]!;
      assert.equal(s.state, 'running', 'the shim is verified by its own identity: adopted');
      assert.equal(s.pid, main.pid, "the main found again as the shim's child");
      assert.ok(
        s.events.some((e) => e.message.startsWith(`MAIN_UNVERIFIED recorded main pid ${v.pid} `)),
        JSON.stringify(s.events),
      );
      const agent = agentOn(sup, dir);
      await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'HUP', main: true }));
      await waitFor(() => signalsOf(log, main.pid).includes('SIGHUP'), { what: 'the real main got SIGHUP' });
      await agent.execute(command({ kind: 'RESTART', handler: 'web' }));
      const next = await started(log, 'main', main.pid);
      await agent.execute(command({ kind: 'SIGNAL', handler: 'web', signal: 'USR1', main: true }));
      await waitFor(() => signalsOf(log, next.pid).includes('SIGUSR1'), { what: 'the new main got SIGUSR1' });
      await agent.execute(command({ kind: 'STOP', handler: 'web' }));
      assert.ok(isAlive(v.pid), 'the stranger is alive');
      assert.equal(received(v.signals), '', 'and received no signal');
    } finally {
      for (const x of sup.status()) if (x.pgid) trackPid(x.pgid, true);
      await sup.shutdown();
    }
  });

  it('a stray shim (spawned, never recorded) is adopted with its main found', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup1 = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    const [st] = await sup1.applySpecs([parseHandler(pidSignalsSpec('web', log), 'handlers[0]', 't')]);
    trackPid(st?.pgid ?? undefined, true);
    const main = await started(log, 'main');
    await sup1.shutdown();
    // As if the agent died between the spawn and the durable write of its handle.
    const state = readState(dir);
    state.instances.web = { ...state.instances.web!, handle: null, state: 'starting' };
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    try {
      const s = sup.status('web')[0]!;
      assert.ok(s.events.some((e) => e.type === 'ADOPTED_STRAY'));
      assert.equal(s.pid, main.pid);
      assert.equal(s.shim_pid, main.ppid);
    } finally {
      for (const x of sup.status()) if (x.pgid) trackPid(x.pgid, true);
      await sup.shutdown();
    }
  });

  it("the backend signals a main only while it is the verified shim's child with its recorded start time", async () => {
    const dir = tempDir();
    const log = path.join(dir, 'pids.log');
    const sup = await Supervisor.create({ dataDir: dir, pollIntervalMs: 50 });
    try {
      await sup.applySpecs([parseHandler(pidSignalsSpec('web', log), 'handlers[0]', 't')]);
      const main = await started(log, 'main');
      const h = readState(dir).instances.web!.handle!;
      const v = await stranger(dir);
      const backend = new LinuxBackend();
      // The stranger's true start time, but not the shim's child: refused.
      const theirs = { ...h, main_pid: v.pid, main_start_time: readProcStat(v.pid)!.startTime };
      assert.equal(backend.signalMain(theirs, 'SIGUSR2'), false);
      assert.deepEqual(backend.findMain(theirs), { pid: main.pid, start_time: h.main_start_time });
      // The real main with another start time: refused.
      assert.equal(backend.signalMain({ ...h, main_start_time: '1' }, 'SIGUSR2'), false);
      // A shim that is not the recorded one (start time differs): no main at all.
      assert.equal(backend.findMain({ ...h, start_time: '1' }), null);
      assert.equal(backend.signalMain({ ...h, start_time: '1' }, 'SIGUSR2'), false);
      assert.equal(backend.signalMain(h, 'SIGUSR2'), true);
      await waitFor(() => signalsOf(log, main.pid).includes('SIGUSR2'), { what: 'main got SIGUSR2' });
      assert.deepEqual(signalsOf(log, main.pid), ['SIGUSR2'], 'only the verified send arrived');
      assert.equal(received(v.signals), '');
    } finally {
      for (const x of sup.status()) if (x.pgid) trackPid(x.pgid, true);
      await sup.shutdown();
    }
  });
});
