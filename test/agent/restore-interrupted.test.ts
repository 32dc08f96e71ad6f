/**
 * An agent that dies in the middle of a restart, a stop, or while it drains an exited process's leftovers: the
 * next agent finds the handler still wanted running and finishes the restart — it never leaves it stopped —
 * goes on with a stop where it was (SIGKILL at the first signal + stop_timeout, the signal not sent twice; a
 * process that ended meanwhile is stopped, not exited), and the record on disk never loses its fields meanwhile.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { planRestore } from '../../agent/instance/restore.js';
import { specHash, type AgentState, type InstanceRecord } from '../../agent/supervisor/state-store.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { readState } from './helpers.js';
import { logLines, pidSignalsSpec, signalsOf, started } from './pid-signal-helpers.js';

function mkSpec(over: Record<string, unknown> = {}): HandlerSpec {
  return parseHandler(
    { name: 'h', command: ['node', fixture('ticker.mjs')], ...over },
    'handlers[0]',
    'test',
  );
}

function record(spec: HandlerSpec, over: Partial<InstanceRecord>): InstanceRecord {
  return {
    spec_hash: specHash(spec),
    desired: 'running',
    state: 'stopping',
    handle: null,
    unverified_handle: null,
    restarts: 3,
    failed_starts: 0,
    last_exit: null,
    started_at: null,
    ...over,
  };
}

describe('an agent that dies in the middle of a restart, a stop or a drain', () => {
  const sups: Supervisor[] = [];
  async function supervisor(dataDir: string, clock?: FakeClock): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50, ...(clock ? { clock } : {}) });
    sup.on('state', () => trackPid(sup.status('h')[0]?.pgid ?? undefined, true));
    sups.push(sup);
    return sup;
  }
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
      await sup.shutdown();
    }
  });

  it('planRestore: a restart stopped (or stopping, its process gone) is started; an operator stop is not', () => {
    const spec = mkSpec();
    for (const state of ['stopping', 'stopped'] as const)
      assert.equal(planRestore(record(spec, { state }), null, spec, 0).kind === 'rest', true);
    assert.deepEqual(planRestore(record(spec, { state: 'stopped' }), null, spec, 0), {
      kind: 'rest',
      start: true,
    });
    assert.deepEqual(planRestore(record(spec, { state: 'stopped', desired: 'stopped' }), null, spec, 0), {
      kind: 'rest',
      start: false,
    });
  });

  it('killed while a restart stops the old process: the next agent finishes the restart, never leaves it stopped', async () => {
    const dataDir = tempDir();
    const pidFile = path.join(dataDir, 'ready');
    const spec = mkSpec({
      command: ['node', fixture('ignore-term.mjs')],
      env: { PID_FILE: pidFile },
      stop_timeout: '1s',
      start_seconds: 0,
    });
    const a = await supervisor(dataDir);
    await a.applySpecs([spec]);
    const old = a.status('h')[0]!;
    await waitFor(() => existsSync(pidFile), { what: 'h ignoring SIGTERM' });
    void a.restart('h').catch(() => undefined); // never settles: its agent goes away under it
    await waitFor(() => a.status('h')[0]?.state === 'stopping', { what: 'the restart stopping h' });
    await a.shutdown(); // the agent goes away (as on SIGTERM or kill -9): its handlers are left as they are
    sups.splice(sups.indexOf(a), 1);
    assert.ok(isAlive(old.pid!), 'the old process outlived the agent (it ignores SIGTERM)');
    const b = await supervisor(dataDir);
    const st = await waitFor(
      () => {
        const s = b.status('h')[0];
        return s?.state === 'running' && s.pid !== old.pid ? s : null;
      },
      { what: 'h running again under the next agent', timeoutMs: 15_000 },
    );
    assert.ok(st.pid);
    await waitFor(() => !isAlive(old.pid!), { what: 'the old process stopped by the finished restart' });
  });

  /**
   * `h`: a sh main that dies of the stop signal, with a pid-signals child in its group that logs every signal
   * and ignores them all (SIGKILL ends it); `exitAfter`: the main exits by itself after that many seconds.
   */
  async function mainWithStubbornChild(
    clock: FakeClock,
    exitAfter?: number,
  ): Promise<{
    a: Supervisor;
    dataDir: string;
    log: string;
    child: number;
    main: { pid: number; shim_pid: number };
  }> {
    const dataDir = tempDir();
    const log = path.join(dataDir, 'pids.log');
    const tail = exitAfter === undefined ? 'while :; do sleep 5; done' : `sleep ${exitAfter}; exit 3`;
    const spec = mkSpec({
      command: ['/bin/sh', '-c', `PID_ROLE=child node ${fixture('pid-signals.mjs')} & ${tail}`],
      env: { PID_LOG: log },
      stop_timeout: '60s',
      start_seconds: 0,
      restart: 'never',
    });
    const a = await supervisor(dataDir, clock);
    await a.applySpecs([spec]);
    const main = a.status('h')[0]! as { pid: number; shim_pid: number };
    const child = (await started(log, 'child')).pid;
    trackPid(child);
    return { a, dataDir, log, child, main };
  }

  /** Lets agent `a` go (as on SIGTERM or kill -9 of the agent): its handlers are left as they are. */
  async function loseAgent(a: Supervisor): Promise<void> {
    await a.shutdown();
    sups.splice(sups.indexOf(a), 1);
  }

  for (const op of ['restart', 'stop'] as const)
    it(`killed during a ${op} whose stop signal took the main but not a child that ignores it: the next agent SIGKILLs that child at the first signal + stop_timeout (never signalled twice)${op === 'restart' ? ', then starts the new process' : ''}`, async () => {
      const clock = new FakeClock();
      const { a, dataDir, log, child, main } = await mainWithStubbornChild(clock);
      void a[op]('h').catch(() => undefined); // never settles: its agent goes away under it
      await waitFor(
        () =>
          !isAlive(main.pid) && !isAlive(main.shim_pid) && signalsOf(log, child).length > 0 ? true : null,
        { what: 'the main and the shim gone, the child signalled' },
      );
      assert.equal(a.status('h')[0]!.state, 'stopping');
      await loseAgent(a);
      assert.ok(isAlive(child), 'the child outlived the agent');
      clock.advance(61_000); // the stop_timeout ran out while no agent ran
      const b = await supervisor(dataDir, clock);
      await waitFor(() => !isAlive(child) || null, { what: 'the child killed at once by the next agent' });
      assert.deepEqual(signalsOf(log, child), ['SIGTERM'], 'the stop signal reached the child once');
      if (op === 'stop') {
        await waitFor(() => b.status('h')[0]?.state === 'stopped' || null, { what: 'h stopped' });
        return;
      }
      const st = await waitFor(
        () => {
          const s = b.status('h')[0];
          return s?.state === 'running' && s.pid !== main.pid ? s : null;
        },
        { what: 'h running again', timeoutMs: 15_000 },
      );
      const types = st.events.map((e) => e.type);
      const restored = types.lastIndexOf('RESTORED');
      assert.ok(
        restored >= 0 && types.indexOf('LEFTOVERS', restored) > restored,
        `the child was stopped as a leftover: ${types.join(' ')}`,
      );
      assert.ok(
        types.indexOf('STARTED', restored) > types.indexOf('LEFTOVERS', restored),
        `the new process started only once the leftover was stopped: ${types.join(' ')}`,
      );
      // Its own child ignores the stop signal too: the stop ends at SIGKILL (the fake clock's stop_timeout).
      const newChild = (await started(log, 'child', child)).pid;
      trackPid(newChild);
      let stopped = false;
      void b.stop('h').then(() => (stopped = true));
      await waitFor(
        () => {
          clock.advance(61_000);
          return stopped || null;
        },
        { what: 'h stopped' },
      );
    });

  it("killed while it drains what an exited main left: the next agent goes on from that drain's signal (SIGKILL at it + stop_timeout, never signalled twice)", async () => {
    const clock = new FakeClock();
    const { a, dataDir, log, child } = await mainWithStubbornChild(clock, 0.2);
    // The main's exit: its child is a leftover, sent the stop signal by the drain (recorded with its time).
    await waitFor(() => (signalsOf(log, child).length > 0 ? true : null), {
      what: 'the drain signalling the child',
    });
    await waitFor(() => (readState(dataDir).instances.h?.draining_signalled_at !== undefined ? true : null), {
      what: 'the drain and its signal time on disk',
    });
    await loseAgent(a);
    clock.advance(61_000);
    await supervisor(dataDir, clock);
    await waitFor(() => !isAlive(child) || null, { what: 'the child killed at once by the next agent' });
    assert.deepEqual(signalsOf(log, child), ['SIGTERM'], 'the stop signal reached the child once');
    await waitFor(() => (readState(dataDir).instances.h?.draining === undefined ? true : null), {
      what: 'the drain done on disk',
    });
  });

  /** Runs the pid-signals handler `h` under an agent on `clock`, begins its stop and lets that agent go. */
  async function stopThenLoseAgent(
    clock: FakeClock,
    stopTimeout: string,
  ): Promise<{ dataDir: string; log: string; pid: number; shim: number }> {
    const dataDir = tempDir();
    const log = path.join(dataDir, 'pids.log');
    const spec = parseHandler(
      { ...pidSignalsSpec('h', log), stop_timeout: stopTimeout },
      'handlers[0]',
      'test',
    );
    const a = await supervisor(dataDir, clock);
    await a.applySpecs([spec]);
    const { pid, shim_pid: shim } = a.status('h')[0]! as { pid: number; shim_pid: number };
    await waitFor(() => (logLines(log).some(([, p]) => p === pid) ? true : null), {
      what: 'h logging its signals',
    });
    void a.stop('h').catch(() => undefined); // never settles: its agent goes away under it
    await waitFor(() => (signalsOf(log, pid).includes('SIGTERM') ? true : null), { what: 'h sent SIGTERM' });
    await a.shutdown(); // as on SIGTERM or kill -9 of the agent: its handlers are left as they are
    sups.splice(sups.indexOf(a), 1);
    return { dataDir, log, pid, shim };
  }

  it('restarted during a stop: the stop goes on from the first signal (SIGKILL at it + stop_timeout), never signalled twice', async () => {
    const clock = new FakeClock();
    const { dataDir, log, pid } = await stopThenLoseAgent(clock, '60s');
    assert.equal(readState(dataDir).instances.h?.state, 'stopping');
    clock.advance(61_000); // the stop_timeout ran out while no agent ran
    const b = await supervisor(dataDir, clock);
    await waitFor(() => (!isAlive(pid) ? true : null), { what: 'h killed at once by the next agent' });
    await waitFor(() => (b.status('h')[0]?.state === 'stopped' ? true : null), { what: 'h stopped' });
    assert.deepEqual(signalsOf(log, pid), ['SIGTERM'], 'the stop signal was sent once');
    assert.ok(b.status('h')[0]!.events.some((e) => e.type === 'KILLED'));
    await waitFor(
      () => {
        const rec = readState(dataDir).instances.h;
        return rec?.state === 'stopped' && rec.stopping_since === undefined ? true : null;
      },
      { what: 'stopped on disk, no stop under way' },
    );
  });

  it('a process that ends while no agent runs during its stop is stopped, not exited', async () => {
    const { dataDir, pid, shim } = await stopThenLoseAgent(new FakeClock(), '60s');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => (!isAlive(pid) && !isAlive(shim) ? true : null), { what: 'h and its shim gone' });
    const b = await supervisor(dataDir);
    const st = await waitFor(() => b.status('h')[0], { what: 'h restored' });
    assert.equal(st.state, 'stopped', JSON.stringify(st.events));
    await waitFor(() => (readState(dataDir).instances.h?.handle === null ? true : null), {
      what: 'stopped on disk',
    });
    assert.equal(readState(dataDir).instances.h?.desired, 'stopped');
  });

  it('an operator stop queued behind a restart is kept: a rollout step and an apply queued after it never start it again', async () => {
    const dataDir = tempDir();
    const pidFile = path.join(dataDir, 'ready');
    const raw = {
      command: ['node', fixture('ignore-term.mjs')],
      env: { PID_FILE: pidFile },
      stop_timeout: '1s',
      start_seconds: 0,
    };
    const spec = mkSpec(raw);
    const sup = await supervisor(dataDir);
    await sup.applySpecs([spec]);
    await waitFor(() => existsSync(pidFile), { what: 'h ignoring SIGTERM' });
    const restarted = sup.restart('h');
    await waitFor(() => sup.status('h')[0]?.state === 'stopping', { what: 'the restart stopping h' });
    // While the restart stops the old process (still wanted running): an operator's stop, then a rollout's
    // step on the same spec and an apply of a changed one.
    const stopped = sup.stop('h');
    const step = sup.updateInstance('h', spec);
    const applied = sup.applySpecs([mkSpec({ ...raw, env: { PID_FILE: pidFile, V: '2' } })]);
    await Promise.all([restarted, stopped, step, applied]);
    const st = sup.status('h')[0]!;
    assert.equal(st.state, 'stopped', 'the operator stopped it: nothing queued after the stop starts it');
    assert.equal(st.pid, null);
  });

  it('restarted while it drains leftovers: the record on disk keeps its fields (never a blank, stopped one)', async () => {
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    // A leftover of an exited process: it ignores SIGTERM, so the drain lasts until its SIGKILL.
    const ready = path.join(dataDir, 'leftover-ready');
    const leftover = spawn(process.execPath, [fixture('ignore-term.mjs')], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, PID_FILE: ready },
    });
    trackPid(leftover.pid, true);
    await waitFor(() => existsSync(ready), { what: 'the leftover ignoring SIGTERM' });
    const st = readProcStat(leftover.pid!)!;
    const spec = mkSpec({ stop_timeout: '1s', backoff: { initial: '1h', max: '1h' } });
    const draining = {
      pid: leftover.pid!,
      pgid: leftover.pid!,
      start_time: st.startTime,
      cmdline_hash: 'x',
      spawned_at: Date.now() - 5000,
      stdout_log: path.join(dataDir, 'o.log'),
      stderr_log: path.join(dataDir, 'e.log'),
      exit_file: path.join(dataDir, 'exit'),
      spec_hash: specHash(spec),
    };
    const rec = record(spec, { state: 'backoff', draining: [draining] });
    const state: AgentState = { version: 1, specs: { h: spec }, instances: { h: rec } };
    const file = path.join(dataDir, 'state.json');
    writeFileSync(file, JSON.stringify(state));
    await supervisor(dataDir);
    const seen: string[] = [];
    await waitFor(
      () => {
        const r = (JSON.parse(readFileSync(file, 'utf8')) as AgentState).instances.h!;
        seen.push(`${r.desired} ${r.restarts}`);
        return !isAlive(leftover.pid!);
      },
      { what: 'the drain to end', intervalMs: 10 },
    );
    assert.deepEqual([...new Set(seen)], ['running 3'], 'what state.json said during the drain');
  });
});
