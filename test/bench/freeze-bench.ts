/**
 * Frozen-tier benchmarks (`npm run bench -- freeze`, issue 12):
 * - wake-up: `ensure` of a frozen Node HTTP handler → it answers an HTTP request on its port (a thaw),
 *   vs today's cold start (`ensure` of a stopped one → it answers), in the same run, on the v1 freezer
 *   (/sys/fs/cgroup) and the v2 one (/sys/fs/cgroup/unified). Target: thaw p50 ≤ 5 ms.
 * - memory: N Node HTTP handlers hot, then frozen, then cold (stopped): RSS summed over their process
 *   trees (the agent's sampler) and the host's MemAvailable drop from before any was started. Other
 *   processes on the host move MemAvailable too: read it as an estimate.
 * Env: BENCH_WAKES (30), BENCH_HANDLERS (50), BENCH_CGROUP_ROOTS (both roots, comma-separated),
 * BENCH_DIR (os.tmpdir()).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { formatBytes } from '../../shared/durations.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { freePort, loadNote, pct, until } from './bench-kit.js';
import { fixture } from '../helpers/common.js';

const FIXTURE = fixture('http-server.mjs');
const ROOTS = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'];

/** One HTTP GET on a fresh connection; resolves with the status once the answer arrived (10 s at most). */
function answer(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`bench: no answer on port ${port} within 10 s`)));
    req.on('error', reject);
  });
}

function handler(name: string, port: number, extra: Record<string, unknown>): HandlerSpec {
  return parseHandler(
    {
      name,
      mode: 'on-demand',
      command: [process.execPath, FIXTURE],
      start_seconds: 0,
      stop_timeout: '2s',
      env: { PORT: String(port) },
      // Hot once it listens (as in the on-demand bench): the cold start is the real one.
      health: { tcp: port, interval: '2s', timeout: '1s' },
      ...extra,
    },
    name,
    'bench',
  );
}

const now = (): number => performance.now();

export interface WakeFigures {
  thaw_p50: number;
  thaw_p99: number;
  /** Of the thaw: until `ensure` resolved (the rest is the request's round trip). */
  thaw_ensure_p50: number;
  /** A request to the same handler once hot (the round trip alone, for comparison). */
  hot_answer_p50: number;
  cold_p50: number;
  cold_p99: number;
}

