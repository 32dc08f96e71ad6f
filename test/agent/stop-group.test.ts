/**
 * A stop is done when nothing of the handler is left (DESIGN §8 item 11): SIGKILL reaches the whole group
 * whoever leads it, what a main leaves behind when it exits is stopped too, and a fork bomb is gone after
 * a stop. Real processes, real process groups.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cgroupOnlyHandle } from '../../agent/process/cgroup-tracking.js';
import { groupMembers } from '../../agent/process/group-signal.js';
import { LinuxBackend } from '../../agent/process/linux-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

function pidsIn(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

describe('a handle without a process group of its own (a held daemon group: pgid 0)', () => {
  it("is never alive through group 0 (kernel threads) or the agent's own group (kill(-0) probes it)", () => {
    const held = cgroupOnlyHandle('/sys/fs/cgroup/unified/governor/held');
    const backend = new LinuxBackend();
    assert.equal(backend.groupAlive(held), false);
    assert.equal(backend.groupAlive({ ...held, pgid: 1 }), false, "init's group is no handler's");
    assert.deepEqual(groupMembers(0), [], 'group 0 holds kernel threads, none of a handler');
    assert.equal(backend.signalGroup(held, 'SIGCONT'), false, 'never signalled');
  });
});

describe('stop leaves nothing of the handler', function () {
  this.timeout(60_000);
  this.slow(10_000);
  const sups: Supervisor[] = [];
  const children: number[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) await sup.shutdown();
    for (const pid of children.splice(0)) trackPid(pid);
  });

  async function supervise(raw: Record<string, unknown>): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50 });
    sups.push(sup);
    sup.on('state', () => {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
    });
    await sup.applySpecs([parseHandler(raw, 'handlers[0]', 'test')]);
    return sup;
  }

  it('a child that ignores SIGTERM is killed with the group after its leader exited', async () => {
    const pidFile = path.join(tempDir(), 'children');
    const ready = path.join(tempDir(), 'ready');
    const sup = await supervise({
      name: 'w',
      command: ['node', fixture('spawn-children.mjs')],
      // The child writes PID_FILE once it ignores SIGTERM.
      env: { CHILD: fixture('ignore-term.mjs'), CHILD_PID_FILE: pidFile, PID_FILE: ready },
      start_seconds: 0,
      stop_timeout: '300ms',
    });
    const child = await waitFor(() => (existsSync(ready) && pidsIn(pidFile)[0]) || 0, { what: 'child' });
    children.push(child);
    const pgid = sup.status('w')[0]!.pgid!;
    const st = await sup.stop('w');
    assert.equal(st.state, 'stopped');
    assert.ok(!isAlive(child), 'the SIGTERM-ignoring child is gone');
    assert.deepEqual(groupMembers(pgid), [], 'the group is empty');
  });

  it('a handler stopped by SIGSTOP stops through its own SIGTERM handler (SIGCONT follows the stop signal), not by SIGKILL at stop_timeout', async () => {
    const record = path.join(tempDir(), 'record');
    const sup = await supervise({
      name: 'w',
      command: ['node', fixture('start-stop-recorder.mjs'), record],
      start_seconds: 0,
      // Far longer than the test's wait: a stop that needs SIGKILL ends in KILLED, not in a timeout here.
      stop_timeout: '20s',
    });
    const main = await waitFor(() => sup.status('w')[0]?.pid, { what: 'the main process' });
    await waitFor(() => existsSync(record), { what: 'the handler to start' });
    // The whole group (shim and main), as `gov signal STOP w` does.
    assert.match(sup.signal('w', 'SIGSTOP', false)[0]!.sent, /SIGSTOP/);
    await waitFor(() => readProcStat(main)?.state === 'T', { what: 'the main process stopped' });
    const st = await sup.stop('w');
    assert.equal(st.state, 'stopped');
    assert.match(readFileSync(record, 'utf8'), new RegExp(`^stop ${main} `, 'm'), 'its SIGTERM handler ran');
    assert.ok(!st.events.some((e) => e.type === 'KILLED'), JSON.stringify(st.events));
    // Its handler exits 0; the shim may record the SIGTERM it was waiting through instead: never SIGKILL.
    const exit = st.last_exit;
    assert.ok(exit?.code === 0 || exit?.signal === 'SIGTERM', `last exit ${JSON.stringify(exit)}`);
  });

  it('a start timeout of a handler stopped by SIGSTOP also sends SIGCONT: it ends through its own SIGTERM handler', async () => {
    const record = path.join(tempDir(), 'record');
    const sup = await Supervisor.create({ dataDir: tempDir(), pollIntervalMs: 50 });
    sups.push(sup);
    sup.on('state', () => {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
    });
    const raw = {
      name: 'w',
      command: ['node', fixture('start-stop-recorder.mjs'), record],
      notify: true, // never says READY=1: its start times out
      start_timeout: '2s',
      stop_timeout: '20s', // far longer than the wait below: only SIGKILL would end it then
      restart: 'never',
    };
    await sup.applySpecs([parseHandler(raw, 'handlers[0]', 'test')], new Set(), { launchOnly: true });
    const main = await waitFor(() => sup.status('w')[0]?.pid, { what: 'the main process' });
    await waitFor(() => existsSync(record), { what: 'the handler to start' });
    sup.signal('w', 'SIGSTOP', false);
    await waitFor(() => readProcStat(main)?.state === 'T', { what: 'the main process stopped' });
    await waitFor(() => new RegExp(`^stop ${main} `, 'm').test(readFileSync(record, 'utf8')), {
      timeoutMs: 15_000,
      what: 'its SIGTERM handler to run after the start timeout',
    });
  });

  it('children a main leaves behind when it exits are stopped: none accumulate over restarts', async () => {
    const pidFile = path.join(tempDir(), 'children');
    const sup = await supervise({
      name: 'w',
      command: ['node', fixture('spawn-children.mjs')],
      env: { CHILD: fixture('ignore-term.mjs'), CHILD_PID_FILE: pidFile, MAIN_EXIT_MS: '100' },
      restart: 'always',
      start_seconds: 0,
      stop_timeout: '200ms',
    });
    await waitFor(() => pidsIn(pidFile).length >= 6, { timeoutMs: 30_000, what: '6 restarts' });
    children.push(...pidsIn(pidFile));
    // The latest child (and at most the one before it, still being stopped) may be alive; never more.
    await waitFor(
      () =>
        pidsIn(pidFile)
          .slice(0, -2)
          .every((p) => !isAlive(p)),
      {
        what: 'children of earlier runs to be stopped',
      },
    );
    await sup.stop('w');
    children.push(...pidsIn(pidFile));
    const alive = pidsIn(pidFile).filter(isAlive);
    assert.deepEqual(alive, [], 'no child of any run is left after the stop');
  });

  it('a capped fork bomb (~130 processes ignoring SIGTERM) is fully gone after a stop', async () => {
    const sup = await supervise({
      name: 'bomb',
      command: ['/bin/sh', fixture('fork-bomb.sh'), '6'],
      start_seconds: 0,
      stop_timeout: '300ms',
    });
    const pgid = sup.status('bomb')[0]!.pgid!;
    await waitFor(() => groupMembers(pgid).length >= 100, { timeoutMs: 30_000, what: '100 processes' });
    const st = await sup.stop('bomb');
    assert.equal(st.state, 'stopped');
    assert.deepEqual(groupMembers(pgid), [], 'nothing of the bomb survived');
  });
});
