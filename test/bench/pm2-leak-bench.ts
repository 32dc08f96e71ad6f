/**
 * Governor's resource policies side by side with PM2's `max_memory_restart` (issue 15), on the same
 * workloads at the same time: test/fixtures/leak.mjs leaking steadily past a limit (BENCH_LIMIT_MIB, default
 * 100 MiB) at each rate of BENCH_LEAK_MIB_PER_S (default `2,1.5`: two workloads; how long a process takes to
 * reach the limit against PM2's fixed check period decides how long PM2 lets it stay above), for
 * BENCH_MINUTES (default 10).
 *
 * - PM2: installed with `npm i pm2` into a temp dir at bench time (pm2-kit.ts: never a project dependency;
 *   the PM2 side is skipped, saying why, when the registry cannot be reached), its own PM2_HOME, the app from an
 *   ecosystem file with `max_memory_restart`. PM2 checks memory every `worker_interval` (30 s by default;
 *   the figure printed is read from the installed package).
 * - Governor: a real `gov agent --handlers FILE` (standalone) whose handler has one rule with PM2's
 *   semantics, `when: {metric: rss, above: LIMIT}`, `do: restart` (no `for`, no smoothing, no cooldown).
 *   Instance sensors are read at the agent's metrics interval (default 5 s, printed).
 *
 * Both are measured the same way, from outside: every 200 ms the bench finds the leaking process of each
 * side (by a tag in its environment only the app has) and reads its RSS from /proc. Printed per side:
 * restarts performed (new PIDs seen), time spent above the limit (sum of sample intervals whose RSS was
 * above it), the highest RSS seen; and the ratio of the times above the limit. Never asserted.
 * Everything started is stopped by PID (and the handler through the agent's own socket).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GOV_BIN, REPO_ROOT, fixture } from '../helpers/common.js';
import { until } from './bench-kit.js';
import { pm2DaemonPid, pm2Installed } from './pm2-kit.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const SAMPLE_MS = 200;
const PAGE = 4096;

interface Side {
  name: string;
  /** The tag in the leaking process's environment (BENCH_LEAK_TAG). */
  tag: string;
  /** Its leak, MiB per second. */
  rate: number;
  pid: number | null;
  pids: Set<number>;
  aboveMs: number;
  maxRss: number;
  samples: number;
}

const NODE = realpathSync(process.execPath);

/**
 * The PID of the node process whose environment holds BENCH_LEAK_TAG=`tag`, or null. Node only: a shell
 * that leads it (Governor's exit-status shim) carries the same environment.
 */
function findTagged(tag: string): number | null {
  const needle = `\0BENCH_LEAK_TAG=${tag}\0`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(needle)) continue;
      if (readlinkSync(`/proc/${name}/exe`) === NODE) return Number(name);
    } catch {
      /* gone or not ours to read */
    }
  }
  return null;
}

/** RSS of `pid` in bytes, or null when it is gone. */
function rssOf(pid: number): number | null {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * PAGE;
  } catch {
    return null;
  }
}

function sample(side: Side, limit: number, dtMs: number): void {
  let rss = side.pid === null ? null : rssOf(side.pid);
  if (rss === null) {
    side.pid = findTagged(side.tag);
    rss = side.pid === null ? null : rssOf(side.pid);
  }
  if (side.pid === null || rss === null) return;
  side.pids.add(side.pid);
  side.samples++;
  side.maxRss = Math.max(side.maxRss, rss);
  if (rss > limit) side.aboveMs += dtMs;
}

function kill(pid: number | null | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

/** `BENCH_LEAK_MIB_PER_S`: one rate or several (`2,1.5`), each a workload of its own on both sides. */
function leakRates(text: string): number[] {
  const rates = text.split(',').map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 100))
    throw new Error(`BENCH_LEAK_MIB_PER_S ${JSON.stringify(text)}: MiB per second, e.g. 2 or 2,1.5`);
  return rates;
}

const newSide = (name: string, tag: string, rate: number): Side => ({
  name,
  tag,
  rate,
  pid: null,
  pids: new Set(),
  aboveMs: 0,
  maxRss: 0,
  samples: 0,
});

