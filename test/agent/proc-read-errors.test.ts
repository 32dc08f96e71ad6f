/**
 * A read of /proc that fails for another reason than the process being gone (the agent out of descriptors: a
 * local user once held 20,000 connections to it) is no verdict: the backend says it cannot tell, instead of
 * "not running", which made the agent drop the handle of a live handler and later start a second copy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import type { Handle, SpawnRequest, Spawned } from '../../agent/process/backend.js';
import { BackendDecorator } from '../../agent/process/decorator.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';

/** A backend that cannot read /proc while `blind` is set (as the agent out of descriptors). */
class Blind extends BackendDecorator {
  blind = false;
  override spawn(req: SpawnRequest): Spawned {
    const sp = this.inner.spawn(req);
    trackPid(sp.handle.pgid, true);
    return sp;
  }
  override isRunning(h: Handle): boolean {
    if (this.blind) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    return this.inner.isRunning(h);
  }
}

describe('reading /proc without descriptors left', () => {
  it('is an error, never "the process is gone"; a process that does not exist still reads as gone', function () {
    const probe = path.join(tempDir(), 'probe.mjs');
    const dist = path.join(REPO_ROOT, 'dist');
    writeFileSync(
      probe,
      `import { openSync } from 'node:fs';
       const { readProcStat, readProcStatStrict } = await import(${JSON.stringify(path.join(dist, 'shared', 'proc.js'))});
       const { LinuxBackend } = await import(${JSON.stringify(path.join(dist, 'agent', 'process', 'linux-backend.js'))});
       const me = readProcStat(process.pid);
       const handle = { pid: process.pid, pgid: process.pid, start_time: me.startTime, cmdline_hash: '',
         spawned_at: 0, stdout_log: '', stderr_log: '', exit_file: '' };
       const gone = readProcStatStrict(2 ** 22 + 1); // above pid_max: never a process
       const backend = new LinuxBackend();
       try { for (;;) openSync('/dev/null', 'r'); } catch {}
       const out = { gone, lenient: readProcStat(process.pid) };
       try { out.strict = readProcStatStrict(process.pid) ? 'read' : null; } catch (e) { out.strict = e.code; }
       try { out.running = backend.isRunning(handle); } catch (e) { out.running = e.code; }
       try { out.recover = backend.recover(handle).kind; } catch (e) { out.recover = e.code; }
       console.log(JSON.stringify(out));`,
    );
    const r = spawnSync('prlimit', ['--nofile=64:64', process.execPath, probe], { encoding: 'utf8' });
    if (r.error) {
      console.log(`      skipped: prlimit (util-linux) cannot run here: ${r.error.message}`);
      this.skip();
    }
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      gone: null,
      lenient: null, // readers of figures (metrics, discovery) skip what they cannot read
      strict: 'EMFILE',
      running: 'EMFILE', // was false: the handler read as exited
      recover: 'EMFILE', // was "gone": adoption would have dropped a live handler
    });
  });

  it('an agent that cannot tell whether a handler runs keeps it: no exit, no second spawn, its start window still ends', async () => {
    const backend = new Blind(new LinuxBackend());
    const sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 20, backend });
    try {
      backend.blind = true;
      await sup.applySpecs([
        parseHandler(
          { name: 'tick', command: ['node', fixture('ticker.mjs')], start_seconds: 0.3 },
          'handlers[0]',
          'test',
        ),
      ]);
      // Polls and the start window's end run while blind (they threw out of a timer before, or read "gone").
      await waitFor(() => sup.status('tick')[0]?.state === 'running', { what: 'tick running, blind' });
      const [st] = sup.status('tick');
      backend.blind = false;
      await waitFor(() => sup.status('tick')[0]?.events.some((e) => e.type === 'RUNNING'), {
        what: 'RUNNING',
      });
      assert.ok(st?.pid && isAlive(st.pid));
      assert.equal(sup.status('tick')[0]?.pid, st?.pid, 'the same process');
      assert.equal(sup.status('tick')[0]?.restarts, 0);
      assert.ok(!sup.status('tick')[0]?.events.some((e) => e.type === 'EXITED'), 'never taken for exited');
    } finally {
      await sup.shutdown();
    }
  });
});
