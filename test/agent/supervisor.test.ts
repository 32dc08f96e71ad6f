/** In-process supervisor tests with real processes: start, stop, restart, apply, logs and exit codes. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { Supervisor, type InstanceStatus } from '../../agent/supervisor/supervisor.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

export function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

describe('supervisor (in-process, real processes)', () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir = tempDir()): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50, random: () => 0.5 });
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

  function one(sup: Supervisor, name: string): InstanceStatus {
    const s = sup.status(name)[0];
    assert.ok(s);
    return s;
  }

  it("a handler's session and process group differ from the agent's", async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const pidFile = path.join(dir, 'spawns');
    const [st] = await sup.applySpecs([
      spec({
        name: 'tick',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        env: { SPAWN_LOG: pidFile },
      }),
    ]);
    assert.equal(st?.state, 'running');
    const handlerPid = await waitFor(
      () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null),
      {
        what: 'handler pid',
      },
    );
    const me = readProcStat(process.pid)!;
    const h = readProcStat(handlerPid)!;
    assert.notEqual(h.sid, me.sid, 'session differs');
    assert.notEqual(h.pgid, me.pgid, 'process group differs');
    assert.equal(h.pgid, st?.pgid, 'the handler is in the group the supervisor signals');
    assert.equal(h.sid, st?.shim_pid, 'the shim leads the new session');
    assert.equal(st?.pid, handlerPid, "the instance reports the handler's own pid");
    assert.equal(h.ppid, st?.shim_pid, 'whose parent is the shim');
    // stdin closed, stdout to the log file (not a pipe)
    assert.match(readlink(handlerPid, 0), /^\/dev\/null$/);
    assert.equal(readlink(handlerPid, 1), path.join(dir, 'logs', 'tick', 'stdout.log'));
  });

  it('a crash loop backs off with growing delays and goes fatal after start_retries', async () => {
    const sup = await supervisor();
    await sup.applySpecs([
      spec({
        name: 'crash',
        command: ['sh', '-c', 'exit 3'],
        start_seconds: 1,
        start_retries: 3,
        backoff: { initial: '20ms', max: '1s', factor: 2, jitter: 0 },
      }),
    ]);
    const st = await waitFor(() => (one(sup, 'crash').state === 'fatal' ? one(sup, 'crash') : null), {
      what: 'fatal',
    });
    const backoffs = st.events.filter((e) => e.type === 'BACKOFF').map((e) => e.message);
    assert.deepEqual(backoffs, ['BACKOFF 20ms', 'BACKOFF 40ms', 'BACKOFF 80ms']);
    assert.equal(st.events.filter((e) => e.type === 'EXITED').length, 4);
    assert.ok(st.events.every((e) => e.type !== 'EXITED' || e.message === 'EXITED code=3'));
    assert.match(st.events.at(-1)?.message ?? '', /^FATAL 4 failed starts in a row \(start_retries: 3\)/);
    assert.deepEqual(st.last_exit && { code: st.last_exit.code, signal: st.last_exit.signal }, {
      code: 3,
      signal: null,
    });
    assert.equal(st.restarts, 3);
  });

  it('always, on-failure and never each behave as named', async () => {
    const sup = await supervisor();
    const base = { start_seconds: 0, backoff: { initial: '10ms', max: '10ms' } };
    await sup.applySpecs([
      spec({ ...base, name: 'always-ok', restart: 'always', command: ['sh', '-c', 'exit 0'] }),
      spec({ ...base, name: 'onfail-ok', restart: 'on-failure', command: ['sh', '-c', 'exit 0'] }),
      spec({
        ...base,
        name: 'onfail-bad',
        restart: 'on-failure',
        command: ['sh', '-c', 'sleep 0.05; exit 4'],
      }),
      spec({ ...base, name: 'never-bad', restart: 'never', command: ['sh', '-c', 'exit 5'] }),
    ]);
    await waitFor(() => one(sup, 'always-ok').restarts >= 3, { what: 'always restarts after exit 0' });
    await waitFor(() => one(sup, 'onfail-bad').restarts >= 2, { what: 'on-failure restarts after exit 4' });
    const ok = await waitFor(
      () => (one(sup, 'onfail-ok').state === 'exited' ? one(sup, 'onfail-ok') : null),
      {
        what: 'on-failure exit 0 stays exited',
      },
    );
    const never = await waitFor(
      () => (one(sup, 'never-bad').state === 'exited' ? one(sup, 'never-bad') : null),
      {
        what: 'never stays exited',
      },
    );
    assert.equal(ok.restarts, 0);
    assert.equal(ok.last_exit?.code, 0);
    assert.equal(never.restarts, 0);
    assert.equal(never.last_exit?.code, 5);
    await sup.stop('always-ok');
    await sup.stop('onfail-bad');
    assert.equal(one(sup, 'always-ok').state, 'stopped');
  });

  it('a handler that ignores SIGTERM is SIGKILLed (whole group) after stop_timeout', async () => {
    const dir = tempDir();
    const sup = await supervisor(dir);
    const pidFile = path.join(dir, 'pid');
    await sup.applySpecs([
      spec({
        name: 'stubborn',
        command: ['node', fixture('ignore-term.mjs')],
        start_seconds: 0,
        stop_timeout: '300ms',
        env: { PID_FILE: pidFile },
      }),
    ]);
    const pid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : null), {
      what: 'handler ready',
    });
    const t0 = Date.now();
    const st = await sup.stop('stubborn');
    const took = Date.now() - t0;
    assert.equal(st.state, 'stopped');
    assert.ok(took >= 300, `stop returned after ${took}ms, before stop_timeout`);
    assert.ok(took < 3000, `stop took ${took}ms`);
    assert.ok(!isAlive(pid), 'the SIGTERM-ignoring process is dead');
    const types = st.events.map((e) => e.type);
    assert.deepEqual(types.slice(-4), ['STOPPING', 'KILLED', 'EXITED', 'STOPPED']);
  });

  it('restart and applySpecs: unchanged specs are left alone, changed ones restarted, ones the master names for removal stopped', async () => {
    const sup = await supervisor();
    const a = spec({ name: 'a', command: ['node', fixture('ticker.mjs')], start_seconds: 0 });
    const b = spec({ name: 'b', command: ['node', fixture('ticker.mjs')], start_seconds: 0 });
    await sup.applySpecs([a, b]);
    const pidA = one(sup, 'a').pid;
    const pidB = one(sup, 'b').pid;
    await sup.applySpecs([a, { ...b, env: { X: '1' } }]);
    assert.equal(one(sup, 'a').pid, pidA, 'unchanged handler untouched');
    assert.notEqual(one(sup, 'b').pid, pidB, 'changed handler restarted');
    assert.equal(one(sup, 'b').state, 'running');
    assert.ok(!isAlive(pidB!));
    const r = await sup.restart('a');
    assert.equal(r.state, 'running');
    assert.notEqual(r.pid, pidA);
    assert.equal(r.restarts, 1);
    const pidA2 = r.pid!;
    await sup.applySpecs([], new Set(), { remove: new Set(['a', 'b']) });
    assert.deepEqual(sup.status(), []);
    await waitFor(() => !isAlive(pidA2), { what: 'removed handler stopped' });
  });
});

function readlink(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}
