/**
 * Finding and judging the shims an agent killed mid-spawn left behind (DESIGN §8 item 8), and the one rule
 * for signalling a process group whose leader may be gone: pure decisions, no processes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Handle, ShimProcess } from '../../agent/process/backend.js';
import { decideGroupSignal } from '../../agent/process/group-signal.js';
import { shimArgv, shimKey } from '../../agent/process/linux-backend.js';
import type { InstanceRecord } from '../../agent/supervisor/state-store.js';
import { joinArgv, unjoinArgv } from '../../agent/process/cgroups-backend.js';
import {
  adoptedRecord,
  heldGroups,
  orphanGroups,
  planStrays,
  unrecordedToStop,
} from '../../agent/supervisor/stray-shims.js';
import type { ProcStat } from '../../shared/proc.js';
import { canonicalPath } from '../../shared/private-files.js';
import { tempDir } from '../helpers/common.js';
import { compileAgentOptions } from '../../agent/options.js';

function handle(pid: number, startTime: string): Handle {
  return {
    pid,
    pgid: pid,
    start_time: startTime,
    cmdline_hash: 'h',
    spawned_at: 1000,
    stdout_log: '',
    stderr_log: '',
    exit_file: `/d/run/x.exit`,
    spec_hash: '',
  };
}

function rec(over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    spec_hash: 'abc',
    desired: 'running',
    state: 'backoff',
    handle: null,
    unverified_handle: null,
    restarts: 2,
    failed_starts: 0,
    last_exit: null,
    started_at: null,
    ...over,
  };
}

const shim = (key: string, pid: number, start: string): ShimProcess => ({
  key,
  handle: handle(pid, start),
  command: ['node', 'app.js'],
  env: new Map(),
  cwd: '/',
});

describe('stray shims of a data dir', () => {
  it('instance cgroups with live processes that no record names are orphans; recorded, unverified, draining and adopted ones are not', () => {
    const groups = ['known', 'unverified', 'draining', 'adopted', 'unrecorded', 'unknown', 'empty'].map(
      (key) => ({ key, members: key === 'empty' ? [] : [42] }),
    );
    const records = {
      known: rec({ handle: handle(10, '1') }),
      unverified: rec({ state: 'unknown', unverified_handle: handle(11, '1') }),
      draining: rec({ draining: [handle(12, '1')] }),
      adopted: rec(),
      unrecorded: rec({ state: 'exited' }),
      empty: rec(),
    };
    assert.deepEqual(orphanGroups(groups, records, new Set(['adopted'])), ['unrecorded', 'unknown']);
  });

  it('orphan groups of an instance with no record whose spec is unknown or type: forking are held; the rest are stopped', () => {
    const specs = { daemon: { type: 'forking' }, simple: { type: 'simple' }, recorded: { type: 'forking' } };
    const records = { recorded: rec({ state: 'exited' }) };
    assert.deepEqual(heldGroups(['daemon', 'simple', 'recorded', 'unknown'], specs, records), [
      'daemon',
      'unknown',
    ]);
  });

  it('recognises only shims whose exit file lies directly in this data dir’s run folder', () => {
    assert.equal(shimKey(shimArgv('/d/run/web#1.exit', ['node', 'a.js']), '/d/run'), 'web#1');
    assert.equal(shimKey(shimArgv('/other/run/web.exit', ['node']), '/d/run'), null, 'another data dir');
    assert.equal(shimKey(shimArgv('/d/run/sub/web.exit', ['node']), '/d/run'), null, 'nested');
    assert.equal(shimKey(shimArgv('/d/run/web.log', ['node']), '/d/run'), null, 'not an exit file');
    assert.equal(shimKey(['/bin/sh', '-c', 'other', 'gov-shim', '/d/run/web.exit', 'x'], '/d/run'), null);
    assert.equal(shimKey(['node', '/d/run/web.exit'], '/d/run'), null);
  });

  it('recognises a shim of this data dir whichever spelling of it (a symlink) either side was given', () => {
    const real = tempDir();
    mkdirSync(path.join(real, 'run'));
    const link = path.join(tempDir(), 'link');
    symlinkSync(real, link);
    assert.equal(
      shimKey(shimArgv(path.join(link, 'run', 'web.exit'), ['node']), path.join(real, 'run')),
      'web',
    );
    assert.equal(
      shimKey(shimArgv(path.join(real, 'run', 'web.exit'), ['node']), path.join(link, 'run')),
      'web',
    );
    assert.equal(
      canonicalPath(path.join(link, 'run', 'not-yet', 'x')),
      path.join(real, 'run', 'not-yet', 'x'),
    );
    // The agent's options hold the canonical data dir (its cgroup scope and run folder go by it).
    const o = compileAgentOptions({ handlers: 'h.yaml', dataDir: link }, {}, '/');
    assert.equal(o.dataDir, realpathSync(real));
  });

  it('adopts a stray of a wanted instance without a live handle; keeps one of an unrecorded instance; stops every other stray', () => {
    const records = {
      web: rec(),
      idle: rec({ desired: 'stopped', state: 'stopped' }),
      live: rec({ state: 'running', handle: handle(50, '5') }),
      pair: rec(),
    };
    const plan = planStrays(
      [
        shim('web', 10, '100'),
        shim('idle', 11, '100'),
        shim('live', 12, '100'),
        shim('live', 50, '5'), // the recorded handle itself: not a stray
        shim('gone', 13, '100'),
        shim('gone', 16, '90'),
        shim('pair', 14, '100'),
        shim('pair', 15, '200'),
      ],
      records,
      (key) => key === 'live',
    );
    const adopted = Object.fromEntries([...plan.adopt].map(([k, h]) => [k, h.pid]));
    assert.deepEqual(adopted, { web: 10, pair: 15 }, 'the newer of two strays is adopted');
    const kept = Object.fromEntries([...plan.unrecorded].map(([k, s]) => [k, s.handle.pid]));
    assert.deepEqual(kept, { gone: 13 }, 'the newer stray of an unrecorded instance is left running');
    const stopped = plan.stop.map((s) => [s.shim.key, s.shim.handle.pid, s.reason]);
    assert.deepEqual(
      stopped.sort((a, b) => Number(a[1]) - Number(b[1])),
      [
        ['idle', 11, 'its instance is wanted stopped'],
        ['live', 12, 'its instance already runs a verified process (a duplicate)'],
        ['pair', 14, 'a newer stray of the same instance was adopted (a duplicate)'],
        ['gone', 16, 'a newer stray of the same unrecorded instance is kept (a duplicate)'],
      ],
    );
  });

  it('an unrecorded stray is stopped only when an apply removes its handler or leaves it above the count', () => {
    const specs = new Map([
      ['web', { count: 2 }],
      ['db', {}],
    ]);
    const stop = unrecordedToStop(['web', 'web#1', 'web#2', 'db#1', 'api', 'cache'], specs, new Set(['api']));
    assert.deepEqual(stop, [
      { key: 'web#2', reason: "its replica is above web's count (2)" },
      { key: 'db#1', reason: "its replica is above db's count (1)" },
      { key: 'api', reason: 'its handler api is removed from this agent' },
    ]);
    assert.deepEqual(unrecordedToStop(['cache'], new Map(), undefined), [], 'unknown to the apply: kept');
  });

  it('the command a shim runs is compared without the cgroup join prefix', () => {
    const cmd = ['node', 'app.js', '--port', '1'];
    assert.deepEqual(unjoinArgv(joinArgv(['/a/cgroup.procs', '/b/cgroup.procs'], cmd)), cmd);
    assert.deepEqual(unjoinArgv(cmd), cmd);
    assert.deepEqual(unjoinArgv(['/bin/sh', '-c', 'echo hi']), ['/bin/sh', '-c', 'echo hi']);
  });

  it('an adopted stray becomes the record’s handle, starting, counted as a restart after an exit', () => {
    const r = adoptedRecord('web', rec({ state: 'exited' }), handle(10, '100'), '/d');
    assert.equal(r.state, 'starting');
    assert.equal(r.handle?.pid, 10);
    assert.equal(r.handle?.stdout_log, '/d/logs/web/stdout.log');
    assert.equal(r.handle?.spec_hash, 'abc');
    assert.equal(r.restarts, 3);
    assert.equal(adoptedRecord('web', rec({ state: 'stopped' }), handle(10, '100'), '/d').restarts, 2);
  });
});

describe('the group signal rule', () => {
  const stat = (pid: number, startTime: string, pgid = pid): ProcStat => ({
    pid,
    comm: 'sh',
    state: 'S',
    ppid: 1,
    pgid,
    sid: pgid,
    startTime,
    utime: 0,
    stime: 0,
    rssPages: 0,
  });

  it('signals a group led by the recorded leader', () => {
    assert.deepEqual(decideGroupSignal(10, '100', stat(10, '100'), true, false), { ok: true });
  });

  it('signals a group whose leader is gone while a live member carries the spawn token', () => {
    assert.deepEqual(decideGroupSignal(10, '100', null, true, true), { ok: true });
  });

  it('never signals a leaderless group no member of which carries the spawn token (a reused PGID)', () => {
    const stranger = decideGroupSignal(10, '100', null, true, false);
    assert.equal(stranger.ok, false);
    assert.match(stranger.ok ? '' : stranger.reason, /GOV_SPAWN: not provably ours/);
  });

  it('never signals when PID == PGID is another process (reused) or the group is gone', () => {
    const reused = decideGroupSignal(10, '100', stat(10, '999'), true, true);
    assert.equal(reused.ok, false);
    assert.match(reused.ok ? '' : reused.reason, /pid 10 was reused/);
    assert.equal(decideGroupSignal(10, '100', null, false, true).ok, false);
  });
});
