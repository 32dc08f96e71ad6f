/**
 * Control-plane benchmark (issue 3): master → agent → master command round trip over mTLS on loopback,
 * one at a time (latency) and with 100 in flight (throughput). The master runs in this process; the agent
 * is the load tool (`sim-agent.ts`, one simulated agent) in its own process, as a real agent would be.
 * Targets: p50 ≤ 1 ms, p99 ≤ 5 ms; ≥ 5,000 commands/s with 100 in flight.
 * The same figures are also printed for commands as executions (`fleet.command`: execution log, durable
 * before the caller gets the record) — for information, the target is the transport round trip.
 * Env: BENCH_RT_COMMANDS (3000 sequential per round), BENCH_TP_COMMANDS (20000 per round), BENCH_ROUNDS (3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DistributedGovernor } from '../../master/governor.js';
import { compileMasterOptions } from '../../master/options.js';
import { silentLogger } from '../../shared/logger.js';
import { caPaths, masterPaths } from '../../shared/pki.js';
import { median, pct } from './bench-kit.js';
import { simAgentIds, simAgentPki, spawnSimAgents } from './sim-agent.js';

export interface BenchMaster {
  governor: DistributedGovernor;
  address: string;
  stop(): Promise<void>;
}

/** A master on `127.0.0.1:0` with the PKI in `pkiDir` and a fresh data dir. */
export async function startBenchMaster(pkiDir: string): Promise<BenchMaster> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-master-'));
  const options = compileMasterOptions(
    {
      listen: '127.0.0.1:0',
      data_dir: dataDir,
      ca: caPaths(pkiDir).cert,
      cert: masterPaths(pkiDir).cert,
      key: masterPaths(pkiDir).key,
    },
    dataDir,
  );
  const governor = await DistributedGovernor.create(options, silentLogger);
  const port = await governor.listen();
  return {
    governor,
    address: `127.0.0.1:${port}`,
    stop: async () => {
      await governor.shutdown(2000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until true; throws after `timeoutMs`. */
export async function until(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `load 1.23 0.98 0.75 on 2 cpus`: the machine is shared, so figures come with its load. */
export function loadLine(): string {
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return `load average ${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)} on ${os.cpus().length} cpus`;
}

export const ms = (x: number): string => x.toFixed(3);
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** Runs `one(i)` `count` times sequentially; latencies in ms. */
async function sequential(count: number, one: (i: number) => Promise<unknown>): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await one(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: pct(samples, 50), p99: pct(samples, 99), max: samples.at(-1) ?? NaN };
}

/** Runs `one(i)` `total` times with `inFlight` outstanding; commands per second. */
async function throughput(
  total: number,
  inFlight: number,
  one: (i: number) => Promise<unknown>,
): Promise<number> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) await one(started++);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((performance.now() - t0) / 1000);
}

export async function runControlPlaneBench(): Promise<void> {
  const rtCount = Number(process.env.BENCH_RT_COMMANDS ?? 3000);
  const tpCount = Number(process.env.BENCH_TP_COMMANDS ?? 20_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const inFlight = 100;
  const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-pki-'));
  const [agentId = 'bench-0'] = simAgentIds(1, 'bench-');
  await simAgentPki(pkiDir, [agentId]);
  const master = await startBenchMaster(pkiDir);
  const { fleet } = master.governor;
  const sim = await spawnSimAgents({ master: master.address, pkiDir, count: 1, prefix: 'bench-' });
  // Keep the bench process alive: the master's timers are unref'd by design.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await until(() => fleet.executions.lifetime >= 1, 10_000, 'the initial APPLY');
    const session = fleet.hub.get(agentId);
    if (!session) throw new Error(`bench: agent ${agentId} is not connected`);
    let seq = 0;
    // A START of no handler: the simulated agent carries nothing out and answers with its statuses.
    const raw = (): Promise<unknown> => session.command({ id: `rt-${seq++}`, kind: 'START' }, 5000);
    const exec = (): Promise<unknown> =>
      fleet.command({ kind: 'START', handler: '', agent: agentId, issuedBy: 'bench' });
    // Warm-up: JIT, TLS session, HTTP/2 windows.
    await throughput(2000, inFlight, raw);
    await sequential(500, raw);

    console.log(`control plane: ${loadLine()}`);
    const lats: Latency[] = [];
    const rates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const lat = await sequential(rtCount, raw);
      const rate = await throughput(tpCount, inFlight, raw);
      lats.push(lat);
      rates.push(rate);
      console.log(
        `control plane:   round ${r + 1}: round trip p50 ${ms(lat.p50)} ms, p99 ${ms(lat.p99)} ms, ` +
          `max ${ms(lat.max)} ms; ${n0(rate)} commands/s with ${inFlight} in flight`,
      );
    }
    const p50 = median(lats.map((l) => l.p50));
    const p99 = median(lats.map((l) => l.p99));
    const rate = median(rates);
    console.log(
      `control plane: round trip master → agent → master (mTLS, loopback, simulated START, ${rtCount} sequential, ` +
        `median of ${rounds} rounds): p50 ${ms(p50)} ms, p99 ${ms(p99)} ms  ` +
        `[target p50 ≤ 1 ms, p99 ≤ 5 ms]: ${verdict(p50 <= 1 && p99 <= 5)}`,
    );
    console.log(
      `control plane: throughput with ${inFlight} in flight (${tpCount} commands, median of ${rounds} rounds): ` +
        `${n0(rate)} commands/s  [target ≥ 5,000]: ${verdict(rate >= 5000)}`,
    );

    const execLat = await sequential(Math.min(rtCount, 300), exec);
    const execRate = await throughput(Math.min(tpCount, 10_000), inFlight, exec);
    console.log(
      `control plane: as executions (execution log, durable before returning): p50 ${ms(execLat.p50)} ms, ` +
        `p99 ${ms(execLat.p99)} ms; ${n0(execRate)} commands/s with ${inFlight} in flight  [for information]`,
    );
    console.log(`control plane: ${loadLine()}`);
  } finally {
    clearInterval(keepAlive);
    await sim.stop();
    await master.stop();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runControlPlaneBench();
}
