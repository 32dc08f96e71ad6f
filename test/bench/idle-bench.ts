/**
 * Idle benchmark (issue 11): what a Governor agent with 100 idle handlers, and the master it is connected to,
 * cost while nothing happens — beside supervisord running the same 100 programs, in the same windows.
 *
 * Governor: a real `gov master` (default heartbeat 2 s, metrics interval 5 s) and a real `gov agent` (separate
 * processes, test/helpers/cluster.ts, certs from test/helpers/pki.ts), 100 handlers `sleep infinity` (exec'd by
 * the agent's /bin/sh shim; the handlers' and shims' own cost is not counted). supervisord: its own config,
 * unix socket and pidfile in a temp dir, the same 100 programs, stopped by its PID.
 *
 * After everything settled (all running, then BENCH_IDLE_SETTLE_MS), each process's CPU is measured over a
 * window as the delta of utime+stime (/proc/PID/stat) / wall time → % of one core, and its RSS (VmRSS) and PSS
 * (/proc/PID/smaps_rollup) at the window's end. The windows of all processes are the same (side by side); the
 * figures are the medians of BENCH_IDLE_RUNS windows. Targets are printed beside them (PASS / over); a missed
 * target never fails the run.
 *
 * Env: BENCH_IDLE_HANDLERS (100), BENCH_IDLE_RUNS (3), BENCH_IDLE_WINDOW_MS (60000), BENCH_IDLE_SETTLE_MS
 * (15000), BENCH_IDLE_QUICK=1 (1 window of 20 s, 10 s settle), BENCH_IDLE_SIDES (gov,supervisord),
 * BENCH_IDLE_CPU_PROF=DIR (master and agent run with `--cpu-prof --cpu-prof-dir DIR`; they are stopped with
 * SIGTERM at the end so the profiles are written; read them with `node dist/test/bench/cpu-prof-top.js DIR/*`),
 * BENCH_IDLE_NODE_ARGS ('') more node options for master and agent, space-separated (e.g. V8 GC flags, to
 * compare runtime settings side by side).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive, readProcStat } from '../../shared/proc.js';
import { Cluster } from '../helpers/cluster.js';
import { cleanupPids, cleanupTempDirs, tempDir, waitFor } from '../helpers/common.js';
import { onPath, writeSupervisordConf } from './supervisord-conf.js';
import { cpuTicks, CLOCK_TICKS } from './bench-kit.js';

const AGENT = 'edge-1';
const MIB = 1024 * 1024;
/** Handlers added per apply while setting up. */
const APPLY_STEP = 25;