/** ensure → answering on its port: of a frozen handler (a thaw) and of a stopped one (a cold start). */
export async function benchWake(root: string, wakes: number): Promise<WakeFigures> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-freeze-'));
  const sup = await Supervisor.create({ dataDir: dir, cgroupRoot: root });
  try {
    const [pf, pc] = [await freePort(), await freePort()];
    await sup.applySpecs([
      // Long enough that it is not frozen again between the thaw and the request on a busy host.
      handler('frozen', pf, { idle_action: 'freeze', idle_timeout: '1s' }),
      handler('cold', pc, { idle_timeout: '1h' }),
    ]);
    const temp = (n: string): string => sup.status(n)[0]?.temperature ?? '';
    const thaws: number[] = [];
    const thawEnsures: number[] = [];
    const hotAnswers: number[] = [];
    const colds: number[] = [];
    await sup.ensure('frozen');
    for (let i = 0; i < wakes; i++) {
      await until(() => temp('frozen') === 'frozen', 10_000, 'the handler to freeze');
      const t0 = now();
      const [r] = await sup.ensure('frozen');
      thawEnsures.push(now() - t0);
      if (r?.status.temperature !== 'hot') throw new Error('bench: not hot after the thaw');
      if ((await answer(pf)) !== 200) throw new Error('bench: no answer after the thaw');
      thaws.push(now() - t0);
      const th = now();
      await answer(pf);
      hotAnswers.push(now() - th);

      const t1 = now();
      const [c] = await sup.ensure('cold');
      if (c?.status.temperature !== 'hot') throw new Error('bench: not hot after the cold start');
      if ((await answer(pc)) !== 200) throw new Error('bench: no answer after the cold start');
      colds.push(now() - t1);
      await sup.stop('cold');
    }
    for (const l of [thaws, thawEnsures, hotAnswers, colds]) l.sort((a, b) => a - b);
    return {
      thaw_p50: pct(thaws, 50),
      thaw_p99: pct(thaws, 99),
      thaw_ensure_p50: pct(thawEnsures, 50),
      hot_answer_p50: pct(hotAnswers, 50),
      cold_p50: pct(colds, 50),
      cold_p99: pct(colds, 99),
    };
  } finally {
    await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TierMemory {
  rss_bytes: number;
  /** MemAvailable before any handler minus now. */
  mem_available_drop_bytes: number;
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function handlerRss(sup: Supervisor): Promise<number> {
  return (await sup.metrics()).reduce((sum, m) => sum + m.memory_bytes, 0);
}

/** `handlers` Node HTTP handlers hot, then frozen, then cold: their RSS and the host's MemAvailable drop. */
export async function benchTierMemory(
  root: string,
  handlers: number,
): Promise<Record<'hot' | 'frozen' | 'cold', TierMemory>> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-freeze-mem-'));
  const sup = await Supervisor.create({ dataDir: dir, cgroupRoot: root });
  const names = Array.from({ length: handlers }, (_, i) => `h${i}`);
  try {
    const ports = await Promise.all(names.map(() => freePort()));
    const idle = 60_000; // every handler is woken (and measured) before the first one freezes
    await sup.applySpecs(
      names.map((n, i) => handler(n, ports[i]!, { idle_action: 'freeze', idle_timeout: `${idle}ms` })),
    );
    const base = memAvailable();
    const measure = async (): Promise<TierMemory> => ({
      rss_bytes: await handlerRss(sup),
      mem_available_drop_bytes: base - memAvailable(),
    });
    const temps = (): string[] => names.map((n) => sup.status(n)[0]?.temperature ?? '');
    // Woken a few at a time; measured hot before the first could freeze.
    for (let i = 0; i < names.length; i += 5)
      await Promise.all(names.slice(i, i + 5).map((n) => sup.ensure(n)));
    for (const n of names) sup.touch(n);
    if (!temps().every((t) => t === 'hot')) throw new Error('bench: not all hot (raise the idle timeout)');
    const hot = await measure();
    await until(() => temps().every((t) => t === 'frozen'), idle + 60_000, 'every handler frozen');
    const frozen = await measure();
    await Promise.all(names.map((n) => sup.stop(n)));
    const cold = await measure();
    return { hot, frozen, cold };
  } finally {
    await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runFreezeBench(): Promise<void> {
  const wakes = Number(process.env.BENCH_WAKES ?? 30);
  const handlers = Number(process.env.BENCH_HANDLERS ?? 50);
  const roots = (process.env.BENCH_CGROUP_ROOTS ?? ROOTS.join(',')).split(',').filter(existsSync);
  // The supervisor's timers are unref'd: keep the process up while the bench waits on them.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  try {
    for (const root of roots) {
      const w = await benchWake(root, wakes);
      console.log(
        `wake-up (${root}), ensure → answering on its port, ${wakes} each: thaw p50 ${ms(w.thaw_p50)} ` +
          `p99 ${ms(w.thaw_p99)} (target p50 ≤ 5 ms: ${w.thaw_p50 <= 5 ? 'PASS' : 'FAIL'}; ensure resolved ` +
          `p50 ${ms(w.thaw_ensure_p50)}; a request once hot p50 ${ms(w.hot_answer_p50)}); ` +
          `cold start p50 ${ms(w.cold_p50)} p99 ${ms(w.cold_p99)} (${loadNote()})`,
      );
    }
    const root = roots[0];
    if (!root) return;
    const m = await benchTierMemory(root, handlers);
    for (const tier of ['hot', 'frozen', 'cold'] as const) {
      console.log(
        `memory (${root}), ${handlers} ${tier} node http handlers: RSS ${formatBytes(m[tier].rss_bytes)}, ` +
          `host MemAvailable drop ${formatBytes(m[tier].mem_available_drop_bytes)}`,
      );
    }
  } finally {
    clearInterval(keepAlive);
  }
}
