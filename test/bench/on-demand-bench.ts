/**
 * On-demand benchmarks (issue 4):
 * - cold-start overhead: `ensure` → hot, minus the handler's own start time (the fixture logs its time
 *   origin and the moment it listens); readiness comes from a tcp health check. Target p50 ≤ 20 ms.
 * - memory: 50 on-demand node HTTP handlers with 3 hot vs the same 50 always-on; the share of handler
 *   RSS (each process tree: shim + node) saved. Target ≥ 90 %.
 * Env: BENCH_COLD_STARTS (30), BENCH_HANDLERS (50), BENCH_HOT (3), BENCH_DIR (os.tmpdir()).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { formatBytes } from '../../shared/durations.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { freePort, pct, until } from './bench-kit.js';
import { fixture } from '../helpers/common.js';

const FIXTURE = fixture('http-server.mjs');

interface Ready {
  pid: number;
  origin: number;
  ready: number;
}

function readyLines(file: string): Ready[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Ready);
  } catch {
    return [];
  }
}

function server(name: string, dir: string, extra: Record<string, unknown>): HandlerSpec {
  return parseHandler(
    {
      name,
      command: [process.execPath, FIXTURE],
      start_seconds: 0,
      stop_timeout: '2s',
      ...extra,
      env: { READY_LOG: path.join(dir, `${name}.ready`), ...((extra.env as object) ?? {}) },
    },
    name,
    'bench',
  );
}

export interface ColdStartFigures {
  p50: number;
  p99: number;
  total_p50: number;
  handler_p50: number;
}

/** ensure → hot minus the handler's own start (time origin → listening), per cold start. */
export async function benchColdStart(starts: number): Promise<ColdStartFigures> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-od-'));
  const sup = await Supervisor.create({ dataDir: dir });
  try {
    const port = await freePort();
    await sup.applySpecs([
      server('cold', dir, {
        mode: 'on-demand',
        idle_timeout: '1h',
        env: { PORT: String(port) },
        health: { tcp: port, interval: '2s', timeout: '1s' },
      }),
    ]);
    const overhead: number[] = [];
    const totals: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < starts; i++) {
      const t0 = performance.timeOrigin + performance.now();
      const [r] = await sup.ensure('cold');
      const t1 = performance.timeOrigin + performance.now();
      if (!r || r.status.temperature !== 'hot') throw new Error('bench: not hot after ensure');
      // The listen callback (which logs) may run just after the kernel accepted the probe's connect.
      const log = path.join(dir, 'cold.ready');
      await until(() => readyLines(log).length > i, 2000, 'the handler to log its ready time');
      const ready = readyLines(log)[i]!;
      const handlerStart = ready.ready - ready.origin;
      totals.push(t1 - t0);
      own.push(handlerStart);
      overhead.push(t1 - t0 - handlerStart);
      await sup.stop('cold');
    }
    for (const l of [overhead, totals, own]) l.sort((a, b) => a - b);
    return {
      p50: pct(overhead, 50),
      p99: pct(overhead, 99),
      total_p50: pct(totals, 50),
      handler_p50: pct(own, 50),
    };
  } finally {
    await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MemoryFigures {
  on_demand_bytes: number;
  always_on_bytes: number;
  saved_fraction: number;
}

async function handlerRss(sup: Supervisor): Promise<number> {
  return (await sup.metrics()).reduce((sum, m) => sum + m.memory_bytes, 0);
}

/** Handler RSS: `handlers` on-demand with `hot` of them woken, vs all `handlers` always-on. */
export async function benchMemory(handlers: number, hot: number): Promise<MemoryFigures> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-mem-'));
  const names = Array.from({ length: handlers }, (_, i) => `h${i}`);
  const allReady = (n: number) =>
    names.slice(0, n).every((h) => readyLines(path.join(dir, `${h}.ready`)).length > 0);
  const sup = await Supervisor.create({ dataDir: dir });
  try {
    // On-demand: woken ones become hot once they listen (tcp check on a port of their own).
    const ports = await Promise.all(names.map(() => freePort()));
    const spec = (h: string, i: number, mode: string): HandlerSpec =>
      server(h, dir, {
        mode,
        ...(mode === 'on-demand' ? { idle_timeout: '1h' } : {}),
        env: { PORT: String(ports[i]) },
        health: { tcp: ports[i], interval: '2s', timeout: '1s' },
      });
    await sup.applySpecs(names.map((h, i) => spec(h, i, 'on-demand')));
    await Promise.all(names.slice(0, hot).map((h) => sup.ensure(h)));
    await until(() => allReady(hot), 30_000, 'hot handlers ready');
    const onDemand = await handlerRss(sup);
    // The same handlers always-on (a changed spec restarts the woken ones, starts the rest).
    await sup.applySpecs(names.map((h, i) => spec(h, i, 'always-on')));
    await until(() => allReady(handlers), 60_000, 'all handlers ready');
    const alwaysOn = await handlerRss(sup);
    return { on_demand_bytes: onDemand, always_on_bytes: alwaysOn, saved_fraction: 1 - onDemand / alwaysOn };
  } finally {
    await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runOnDemandBench(): Promise<void> {
  const starts = Number(process.env.BENCH_COLD_STARTS ?? 30);
  const handlers = Number(process.env.BENCH_HANDLERS ?? 50);
  const hot = Number(process.env.BENCH_HOT ?? 3);
  // The supervisor's timers are unref'd: keep the process up while the bench waits on them.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await report(starts, handlers, hot);
  } finally {
    clearInterval(keepAlive);
  }
}

async function report(starts: number, handlers: number, hot: number): Promise<void> {
  const c = await benchColdStart(starts);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `cold-start overhead (ensure → hot minus the handler's own start), ${starts} cold starts: ` +
      `p50 ${ms(c.p50)}, p99 ${ms(c.p99)} (target p50 ≤ 20 ms: ${c.p50 <= 20 ? 'PASS' : 'FAIL'})`,
  );
  console.log(`  ensure → hot p50 ${ms(c.total_p50)}; handler's own start p50 ${ms(c.handler_p50)}`);
  const m = await benchMemory(handlers, hot);
  console.log(
    `memory: ${handlers} on-demand node handlers with ${hot} hot: ${formatBytes(m.on_demand_bytes)} ` +
      `vs ${handlers} always-on: ${formatBytes(m.always_on_bytes)} → ${(m.saved_fraction * 100).toFixed(1)} % ` +
      `of handler RSS saved (target ≥ 90 %: ${m.saved_fraction >= 0.9 ? 'PASS' : 'FAIL'})`,
  );
}