interface Usage {
  cpuPercent: number;
  rssBytes: number;
  pssBytes: number | null;
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function pssBytes(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Measures every process in `pids` over the same window of `ms`. */
async function window(pids: Map<string, number>, ms: number): Promise<Map<string, Usage>> {
  const t0 = performance.now();
  const before = new Map([...pids].map(([k, pid]) => [k, cpuTicks(pid)]));
  await new Promise((r) => setTimeout(r, ms)); // a measuring window, not a wait for an event
  const wallS = (performance.now() - t0) / 1000;
  const out = new Map<string, Usage>();
  for (const [k, pid] of pids) {
    const ticks = cpuTicks(pid) - before.get(k)!;
    out.set(k, {
      cpuPercent: (ticks / CLOCK_TICKS / wallS) * 100,
      rssBytes: statusKb(pid, 'VmRSS') * 1024,
      pssBytes: pssBytes(pid),
    });
  }
  return out;
}

/** Epoch ms the process started (its /proc start time after the boot time). */
function startedAtMs(pid: number): number {
  const btime = Number(/^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  return btime * 1000 + (Number(readProcStat(pid)?.startTime) / CLOCK_TICKS) * 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function target(value: number, limit: number, unit: string): string {
  return `[target ≤ ${limit}${unit}: ${value <= limit ? 'PASS' : 'over'}]`;
}

// ---- Governor ----

async function startGov(
  n: number,
  profDir: string | null,
): Promise<{ c: Cluster; pids: Map<string, number> }> {
  // The master's defaults (heartbeat 2 s, grace 6 s, metrics every 5 s), not the tests' short heartbeat.
  const c = await Cluster.start({
    agents: [AGENT],
    heartbeatInterval: '2s',
    heartbeatGrace: '6s',
    nodeArgs: [
      ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      ...(process.env.BENCH_IDLE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    ],
  });
  try {
    return await applyIdle(c, n);
  } catch (err) {
    await c.stop(); // its handlers too (by the groups in the agent's status file)
    throw err;
  }
}

/** Applies `n` idle handlers and waits until all run; returns the master's and agent's PIDs. */
async function applyIdle(c: Cluster, n: number): Promise<{ c: Cluster; pids: Map<string, number> }> {
  const specs = Array.from({ length: n }, (_, i) => ({
    name: `idle-${String(i + 1).padStart(3, '0')}`,
    agents: [AGENT],
    command: ['sleep', 'infinity'],
    start_seconds: 0,
  }));
  // Applied in steps, each tried again if it failed (apply is idempotent): on a loaded 2-core machine one
  // apply of 100 spawns was seen to outlast the CLI's deadline.
  for (let k = Math.min(APPLY_STEP, n); ; k = Math.min(k + APPLY_STEP, n)) {
    const file = c.writeHandlers(specs.slice(0, k), `idle-${k}.yaml`);
    for (let attempt = 1; ; attempt++) {
      const applied = await c.gov(['apply', '-f', file, '--timeout', '120s'], { timeoutMs: 180_000 });
      if (applied.code === 0) break;
      if (attempt === 3) throw new Error(`gov apply of ${k} handlers failed: ${applied.stderr.trim()}`);
      console.log(`  gov apply of ${k} handlers: ${applied.stderr.trim().split('\n')[0]}; applying again`);
      await c.waitAgentConnected(AGENT, true, 60_000);
    }
    if (k === n) break;
  }
  await waitFor(
    async () => {
      const all = await c.instances();
      for (const i of all) c.trackGroup(i.pgid);
      return all.length === n && all.every((i) => i.state === 'running' && i.pid);
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `${n} gov handlers running` },
  );
  // The bench's own admin channel would ping the master every 5 s (keepalive): an idle master has no client.
  c.admin().close();
  const pids = new Map<string, number>([
    ['gov agent', c.agents.get(AGENT)!.pid],
    ['gov master', c.master!.pid],
  ]);
  return { c, pids };
}

async function stopGov(c: Cluster, profiling: boolean): Promise<void> {
  if (profiling) {
    // A graceful exit writes the .cpuprofile (the agent leaves its handlers running: stopped below by group).
    await c.agents.get(AGENT)?.kill('SIGTERM', 30_000);
    await c.master?.kill('SIGTERM', 30_000);
  }
  await c.stop();
}

// ---- supervisord ----

interface Supervisord {
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

async function startSupervisord(n: number): Promise<Supervisord | null> {
  if (!onPath('supervisord')) {
    console.log('supervisord: not installed (apt-get install supervisor), skipped');
    return null;
  }
  const dir = tempDir('gov-idle-bench-supervisord-');
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  const programs = Array.from({ length: n }, (_, i) =>
    [
      `[program:idle-${String(i + 1).padStart(3, '0')}]`,
      'command=sleep infinity',
      'startsecs=0',
      'autorestart=true',
      `stdout_logfile=${path.join(logs, `idle-${i + 1}.log`)}`,
      'redirect_stderr=true',
      '',
    ].join('\n'),
  );
  const conf = writeSupervisordConf(dir, logs, programs);
  const daemon = spawn('supervisord', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pid = daemon.pid;
  if (!pid) throw new Error('supervisord: spawn failed');
  let err = '';
  daemon.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const children = (): number =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;
  const stop = async (): Promise<void> => {
    // SIGTERM: supervisord stops its programs, then itself (by its PID, never the system service).
    daemon.kill('SIGTERM');
    await waitFor(() => !isAlive(pid), { timeoutMs: 120_000, what: 'supervisord to exit' }).catch(() => {
      daemon.kill('SIGKILL');
    });
  };
  try {
    await waitFor(() => (daemon.exitCode === null ? children() >= n : Promise.reject(new Error(err))), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: `supervisord's ${n} programs`,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid, dir, stop };
}

// ---- the run ----

export async function runIdleBench(): Promise<void> {
  const quick = process.env.BENCH_IDLE_QUICK === '1';
  const n = Number(process.env.BENCH_IDLE_HANDLERS ?? 100);
  const runs = Number(process.env.BENCH_IDLE_RUNS ?? (quick ? 1 : 3));
  const windowMs = Number(process.env.BENCH_IDLE_WINDOW_MS ?? (quick ? 20_000 : 60_000));
  const settleMs = Number(process.env.BENCH_IDLE_SETTLE_MS ?? (quick ? 10_000 : 15_000));
  const sides = (process.env.BENCH_IDLE_SIDES ?? 'gov,supervisord').split(',');
  const profDir = process.env.BENCH_IDLE_CPU_PROF ? path.resolve(process.env.BENCH_IDLE_CPU_PROF) : null;
  if (profDir) mkdirSync(profDir, { recursive: true });
  console.log(
    `idle: ${n} idle handlers (sleep infinity), ${runs} window(s) of ${windowMs / 1000} s after ${settleMs / 1000} s ` +
      `settling, all sides measured in the same windows (load average ${os.loadavg()[0]!.toFixed(1)} on ` +
      `${os.cpus().length} cores)`,
  );
  let gov: Awaited<ReturnType<typeof startGov>> | null = null;
  let sup: Supervisord | null = null;
  try {
    if (sides.includes('gov')) gov = await startGov(n, profDir);
    if (sides.includes('supervisord')) sup = await startSupervisord(n);
    const pids = new Map<string, number>(gov?.pids ?? []);
    if (sup) pids.set('supervisord', sup.pid);
    await new Promise((r) => setTimeout(r, settleMs)); // settling: start-up work is not idle cost
    const windowsFrom = Date.now();
    const samples = new Map<string, Usage[]>();
    for (let i = 0; i < runs; i++) {
      const w = await window(pids, windowMs);
      for (const [k, u] of w) samples.set(k, [...(samples.get(k) ?? []), u]);
      console.log(
        `  window ${i + 1}/${runs}: ` +
          [...w]
            .map(([k, u]) => `${k} ${u.cpuPercent.toFixed(3)} % ${(u.rssBytes / MIB).toFixed(1)} MiB`)
            .join(', '),
      );
    }
    const med = new Map(
      [...samples].map(([k, us]) => [
        k,
        {
          cpuPercent: median(us.map((u) => u.cpuPercent)),
          rssBytes: median(us.map((u) => u.rssBytes)),
          pssBytes: us.every((u) => u.pssBytes !== null) ? median(us.map((u) => u.pssBytes!)) : null,
        },
      ]),
    );
    if (profDir && gov) {
      for (const [k, pid] of gov.pids) {
        const from = (windowsFrom - startedAtMs(pid)) / 1000;
        const to = from + (Date.now() - windowsFrom) / 1000;
        console.log(
          `  ${k} (pid ${pid}) profile of the windows: --from ${from.toFixed(1)} --to ${to.toFixed(1)}`,
        );
      }
    }
    console.log(`\nidle cost, medians of ${runs} window(s) of ${windowMs / 1000} s (${n} idle handlers):`);
    const limits: Record<string, { cpu: number; rss?: number }> = {
      'gov agent': { cpu: 0.15, rss: 60 },
      'gov master': { cpu: 0.1 },
    };
    for (const [k, u] of med) {
      const l = limits[k];
      console.log(
        `  ${k.padEnd(12)} CPU ${u.cpuPercent.toFixed(3).padStart(6)} % of one core${l ? ` ${target(u.cpuPercent, l.cpu, ' %')}` : ''}` +
          `  RSS ${(u.rssBytes / MIB).toFixed(1).padStart(5)} MiB${l?.rss ? ` ${target(u.rssBytes / MIB, l.rss, ' MiB')}` : ''}` +
          `${u.pssBytes !== null ? `  PSS ${(u.pssBytes / MIB).toFixed(1)} MiB` : ''}`,
      );
    }
    const s = med.get('supervisord');
    if (s) {
      for (const k of ['gov agent', 'gov master']) {
        const g = med.get(k);
        if (!g) continue;
        const cpu = s.cpuPercent > 0 ? `${(g.cpuPercent / s.cpuPercent).toFixed(1)}×` : 'n/a (supervisord 0)';
        console.log(`  ${k} / supervisord: CPU ${cpu}, RSS ${(g.rssBytes / s.rssBytes).toFixed(1)}×`);
      }
    }
  } finally {
    if (gov)
      await stopGov(gov.c, profDir !== null).catch((e: unknown) => console.log(`gov stop: ${String(e)}`));
    if (sup) await sup.stop();
    await cleanupPids();
    cleanupTempDirs();
  }
  if (profDir) console.log(`cpu profiles in ${profDir}`);
}
