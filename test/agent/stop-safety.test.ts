/**
 * A stop never hangs and never signals what it could not verify (DESIGN §3): a refused group signal ends
 * the stop in `unknown`; a handle whose PID is no longer the recorded process is never signalled.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { RecoverResult, SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { StateError } from '../../shared/errors.js';
import { hashCmdline, isAlive, readCmdline, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid } from '../helpers/common.js';
import { plantState, received, stranger, webHandle } from './stranger.js';

/** Spawns for real but every group signal is refused (as the observed-process guard or EPERM would). */
class RefusingBackend extends BackendDecorator {
  signals = 0;
  override spawn(req: SpawnRequest): Spawned {
    const sp = this.inner.spawn(req);
    trackPid(sp.handle.pgid, true);
    return sp;
  }
  override signalGroup(): boolean {
    this.signals++;
    return false;
  }
}

/** Verified the handle when it was adopted; since then its PID may have been recycled. */
class AdoptedBackend extends BackendDecorator {
  override recover(): RecoverResult {
    return { kind: 'alive' };
  }
}

describe('stop safety', () => {
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) await sup.shutdown();
  });

  it('a refused stop signal ends the stop promptly: unknown, an event, a StateError', async () => {
    const backend = new RefusingBackend(new LinuxBackend());
    const sup = await Supervisor.create({ dataDir: tempDir(), backend, pollIntervalMs: 50 });
    sups.push(sup);
    const raw = {
      name: 'w',
      command: ['node', fixture('ticker.mjs')],
      start_seconds: 0,
      stop_timeout: '200ms',
    };
    await sup.applySpecs([parseHandler(raw, 'handlers[0]', 'test')]);
    const pid = sup.status('w')[0]!.pid!;
    const t0 = Date.now();
    await assert.rejects(sup.stop('w'), (err: unknown) => {
      assert.ok(err instanceof StateError, String(err));
      assert.match(err.message, /cannot stop w: SIGTERM to group \d+ was refused/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000, 'the stop did not wait');
    const st = sup.status('w')[0]!;
    assert.equal(st.state, 'unknown');
    assert.equal(st.pid, null);
    assert.match(st.events.at(-1)?.message ?? '', /^STOP_FAILED SIGTERM to group \d+ was refused/);
    assert.equal(backend.signals, 1, 'nothing more was sent after the refusal');
    assert.ok(isAlive(pid), 'the process was left alone');
    // The admin's next stop: never through the refused group again; what is in its cgroup (the handler's by
    // where it is) is stopped, and without a cgroup it is forgotten without a signal.
    const stopped = await sup.stop('w');
    assert.equal(stopped.state, 'stopped');
    if (sup.tracking() === 'cgroup') {
      assert.ok(!isAlive(pid), 'what was in its cgroup is stopped');
      assert.ok(
        stopped.events.some((e) => e.type === 'LEFTOVERS'),
        JSON.stringify(stopped.events),
      );
    } else {
      assert.equal(backend.signals, 1);
      assert.ok(isAlive(pid), 'the process was left alone');
    }
  });

  it("a group led by a stranger given the recorded main's PID is never taken for the main's own group (setsid)", async () => {
    const dir = tempDir();
    const { pid, signals } = await stranger(dir);
    const backend = new LinuxBackend();
    const shim = await stranger(tempDir());
    // The handle's main had this PID once, started at another time; the stranger now leads group `pid`.
    const h = {
      ...webHandle(shim.pid, dir, {}),
      main_pid: pid,
      main_start_time: String(Number(readProcStat(pid)!.startTime) - 1),
    };
    assert.equal(backend.strayAlive(h), false);
    assert.equal(backend.signalStray(h, 'SIGTERM'), false);
    // The same group with the main's own start time is the main's: followed and signalled.
    const own = { ...h, main_start_time: readProcStat(pid)!.startTime };
    assert.equal(backend.strayAlive(own), true);
    assert.equal(received(signals), '', 'the stranger received no signal');
    assert.equal(received(shim.signals), '');
  });

  it('an adopted handle whose PID was recycled is never signalled by a stop', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const { pid, signals } = await stranger(dir);
    const raw = { name: 'web', command: ['node', 'server.js'], start_seconds: 0, stop_timeout: '200ms' };
    // The recorded process had this PID; the one there now started at another time (a stranger).
    const startTime = String(Number(readProcStat(pid)!.startTime) - 1);
    plantState(
      data,
      raw,
      webHandle(pid, data, { start_time: startTime, cmdline_hash: hashCmdline(readCmdline(pid)!) }),
    );
    // Liveness polls are slow for adopted processes: the stop comes before the next one.
    const backend = new AdoptedBackend(new LinuxBackend());
    const sup = await Supervisor.create({ dataDir: data, backend, pollIntervalMs: 60_000 });
    sups.push(sup);
    assert.equal(sup.status('web')[0]?.state, 'running');
    const st = await sup.stop('web');
    assert.equal(st.state, 'stopped');
    assert.ok(st.events.some((e) => /^NOT_SIGNALLED pid \d+ is gone or no longer/.test(e.message)));
    assert.deepEqual(st.last_exit && [st.last_exit.code, st.last_exit.signal], [null, null]);
    assert.ok(isAlive(pid), 'the stranger is alive');
    assert.equal(received(signals), '', 'and received no signal');
  });
});
