/**
 * Fleet benchmark (issue 3): 500 simulated agents (the load tool, `sim-agent.ts`, in its own process, one
 * mTLS connection and certificate per agent) connected to one master running in this process.
 * Targets: a metrics request to all agents answered in ≤ 1 s; master RSS growth ≤ 150 KiB per agent.
 * RSS is sampled after a forced GC, before the first agent connects and once all are connected and settled.
 * Env: BENCH_AGENTS (500), BENCH_METRICS_REQUESTS (10), BENCH_SETTLE_SECONDS (6), BENCH_DEBUG (print memoryUsage).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median, pct } from './bench-kit.js';
import { loadLine, ms, startBenchMaster, until } from './control-plane-bench.js';
import { simAgentIds, simAgentPki, spawnSimAgents } from './sim-agent.js';

/** `gc()` without `--expose-gc` on the command line (the runner is a plain `node` invocation). */
function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * Runs the benchmark in a fresh node process: RSS growth means little in a process whose allocator already
 * holds memory freed by an earlier benchmark (the runner's other entries).
 */
export async function runFleetBench(): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`fleet benchmark failed (exit code ${code})`);
}

/** The benchmark itself, with the master in this process. */
export async function benchFleetHere(): Promise<void> {
  const count = Number(process.env.BENCH_AGENTS ?? 500);
  const requests = Number(process.env.BENCH_METRICS_REQUESTS ?? 10);
  const settleMs = Number(process.env.BENCH_SETTLE_SECONDS ?? 6) * 1000;
  const gc = forceGc();
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-pki-'));
  const ids = simAgentIds(count);
  const p0 = performance.now();
  await simAgentPki(pkiDir, ids);
  const pkiMs = performance.now() - p0;
  const master = await startBenchMaster(pkiDir);
  const { fleet } = master.governor;
  const keepAlive = setInterval(() => {}, 1 << 30);
  let sim: Awaited<ReturnType<typeof spawnSimAgents>> | null = null;
  try {
    await sleep(500);
    gc();
    const rss0 = process.memoryUsage.rss();
    const heap0 = process.memoryUsage().heapUsed;
    const mem0 = process.memoryUsage();

    sim = await spawnSimAgents({ master: master.address, pkiDir, count });
    // Connected, registered and given their (empty) spec set: one APPLY execution each.
    await until(
      () => fleet.hub.ids().length >= count && fleet.executions.lifetime >= count,
      30_000,
      `${count} agents registered`,
    );
    console.log(
      `fleet: ${count} simulated agents connected in ${(sim.connectMs / 1000).toFixed(1)} s ` +
        `(certificates issued in ${(pkiMs / 1000).toFixed(1)} s); ${loadLine()}`,
    );

    const durations: number[] = [];
    let answered = 0;
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const res = await fleet.metrics();
      durations.push(performance.now() - t0);
      answered = (res.agents ?? []).filter((a) => a.connected && a.host).length;
    }
    const sorted = [...durations].sort((a, b) => a - b);
    const worst = sorted.at(-1) ?? NaN;
    console.log(
      `fleet: metrics request to all ${count} agents (${requests} requests, ${answered} answered): ` +
        `p50 ${ms(median(durations))} ms, p90 ${ms(pct(sorted, 90))} ms, max ${ms(worst)} ms  ` +
        `[target ≤ 1000 ms]: ${worst <= 1000 ? 'PASS' : 'FAIL'}`,
    );

    // Let heartbeats, keepalive pings and a metrics push interval go by, then measure.
    await sleep(settleMs);
    gc();
    const rss1 = process.memoryUsage.rss();
    const heap1 = process.memoryUsage().heapUsed;
    if (process.env.BENCH_DEBUG)
      console.log('fleet: memory', JSON.stringify({ before: mem0, after: process.memoryUsage() }));
    const perAgent = (rss1 - rss0) / count / KiB;
    console.log(
      `fleet: master RSS ${(rss0 / MiB).toFixed(1)} → ${(rss1 / MiB).toFixed(1)} MiB with ${count} agents: ` +
        `${perAgent.toFixed(1)} KiB per agent (heap ${((heap1 - heap0) / count / KiB).toFixed(1)} KiB per agent)  ` +
        `[target ≤ 150 KiB]: ${perAgent <= 150 ? 'PASS' : 'FAIL'}`,
    );
    console.log(`fleet: ${loadLine()}`);
  } finally {
    clearInterval(keepAlive);
    await sim?.stop();
    await master.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchFleetHere();
}
