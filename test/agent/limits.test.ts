/** Advisory limits through cgroups: real handlers held to their limits, version detection and the quota math. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '../../shared/logger.js';
import { listPids, readCmdline, readProcStat } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec, type LimitsSpec } from '../../shared/spec.js';
import {
  CPU_PERIOD_US,
  DEFAULT_CGROUP_ROOT,
  Cgroups,
  type LimitController,
  cgroupScope,
  cpuQuotaUs,
  detectCgroups,
  limitWrites,
} from '../../agent/process/cgroups.js';
import { joinArgv } from '../../agent/process/cgroups-backend.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { fixture, tempDir, waitFor } from '../helpers/common.js';
import { supervisors } from './health-helpers.js';

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

function touch(file: string, text = ''): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

describe('advisory limits: cgroup detection and quota math', () => {
  it('detects v2 when the unified root offers cpu/memory controllers', () => {
    const root = tempDir();
    touch(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    assert.deepEqual(detectCgroups(root), { version: 2, cpu: root, memory: root, pids: root });
  });

  it('detects v1 on a hybrid host whose cgroup2 has no cpu/memory controllers', () => {
    const root = tempDir();
    touch(path.join(root, 'cgroup.controllers'), '\n'); // cgroup2 mounted without controllers
    touch(path.join(root, 'cpu,cpuacct', 'cpu.cfs_quota_us'), '-1\n');
    touch(path.join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
    assert.deepEqual(detectCgroups(root), {
      version: 1,
      cpu: path.join(root, 'cpu,cpuacct'),
      memory: path.join(root, 'memory'),
      pids: null,
    });
  });

  it('detects v1 with a separate cpu mount, and nothing under a missing root', () => {
    const root = tempDir();
    touch(path.join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
    assert.deepEqual(detectCgroups(root), {
      version: 1,
      cpu: path.join(root, 'cpu'),
      memory: null,
      pids: null,
    });
    assert.equal(detectCgroups(path.join(root, 'missing')), null);
  });

  it('computes the CFS quota as percent/100 × period, never below the kernel minimum', () => {
    assert.equal(cpuQuotaUs(150), 150_000);
    assert.equal(cpuQuotaUs(25), 25_000);
    assert.equal(cpuQuotaUs(25, 50_000), 12_500);
    assert.equal(cpuQuotaUs(0.5), 1_000);
  });

  it('writes v2 cpu.max/memory.max and v1 cfs quota/limit_in_bytes (absent limits as unlimited)', () => {
    const v2 = limitWrites(2, { cpu_percent: 150, memory_bytes: 512 * 1024 * 1024 });
    assert.deepEqual(v2.cpu, [['cpu.max', '150000 100000']]);
    assert.deepEqual(v2.memory[0], ['memory.max', String(512 * 1024 * 1024)]);
    const v1 = limitWrites(1, { cpu_percent: 25 });
    assert.deepEqual(v1.cpu, [
      ['cpu.cfs_period_us', '100000'],
      ['cpu.cfs_quota_us', '25000'],
    ]);
    assert.deepEqual(v1.memory[1], ['memory.limit_in_bytes', '-1']);
    assert.deepEqual(limitWrites(2, {}).cpu, [['cpu.max', 'max 100000']]);
    assert.deepEqual(limitWrites(2, { pids: 200 }).pids, [['pids.max', '200']]);
    assert.deepEqual(limitWrites(1, { pids: 50 }).pids, [['pids.max', '50']]);
    assert.deepEqual(limitWrites(1, {}).pids, [['pids.max', 'max']]);
  });

  it('prepares a group in a fake v1 tree and the join prefix writes $$ before exec', () => {
    const root = tempDir();
    touch(path.join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
    const lines: string[] = [];
    const cg = new Cgroups({
      root,
      scope: 'agent-test',
      logger: new Logger('t', { sink: { write: (l) => lines.push(l) } }),
    });
    const group = cg.prepare('web#1', { cpu_percent: 50 });
    const dir = path.join(root, 'cpu', 'governor', 'agent-test', 'web#1');
    assert.deepEqual(group, { procs: [path.join(dir, 'cgroup.procs')], dirs: { cpu: dir } });
    assert.equal(readFileSync(path.join(dir, 'cpu.cfs_quota_us'), 'utf8'), '50000');
    // Memory wanted but no memory controller: one warning, no group.
    assert.equal(cg.prepare('db', { memory_bytes: 1 << 20 }), null);
    assert.equal(cg.prepare('db2', { memory_bytes: 1 << 20 }), null);
    assert.equal(lines.filter((l) => l.includes('advisory limits not applied')).length, 1);
    const argv = joinArgv(['/x/cgroup.procs'], ['node', 'a.js']);
    assert.deepEqual(argv.slice(-4), ['1', '/x/cgroup.procs', 'node', 'a.js']);
  });
});

/** CPU ticks (utime+stime) of a process tree, from one /proc scan. */
function treeTicks(root: number): number {
  const stats = listPids()
    .map((p) => readProcStat(p))
    .filter((s) => s !== null);
  const kids = new Map<number, number[]>();
  for (const s of stats) kids.set(s.ppid, [...(kids.get(s.ppid) ?? []), s.pid]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const s = byPid.get(pid);
    if (s) total += s.utime + s.stime;
    queue.push(...(kids.get(pid) ?? []));
  }
  return total;
}