export async function runPm2LeakBench(): Promise<void> {
  const minutes = Number(process.env.BENCH_MINUTES ?? 10);
  const rates = leakRates(process.env.BENCH_LEAK_MIB_PER_S ?? '2,1.5');
  const limitMiB = Number(process.env.BENCH_LIMIT_MIB ?? 100);
  const limit = limitMiB * MIB;
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-pm2-'));
  const leakEnv = (rate: number, tag: string) => ({
    LEAK_MIB_PER_S: String(rate),
    LEAK_MAX_MIB: '1024',
    BENCH_LEAK_TAG: tag,
  });
  const stamp = `${process.pid}-${Date.now()}`;
  const sides: Side[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    // --- Governor: a standalone agent, one handler per rate, each with a leak rule.
    const data = path.join(dir, 'gov-data');
    const handlers = path.join(dir, 'handlers.yaml');
    const govSides = rates.map((rate, i) => newSide('governor', `gov-${stamp}-${i}`, rate));
    writeFileSync(
      handlers,
      [
        'handlers:',
        ...govSides.flatMap((side, i) => [
          `  - name: leaky-${i}`,
          `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture('leak.mjs'))}]`,
          `    env: ${JSON.stringify(leakEnv(side.rate, side.tag))}`,
          '    restart: always',
          '    stop_timeout: 2s',
          '    policies:',
          '      - name: leak',
          `        when: {metric: rss, above: ${limitMiB}MiB}`,
          '        do: restart',
        ]),
        '',
      ].join('\n'),
    );
    const agentMain = path.join(REPO_ROOT, 'dist', 'agent', 'main.js');
    const agent: ChildProcess = spawn(
      process.execPath,
      [agentMain, '--handlers', handlers, '--data-dir', data, '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let agentErr = '';
    agent.stderr?.on('data', (d: Buffer) => (agentErr = (agentErr + d.toString()).slice(-4000)));
    cleanups.push(async () => {
      // The handlers outlive their agent by design: stop them through the agent's own socket first.
      await run(process.execPath, [GOV_BIN, '--socket', path.join(data, 'gov.sock'), 'stop', '--all'], {
        timeout: 30_000,
      }).catch(() => {});
      kill(agent.pid, 'SIGTERM');
    });
    sides.push(...govSides);

    // --- PM2: installed into the temp dir, its own home, one app per rate from an apps file.
    const pm2 = await pm2Installed();
    let pm2Note = '';
    if (!pm2) pm2Note = 'PM2 side skipped: npm could not install PM2 (why: the line above)';
    else {
      const home = path.join(dir, 'pm2-home');
      const pmSides = rates.map((rate, i) => newSide('pm2', `pm2-${stamp}-${i}`, rate));
      const eco = path.join(dir, 'pm2-apps.json');
      writeFileSync(
        eco,
        `${JSON.stringify({
          apps: pmSides.map((side, i) => ({
            name: `leaky-${i}`,
            script: fixture('leak.mjs'),
            interpreter: process.execPath,
            exec_mode: 'fork',
            autorestart: true,
            max_memory_restart: `${limitMiB}M`,
            env: leakEnv(side.rate, side.tag),
          })),
        })}\n`,
      );
      const env = { ...process.env, PM2_HOME: home };
      cleanups.push(async () => {
        await run(process.execPath, [pm2.bin, 'kill'], { env, timeout: 60_000 }).catch(() => {});
        kill(pm2DaemonPid(home));
      });
      await run(process.execPath, [pm2.bin, 'start', eco], { env, timeout: 120_000 });
      sides.push(...pmSides);
      pm2Note =
        `PM2 ${pm2.version}: max_memory_restart ${limitMiB}M, checked every worker_interval ` +
        `${Number.isFinite(pm2.workerIntervalMs) ? `${pm2.workerIntervalMs / 1000} s` : '(not found in constants.js)'} (default)`;
      cleanups.push(async () => {
        const out = await run(process.execPath, [pm2.bin, 'jlist'], { env, timeout: 60_000 }).catch(
          () => null,
        );
        try {
          const list = JSON.parse(out?.stdout ?? '[]') as Array<{
            name?: string;
            pm2_env?: { restart_time?: number };
          }>;
          console.log(
            `  pm2's own restart counts (at the end): ${list.map((a) => `${a.name} ${a.pm2_env?.restart_time ?? '?'}`).join(', ')}`,
          );
        } catch {
          /* not JSON */
        }
      });
    }

    await until(
      () => {
        if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode}): ${agentErr}`);
        return sides.every((s) => findTagged(s.tag) !== null);
      },
      60_000,
      `the leaking process of every side`,
    );
    console.log(
      `leak ${rates.join(' and ')} MiB/s, limit ${limitMiB} MiB, ${minutes} min, both sides at once; ` +
        `RSS sampled from /proc every ${SAMPLE_MS} ms\n` +
        `  governor: rule {metric: rss, above: ${limitMiB}MiB} do restart (no for, smoothing or cooldown); ` +
        'instance sensors every metrics interval (agent default 5 s)\n' +
        `  ${pm2Note}`,
    );
    const end = Date.now() + minutes * 60_000;
    let last = Date.now();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const now = Date.now();
      for (const s of sides) sample(s, limit, now - last);
      last = now;
      if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode}): ${agentErr}`);
    }
    const f = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const restarts = (s: Side) => Math.max(0, s.pids.size - 1);
    for (const rate of rates) {
      const [g, p] = ['governor', 'pm2'].map((n) => sides.find((s) => s.name === n && s.rate === rate));
      for (const s of [g, p])
        if (s)
          console.log(
            `  ${rate} MiB/s ${s.name.padEnd(8)}: restarts ${restarts(s)}, above the limit ${f(s.aboveMs)} ` +
              `(${((100 * s.aboveMs) / (minutes * 60_000)).toFixed(1)} % of the run), highest RSS ${(s.maxRss / MIB).toFixed(1)} MiB`,
          );
      if (g && p)
        console.log(
          `  ${rate} MiB/s time above the limit pm2 / governor: ${g.aboveMs > 0 ? (p.aboveMs / g.aboveMs).toFixed(1) : '∞'}×` +
            ` (restarts ${restarts(p)} / ${restarts(g)})`,
        );
    }
  } finally {
    for (const c of cleanups.reverse()) await c();
    // Whatever of either side is left (a leaking process we tagged): by PID.
    for (const s of sides) {
      for (let pid = findTagged(s.tag), n = 0; pid !== null && n < 10; pid = findTagged(s.tag), n++) {
        kill(pid);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
