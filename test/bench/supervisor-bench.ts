/**
 * Supervisor benchmarks (issue 2): spawn → running latency, agent restart with 100 running handlers,
 * and the cost of an agent supervising 100 idle handlers with 5 s metrics sampling.
 * Env: BENCH_STARTS (200), BENCH_HANDLERS (100), BENCH_IDLE_SECONDS (30), BENCH_DIR (os.tmpdir()).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStateStore } from '../../agent/supervisor/state-store.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { CLOCK_TICKS, cpuTicks, pct, until } from './bench-kit.js';

const AGENT_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'agent', 'main.js');

function sleeper(name: string): HandlerSpec {
  return parseHandler(
    { name, command: ['sleep', '3600'], start_seconds: 0, stop_timeout: '2s' },
    name,
    'bench',
  );
}

/**
 * start() → `running` with start_seconds: 0, each start followed by a stop. `cgroupRoot`: where tracking
 * cgroups go (default /sys/fs/cgroup; a missing dir: none, process groups only).
 */
export async function benchSpawnLatency(
  starts: number,
  cgroupRoot?: string,
): Promise<{ p50: number; p99: number; max: number; tracking: string }> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-'));
  const sup = await Supervisor.create({ dataDir: dir, ...(cgroupRoot ? { cgroupRoot } : {}) });
  const tracking = sup.tracking();
  try {
    await sup.applySpecs([sleeper('lat')]);
    await sup.stop('lat');
    const samples: number[] = [];
    for (let i = 0; i < starts; i++) {
      let t1 = 0;
      const onState = (c: { to: string }): void => {
        if (c.to === 'running') t1 = performance.now();
      };
      sup.on('state', onState);
      const t0 = performance.now();
      await sup.start('lat');
      sup.off('state', onState);
      samples.push(t1 - t0);
      await sup.stop('lat');
    }
    samples.sort((a, b) => a - b);
    return { p50: pct(samples, 50), p99: pct(samples, 99), max: samples.at(-1) ?? NaN, tracking };
  } finally {
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 100 running handlers; a new supervisor on the same data dir re-adopts them. */
export async function benchReadopt(
  n: number,
): Promise<{ adoptMs: number; adopted: number; respawns: number }> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-'));
  const specs = Array.from({ length: n }, (_, i) => sleeper(`idle-${i}`));
  const first = await Supervisor.create({ dataDir: dir });
  await first.applySpecs(specs);
  const pids = new Map(first.status().map((s) => [s.handler, s.pid]));
  await first.shutdown();
  const t0 = performance.now();
  const second = await Supervisor.create({ dataDir: dir });
  await second.applySpecs(specs);
  const adoptMs = performance.now() - t0;
  const st = second.status();
  const adopted = st.filter((s) => s.state === 'running' && s.pid === pids.get(s.handler)).length;
  const respawns = st.filter((s) => s.events.some((e) => e.type === 'STARTED')).length;
  await Promise.all(st.map((s) => second.stop(s.handler)));
  await second.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { adoptMs, adopted, respawns };
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** A real agent process with `n` idle handlers and 5 s sampling: its CPU % of one core and RSS. */
export async function benchIdle(n: number, seconds: number): Promise<{ cpuPercent: number; rssMiB: number }> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-'));
  const data = path.join(dir, 'data');
  const handlers = path.join(dir, 'handlers.yaml');
  const lines = Array.from(
    { length: n },
    (_, i) => `  - {name: idle-${i}, command: [sleep, "3600"], start_seconds: 0, stop_timeout: 2s}`,
  );
  writeFileSync(handlers, `handlers:\n${lines.join('\n')}\n`);
  const agent = spawn(
    process.execPath,
    [
      AGENT_MAIN,
      '--handlers',
      handlers,
      '--data-dir',
      data,
      '--metrics-interval',
      '5s',
      '--log-level',
      'warn',
    ],
    { stdio: 'ignore' },
  );
  const pid = agent.pid!;
  const statusFile = path.join(data, 'status.json');
  const running = (): number => {
    try {
      const doc = JSON.parse(readFileSync(statusFile, 'utf8')) as { instances: Array<{ state: string }> };
      return doc.instances.filter((i) => i.state === 'running').length;
    } catch {
      return 0;
    }
  };
  try {
    await until(() => running() === n, 30_000, `${n} idle handlers running`);
    // Settled: the start-up work is over once the agent has used no CPU for half a second.
    let ticks = -1;
    let since = 0;
    await until(
      () => {
        const now = cpuTicks(pid);
        if (now !== ticks) [ticks, since] = [now, performance.now()];
        return performance.now() - since >= 500;
      },
      15_000,
      'the agent to settle after starting its handlers',
    );
    const c0 = cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuPercent = (((cpuTicks(pid) - c0) / CLOCK_TICKS) * 1000 * 100) / (performance.now() - t0);
    const rssMiB = rssBytes(pid) / 1024 / 1024;
    return { cpuPercent, rssMiB };
  } finally {
    agent.kill('SIGTERM');
    await until(() => !isAlive(pid), 10_000, 'agent exit');
    // Stop the handlers the agent left running (by their recorded process groups).
    const { store } = await openStateStore(data);
    for (const rec of Object.values(store.data.instances)) {
      if (rec.handle) {
        try {
          process.kill(-rec.handle.pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSupervisorBench(): Promise<void> {
  const starts = Number(process.env.BENCH_STARTS ?? 200);
  const n = Number(process.env.BENCH_HANDLERS ?? 100);
  const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
  const f = (x: number): string => x.toFixed(2);
  // The supervisor's timers are unref'd by design: keep the bench process alive while it waits.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const lat = await benchSpawnLatency(starts);
    console.log(
      `supervisor: spawn → running (start_seconds 0, ${starts} starts, tracking ${lat.tracking}): p50 ${f(lat.p50)} ms, p99 ${f(lat.p99)} ms, ` +
        `max ${f(lat.max)} ms  [target p50 ≤ 5 ms, p99 ≤ 20 ms]`,
    );
    const re = await benchReadopt(n);
    console.log(
      `supervisor: agent restart with ${n} running handlers: re-adopted ${re.adopted}/${n} in ${f(re.adoptMs)} ms, ` +
        `respawns ${re.respawns}  [target ≤ 1000 ms, 0]`,
    );
    const idle = await benchIdle(n, idleSeconds);
    console.log(
      `supervisor: agent with ${n} idle handlers, 5 s sampling, over ${idleSeconds} s: CPU ${f(idle.cpuPercent)} % of one core, ` +
        `RSS ${f(idle.rssMiB)} MiB  [target ≤ 1 %, ≤ 80 MiB]`,
    );
  } finally {
    clearInterval(keepAlive);
  }
}