/**
 * What this host offers, found at the top: its cgroup layout (v1 mounts or v2 controllers) and, per
 * controller, whether a real group with that limit can be made under /sys/fs/cgroup. Each real-limit test
 * runs where its controller is usable, on v1 and v2 alike, and says why when it is skipped; a host never
 * fails a test merely for having the other version.
 */
const hostCgroups = detectCgroups(DEFAULT_CGROUP_ROOT);
/** A hybrid host's cgroup2 hierarchy (controllers usually all on v1: then its tests say so and skip). */
const HYBRID_V2_ROOT = path.join(DEFAULT_CGROUP_ROOT, 'unified');
const PROBE_LIMITS: Record<LimitController, LimitsSpec> = {
  cpu: { cpu_percent: 50 },
  memory: { memory_bytes: 64 * 1024 * 1024 },
  pids: { pids: 100 },
};
const whyNot = new Map<string, string | null>();

/**
 * Null when `controller` limits real groups under `root`, else the reason it cannot (probed once per root
 * and controller: a group is made with that limit and removed).
 */
function hostLacks(controller: LimitController, root = DEFAULT_CGROUP_ROOT): string | null {
  const key = `${root}:${controller}`;
  if (whyNot.has(key)) return whyNot.get(key)!;
  const layout = detectCgroups(root);
  let reason: string | null = null;
  if (!layout?.[controller]) {
    const v2 = path.join(root, 'cgroup.controllers');
    const found = layout
      ? `cgroup v${layout.version} without it`
      : existsSync(v2)
        ? `its cgroup.controllers lists "${readFileSync(v2, 'utf8').trim()}"`
        : 'no cgroup v1/v2 hierarchy there';
    reason = `no ${controller} controller under ${root} (${found})`;
  } else if (process.geteuid?.() !== 0) {
    reason = 'writing cgroup limits needs root';
  } else {
    const lines: string[] = [];
    const cg = new Cgroups({
      root,
      scope: `limits-probe-${process.pid}`,
      logger: new Logger('probe', { sink: { write: (l) => lines.push(l) } }),
    });
    if (!cg.prepare('probe', PROBE_LIMITS[controller])) {
      reason = `no group with a ${controller} limit can be made under ${root}: ${lines.join('').trim()}`;
    }
    cg.sweep();
  }
  whyNot.set(key, reason);
  return reason;
}

/** Skips the running test, printing why, unless the host can hold handlers to `controller` under `root`. */
function needs(ctx: Mocha.Context, controller: LimitController, root = DEFAULT_CGROUP_ROOT): void {
  const reason = hostLacks(controller, root);
  if (reason === null) return;
  console.log(`      (skipped: ${reason})`);
  ctx.skip();
}

/** The file holding a group's limit, and the value written for it, per cgroup version (DESIGN §3). */
function limitFile(version: 1 | 2, controller: 'cpu' | 'memory'): string {
  if (controller === 'cpu') return version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us';
  return version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
}
function cpuLimitText(version: 1 | 2, quotaUs: number): string {
  return version === 2 ? `${quotaUs} ${CPU_PERIOD_US}` : String(quotaUs);
}

/** Supervisors (health-helpers) with a log captured in `lines`; each shut down after its test. */
function limitedSupervisors(): {
  make(extra?: { cgroupRoot?: string }): Promise<{ sup: Supervisor; dir: string; lines: string[] }>;
} {
  const sups = supervisors();
  afterEach(() => sups.close());
  return {
    async make(extra = {}) {
      const dir = tempDir();
      const lines: string[] = [];
      const logger = new Logger('agent', { level: 'info', sink: { write: (l) => lines.push(l) } });
      return { sup: await sups.make({ dataDir: dir, logger, ...extra }), dir, lines };
    },
  };
}

