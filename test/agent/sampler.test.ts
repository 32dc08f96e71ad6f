/**
 * The metrics sampler walks each handler's process tree down from its verified root (kernel children lists,
 * every thread's; a root that is not the recorded process counts nothing), so children forked by any thread
 * count, a child that exited is dropped, and the CPU history of processes no longer sampled is forgotten. Its CPU seconds are a counter per tree: a child that exits
 * never makes them go down, and sampling part of the tree (on-demand does) takes nothing from them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs, { existsSync, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { MIN_CPU_WINDOW_MS, MetricsSampler } from '../../agent/process/sampler.js';
import { processTree, type TreeRef } from '../../agent/process/process-tree.js';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

function start(script: string, env: Record<string, string>): number {
  const child = spawn(process.execPath, [fixture(script)], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  child.unref();
  trackPid(child.pid, true);
  return child.pid!;
}

/** A tree named by its root's PID (as an observed process's: the tree below it, while it is the recorded one). */
function key(pid: number): string {
  return `tree-${pid}`;
}
function tree(pid: number): TreeRef {
  return { key: key(pid), root: pid, rootStart: readProcStat(pid)?.startTime ?? '' };
}

describe('metrics sampler: process trees', () => {
  const groups: number[] = [];
  afterEach(async () => {
    for (const g of groups.splice(0)) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitFor(() => !isAlive(g), { what: `group ${g} to exit` });
    }
  });

  it('sums a root and all its children, and leaves out a child once it exited', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'children');
    const root = start('spawn-children.mjs', {
      CHILD: fixture('ticker.mjs'),
      CHILD_COUNT: '3',
      CHILD_PID_FILE: pidFile,
    });
    groups.push(root);
    const children = await waitFor(
      () => {
        const pids = existsSync(pidFile)
          ? readFileSync(pidFile, 'utf8').trim().split('\n').filter(Boolean)
          : [];
        return pids.length === 3 ? pids.map(Number) : null;
      },
      { what: 'three children' },
    );
    const sampler = new MetricsSampler(10_000);
    const usage = await waitFor(
      async () => {
        const u = (await sampler.sample([tree(root)])).get(key(root));
        return u && u.processes === 4 ? u : null;
      },
      { what: 'the tree of 4 sampled' },
    );
    assert.ok(usage.memory_bytes > 4 * 1024 * 1024, `rss ${usage.memory_bytes}`);
    assert.deepEqual(
      processTree(root)
        .map((s) => s.pid)
        .sort(),
      [root, ...children].sort(),
    );
    process.kill(children[0]!, 'SIGKILL');
    await waitFor(async () => (await sampler.sample([tree(root)])).get(key(root))?.processes === 3, {
      what: 'the killed child left out',
    });
  });

  it('a root that is not the recorded process (another start time) counts nothing, nor does its process group', async () => {
    const stranger = start('ticker.mjs', {});
    groups.push(stranger);
    const sampler = new MetricsSampler(10_000);
    const recorded = readProcStat(stranger)!.startTime;
    const reused: TreeRef[] = [
      { key: 'observed', root: stranger, rootStart: '1' },
      { key: 'handle', root: stranger, rootStart: '1', pgid: stranger, token: 'not-its-token' },
    ];
    assert.deepEqual([...(await sampler.sample(reused)).keys()], [], 'nothing counted');
    const verified = await sampler.sample([
      { key: 'h', root: stranger, rootStart: recorded, pgid: stranger },
    ]);
    assert.equal(verified.get('h')?.processes, 1, 'the recorded process is');
  });

  it('counts a child forked by another thread than the main one', async () => {
    const pidFile = path.join(tempDir(), 'child');
    const root = start('worker-spawn.mjs', { CHILD_PID_FILE: pidFile });
    groups.push(root);
    const child = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : null), {
      what: 'the worker thread to spawn its child',
    });
    assert.ok(
      processTree(root).some((s) => s.pid === child),
      `child ${child} of a worker thread is in the tree of ${root}`,
    );
  });

  it('a root that is gone is left out; the CPU history of unsampled processes is forgotten after maxAge', async () => {
    const clock = new FakeClock();
    const sampler = new MetricsSampler(1000, clock);
    const gone: TreeRef = { key: 'gone', root: 4_000_000, rootStart: '1' };
    const usage = await sampler.sample([tree(process.pid), gone]);
    assert.equal(usage.has('gone'), false);
    assert.ok((usage.get(key(process.pid))?.processes ?? 0) >= 1);
    assert.ok(sampler.remembered >= 1);
    clock.advance(1001);
    await sampler.sample([]);
    assert.ok(sampler.remembered >= 1, 'an empty sample changes nothing');
    await sampler.sample([gone]);
    assert.equal(sampler.remembered, 0);
  });

  it('two samples a few ms apart report the last rate, never ticks over a window too short to measure', async () => {
    const busy = start('busy.mjs', {});
    groups.push(busy);
    const ticksOf = () => {
      const st = readProcStat(busy);
      return st ? st.utime + st.stime : 0;
    };
    await waitFor(() => ticksOf() > 20, { what: 'the busy process to use CPU' });
    const clock = new FakeClock();
    const sampler = new MetricsSampler(60_000, clock);
    const first = (await sampler.sample([tree(busy)])).get(key(busy))!.cpu_percent;
    const [at, realAt] = [clock.now(), Date.now()];
    const ticks = ticksOf();
    await waitFor(() => ticksOf() >= ticks + 5, { what: 'the busy process to use 5 ticks more' });
    // The next sample 2 ms later by the sampler's clock: 5 ticks (50 ms) over 2 ms would read 2,500 %.
    clock.advance(at + 2 - clock.now());
    const second = (await sampler.sample([tree(busy)])).get(key(busy))!.cpu_percent;
    assert.equal(second, first, `${second}% after ${first}%: a 2 ms window reports the last rate`);
    // A window long enough measures again: the sampler's clock back in step with the real time since the
    // first sample (over 200 ms of it: 20 ticks used), where one busy thread reads at most a core.
    await waitFor(() => ticksOf() >= ticks + 20, { what: 'the busy process to use 20 ticks more' });
    clock.advance(Date.now() - realAt - (clock.now() - at));
    const third = (await sampler.sample([tree(busy)])).get(key(busy))!.cpu_percent;
    assert.ok(third > 0 && third <= 110, `${third}% over more than 200 ms: one busy thread`);
  });

  it('a clock stepped back starts a new window: the rate after it is measured, not the last one kept', async () => {
    const busy = start('busy.mjs', {});
    groups.push(busy);
    await waitFor(() => (readProcStat(busy)?.utime ?? 0) > 20, { what: 'the busy process to use CPU' });
    const clock = new FakeClock();
    const sampler = new MetricsSampler(24 * 3_600_000, clock);
    const first = (await sampler.sample([tree(busy)])).get(key(busy))!.cpu_percent;
    assert.ok(first > 10, `${first}%: busy since it started`);
    process.kill(busy, 'SIGSTOP'); // no CPU from here on
    await waitFor(() => readProcStat(busy)?.state === 'T', { what: 'the busy process stopped' });
    clock.advance(-3_600_000); // the wall clock stepped back an hour
    await sampler.sample([tree(busy)]);
    clock.advance(MIN_CPU_WINDOW_MS * 2);
    const after = (await sampler.sample([tree(busy)])).get(key(busy))!.cpu_percent;
    assert.equal(after, 0, `${after}%: stopped over the whole window since the step back`);
  });

  it('CPU seconds of a tree never go down when a child exits, and a sample of a subtree takes nothing from them', async () => {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const cpuOf = (pid: number) => {
      const st = readProcStat(pid);
      return st ? (st.utime + st.stime) / hz : 0;
    };
    const pidFile = path.join(tempDir(), 'children');
    const root = start('spawn-children.mjs', { CHILD: fixture('busy.mjs'), CHILD_PID_FILE: pidFile });
    groups.push(root);
    const child = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : null), {
      what: 'the busy child',
    });
    const sampler = new MetricsSampler(60_000);
    const treeSeconds = async () => (await sampler.sample([tree(root)])).get(key(root))?.cpu_seconds ?? -1;
    // A process new to the tree counts from its start: the child's CPU time is in the first samples.
    const first = await waitFor(async () => ((await treeSeconds()) >= 0.3 ? treeSeconds() : null), {
      what: 'the busy child to use 0.3 s of CPU',
      timeoutMs: 60_000,
    });
    assert.ok(first >= cpuOf(child) * 0.5, `tree ${first} s, child ${cpuOf(child)} s`);
    // The child's own samples (its subtree, as on-demand takes) between two samples of the tree.
    const childBefore = cpuOf(child);
    await waitFor(async () => (await sampler.sample([tree(child)]), cpuOf(child) >= childBefore + 0.2), {
      what: 'the child to use 0.2 s more',
      timeoutMs: 60_000,
    });
    const childAfter = cpuOf(child);
    const second = await treeSeconds();
    assert.ok(
      second - first >= childAfter - childBefore - 0.02,
      `tree grew ${second - first} s while the child used ${childAfter - childBefore} s`,
    );
    process.kill(child, 'SIGKILL');
    await waitFor(async () => (await sampler.sample([tree(root)])).get(key(root))?.processes === 1, {
      what: 'the killed child left out',
    });
    const third = await treeSeconds();
    assert.ok(third >= second, `after the child exited: ${third} s < ${second} s`);
    assert.ok(third > cpuOf(root) + 0.3, `the exited child's CPU time is still counted: ${third} s`);
  });

  it('a tree whose cgroup counter did not move is not read again (last figures, 0 % CPU) until refreshMs; a moved counter reads it', async () => {
    const root = start('spawn-children.mjs', { CHILD: fixture('ticker.mjs'), CHILD_COUNT: '2' });
    groups.push(root);
    const clock = new FakeClock();
    const sampler = new MetricsSampler(120_000, clock, 60_000);
    const sample = async (counter: number) =>
      (await sampler.sample([tree(root)], new Map([[key(root), counter]]))).get(key(root));
    // A moving counter until all three are up (a counter that stood still would keep an earlier figure).
    let n = 0;
    const first = await waitFor(
      async () => {
        const u = await sample(++n);
        return u?.processes === 3 ? u : null;
      },
      { what: 'the tree of 3 sampled' },
    );
    assert.equal(first?.processes, 3);
    const child = processTree(root).find((s) => s.pid !== root)!.pid;
    process.kill(child, 'SIGKILL');
    await waitFor(() => !processTree(root).some((s) => s.pid === child), { what: 'the child gone' });
    clock.advance(5_000);
    // The counter stood still (as the test says): the tree is not read, its figures stand with 0 % CPU.
    const still = await sample(n);
    assert.deepEqual(still, { ...first, cpu_percent: 0 });
    // The counter moved: read again, the killed child left out.
    clock.advance(5_000);
    assert.equal((await sample(++n))?.processes, 2);
    // A full read at least every refreshMs, counter or not.
    const other = processTree(root).find((s) => s.pid !== root)!.pid;
    process.kill(other, 'SIGKILL');
    await waitFor(() => !processTree(root).some((s) => s.pid === other), { what: 'the other child gone' });
    clock.advance(59_000);
    assert.equal((await sample(n))?.processes, 2, 'not read again before refreshMs');
    clock.advance(1_000);
    assert.equal((await sample(n))?.processes, 1, 'read in full once refreshMs passed');
    // A sample without a counter (on-demand's) is a full read, and the next counted sample reads again.
    assert.equal((await sampler.sample([tree(root)])).get(key(root))?.processes, 1);
  });

  it("a still tree is refreshed from its members' stat files at refreshMs (no children lists read) and listed again in full at fullMs", async () => {
    const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
    child.unref();
    trackPid(child.pid, true);
    const root = child.pid!;
    groups.push(root);
    // Asleep: exec'd and done loading (its RSS grows while the loader maps its libraries).
    await waitFor(() => readProcStat(root)?.comm === 'sleep' && readProcStat(root)?.state === 'S', {
      what: 'sleep to sleep',
    });
    const clock = new FakeClock();
    const sampler = new MetricsSampler(600_000, clock, 60_000, 300_000);
    const counter = new Map([[key(root), 7]]); // a counter that stands still: `sleep` does not run
    // Counts the reads of kernel children lists made by `fn` (fs's named exports follow the patched object).
    const childrenReads = async (fn: () => Promise<unknown>): Promise<number> => {
      const real = fs.readFileSync;
      let n = 0;
      fs.readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (String(file).endsWith('/children')) n++;
        return (real as (...a: unknown[]) => unknown)(file, ...rest);
      }) as typeof fs.readFileSync;
      syncBuiltinESMExports();
      try {
        await fn();
      } finally {
        fs.readFileSync = real;
        syncBuiltinESMExports();
      }
      return n;
    };
    const first = await sampler.sample([tree(root)], counter);
    assert.equal(first.get(key(root))?.processes, 1);
    clock.advance(60_000);
    let refreshed: Map<string, unknown> | null = null;
    const atRefresh = await childrenReads(
      async () => (refreshed = await sampler.sample([tree(root)], counter)),
    );
    assert.equal(atRefresh, 0, 'a memory refresh lists no children');
    const u = refreshed!.get(key(root)) as { processes: number; memory_bytes: number; cpu_percent: number };
    assert.equal(u.processes, 1);
    const pageBytes = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    assert.equal(u.memory_bytes, readProcStat(root)!.rssPages * pageBytes);
    assert.equal(u.cpu_percent, 0);
    clock.advance(240_000);
    const atFull = await childrenReads(() => sampler.sample([tree(root)], counter));
    assert.ok(atFull > 0, 'listed in full once fullMs passed');
  });
});