describe(`advisory limits on real handlers (host cgroup v${hostCgroups?.version ?? '-'})`, function () {
  const sups = limitedSupervisors();

  it('cpu "25%": a busy loop measures well under 50% and its group is removed when it ends', async function () {
    needs(this, 'cpu');
    const { sup, dir } = await sups.make();
    const cg = hostCgroups!;
    const [st] = await sup.applySpecs([
      spec({
        name: 'busy',
        command: ['node', fixture('busy.mjs')],
        start_seconds: 0,
        limits: { cpu: '25%' },
      }),
    ]);
    assert.equal(st?.state, 'running');
    const group = path.join(cg.cpu!, 'governor', cgroupScope(dir), 'busy');
    assert.equal(
      readFileSync(path.join(group, limitFile(cg.version, 'cpu')), 'utf8').trim(),
      cpuLimitText(cg.version, 25_000),
    );
    // The handler (the shim's child) is in the group, not just the shim.
    const procs = await waitFor(
      () => {
        const p = readFileSync(path.join(group, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
        return p.length >= 2 ? p : null;
      },
      { what: 'shim and handler in the cgroup' },
    );
    assert.ok(procs.includes(st!.pid!));
    const t0 = Date.now();
    const ticks0 = treeTicks(st!.pid!);
    // Wait for the busy loop to burn 0.5 s of CPU (50 ticks): about 2 s of wall time under a 25 % limit,
    // 0.5 s without one. The CPU share is measured over however long that took.
    await waitFor(() => treeTicks(st!.pid!) - ticks0 >= 50, { timeoutMs: 20_000, what: '0.5 s of CPU used' });
    const cpu = ((treeTicks(st!.pid!) - ticks0) * 10 * 100) / (Date.now() - t0);
    assert.ok(cpu < 40, `busy loop used ${cpu.toFixed(1)}% CPU under a 25% limit`);
    assert.ok(cpu > 5, `busy loop used ${cpu.toFixed(1)}% CPU: it should still run`);
    await sup.stop('busy');
    await waitFor(() => !existsSync(group), { what: 'cgroup removed after the stop' });
  });

  it('memory "128MiB": an allocating handler is ended and the exit is reported with SIGKILL', async function () {
    needs(this, 'memory');
    const { sup, dir } = await sups.make();
    const cg = hostCgroups!;
    await sup.applySpecs([
      spec({
        name: 'hog',
        command: ['node', fixture('alloc.mjs')],
        start_seconds: 0,
        restart: 'never',
        limits: { memory: '128MiB' },
      }),
    ]);
    const group = path.join(cg.memory!, 'governor', cgroupScope(dir), 'hog');
    assert.equal(
      readFileSync(path.join(group, limitFile(cg.version, 'memory')), 'utf8').trim(),
      String(128 * 1024 * 1024),
    );
    const s = await waitFor(
      () => {
        const x = sup.status('hog')[0];
        return x?.state === 'exited' ? x : null;
      },
      { what: 'the allocating handler to be OOM-killed', timeoutMs: 30_000 },
    );
    assert.deepEqual(
      { code: s.last_exit?.code, signal: s.last_exit?.signal },
      { code: null, signal: 'SIGKILL' },
    );
    assert.ok(s.events.some((e) => e.message === 'EXITED signal=SIGKILL' || /SIGKILL/.test(e.message)));
    await waitFor(() => !existsSync(group), { what: 'cgroup removed after the exit' });
  });

  // On the host's own version, and on a hybrid host's cgroup2 hierarchy where it has the pids controller.
  for (const [where, root] of [
    [`host cgroup v${hostCgroups?.version ?? '-'}`, DEFAULT_CGROUP_ROOT],
    ['hybrid cgroup2 hierarchy', HYBRID_V2_ROOT],
  ] as const) {
    it(`pids 50 (${where}): a handler forking 200 children never has more than 50 tasks, keeps running, and its stop leaves nothing`, async function () {
      needs(this, 'pids', root);
      const { sup, dir } = await sups.make({ cgroupRoot: root });
      const report = path.join(tempDir(), 'forks.json');
      const forker = spec({
        name: 'forker',
        command: ['node', fixture('fork-many.mjs')],
        env: { FORK_COUNT: '200', FORK_REPORT: report },
        start_seconds: 0,
        limits: { pids: 50 },
      });
      const [st] = await sup.applySpecs([forker]);
      assert.equal(st?.state, 'running');
      const group = path.join(detectCgroups(root)!.pids!, 'governor', cgroupScope(dir), 'forker');
      assert.equal(readFileSync(path.join(group, 'pids.max'), 'utf8').trim(), '50');
      // Tasks (processes and threads, the shim included) as the kernel counts them, sampled while it forks.
      const current = (): number => Number(readFileSync(path.join(group, 'pids.current'), 'utf8'));
      let most = 0;
      const forks = await waitFor(
        () => {
          most = Math.max(most, current());
          return existsSync(report)
            ? (JSON.parse(readFileSync(report, 'utf8')) as {
                started: number;
                failed: number;
                codes: string[];
              })
            : null;
        },
        { timeoutMs: 60_000, intervalMs: 5, what: 'the handler to try its 200 forks' },
      );
      most = Math.max(most, current());
      assert.equal(forks.started + forks.failed, 200);
      assert.ok(forks.failed > 0, `all 200 forks succeeded under pids 50: ${JSON.stringify(forks)}`);
      assert.deepEqual(forks.codes, ['EAGAIN']);
      assert.ok(most <= 50 && most > forks.started, `pids.current reached ${most}`);
      // The kernel's own high-water mark, where it keeps one (pids.peak: Linux 6.1+ on v1, 6.13+ on v2).
      const peak = path.join(group, 'pids.peak');
      if (existsSync(peak)) assert.ok(Number(readFileSync(peak, 'utf8')) <= 50, 'pids.peak over 50');
      // Contained, not punished: the same main process runs on, and the agent starts another handler.
      const calm = spec({ name: 'calm', command: ['node', fixture('ticker.mjs')], start_seconds: 0 });
      const after = new Map((await sup.applySpecs([forker, calm])).map((s) => [s.instance, s]));
      assert.deepEqual(
        ['forker', 'calm'].map((n) => [n, after.get(n)?.state, after.get(n)?.restarts]),
        [
          ['forker', 'running', 0],
          ['calm', 'running', 0],
        ],
      );
      assert.equal(after.get('forker')!.pid, st!.pid);
      const tasks = readFileSync(path.join(group, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
      assert.ok(tasks.length > forks.started, `${tasks.length} processes in the group`);
      await sup.stop('forker');
      for (const pid of tasks) {
        await waitFor(() => readProcStat(pid) === null || readProcStat(pid)!.state === 'Z', {
          what: `process ${pid} of the stopped handler to be gone`,
        });
      }
      await waitFor(() => !existsSync(group), { what: 'cgroup removed after the stop' });
    });
  }
});

describe('advisory limits without usable cgroups, or on a v2 tree (any host)', function () {
  const sups = limitedSupervisors();

  it('unwritable cgroup root: handlers still start, ONE warning is logged', async () => {
    const missing = path.join(tempDir(), 'no-cgroups-here');
    const { sup, lines } = await sups.make({ cgroupRoot: missing });
    const statuses = await sup.applySpecs([
      spec({ name: 'a', command: ['node', fixture('ticker.mjs')], start_seconds: 0, limits: { cpu: '25%' } }),
      spec({
        name: 'b',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        limits: { memory: '64MiB' },
      }),
    ]);
    assert.deepEqual(
      statuses.map((s) => s.state),
      ['running', 'running'],
    );
    const warnings = lines.filter((l) => l.includes('WARN') && l.includes('advisory limits not applied'));
    assert.equal(warnings.length, 1, lines.join(''));
    assert.match(warnings[0]!, /no-cgroups-here/);
  });

  it('a v2 root: the group gets cpu.max, memory.max and pids.max, controllers are enabled, the handler joins it', async () => {
    // A v2 tree as the kernel lays it out (cgroup.controllers at the root); plain files here, so the
    // limits are written but not enforced — the enforcement tests above run on the host's own version.
    const root = tempDir();
    touch(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const { sup, dir } = await sups.make({ cgroupRoot: root });
    const [st] = await sup.applySpecs([
      spec({
        name: 'web',
        command: ['node', fixture('ticker.mjs')],
        start_seconds: 0,
        limits: { cpu: '25%', memory: '128MiB', pids: 100 },
      }),
    ]);
    assert.equal(st?.state, 'running');
    const scope = path.join(root, 'governor', cgroupScope(dir));
    const group = path.join(scope, 'web');
    assert.equal(readFileSync(path.join(group, limitFile(2, 'cpu')), 'utf8'), cpuLimitText(2, 25_000));
    assert.equal(readFileSync(path.join(group, limitFile(2, 'memory')), 'utf8'), String(128 * 1024 * 1024));
    assert.equal(readFileSync(path.join(group, 'pids.max'), 'utf8'), '100');
    for (const parent of [root, path.join(root, 'governor'), scope]) {
      assert.ok(existsSync(path.join(parent, 'cgroup.subtree_control')), `controllers enabled in ${parent}`);
    }
    // The agent writes the shim's PID and the handler (the shim's child) its own before exec; on this plain
    // file the last write wins, and which one is last depends on scheduling. The handler was told to join:
    // its shim's command line names the file (the join prefix), and the file holds one of the two PIDs.
    const procs = path.join(group, 'cgroup.procs');
    const shim = st!.shim_pid!;
    assert.ok(readCmdline(shim)?.includes(procs), 'the handler joins the group before it execs');
    await waitFor(() => [st!.pid, shim].includes(Number(readFileSync(procs, 'utf8').trim())), {
      what: 'a PID of the handler in cgroup.procs',
    });
  });
});
