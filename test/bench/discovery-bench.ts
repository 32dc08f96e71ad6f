/**
 * Discovery benchmark (issue 4): one scan over ~500 processes must take ≤ 20 ms. Spawns BENCH_PROCS (500)
 * `sleep` processes, then times cold scans (a fresh scanner: every command line read) and warm scans (the
 * steady state: one stat read per PID, command lines only for new PIDs). Every sleeper is killed by PID.
 * Env: BENCH_PROCS (500), BENCH_SCANS (50).
 */
import { spawn } from 'node:child_process';
import { DiscoveryScanner, parseDiscoverRules } from '../../agent/observed/discovery.js';
import { isAlive, listPids } from '../../shared/proc.js';
import { pct } from './bench-kit.js';

function summary(ms: number[]): { p50: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: Number(pct(s, 50).toFixed(2)), max: Number((s.at(-1) ?? NaN).toFixed(2)) };
}

export interface DiscoveryBenchResult {
  processes: number;
  cold: { p50: number; max: number };
  warm: { p50: number; max: number };
  matched: number;
}

export async function benchDiscovery(procs: number, scans: number): Promise<DiscoveryBenchResult> {
  const token = `gov-discovery-bench-${process.pid}`;
  const pids: number[] = [];
  try {
    for (let i = 0; i < procs; i++) {
      // `sleep` ignores the extra operand's meaning only if it is a number: use a unique duration instead.
      const child = spawn('sleep', [`${3600 + (process.pid % 1000)}.${i}`], { stdio: 'ignore' });
      if (child.pid) pids.push(child.pid);
      child.unref();
    }
    const rules = parseDiscoverRules([
      { name: 'bench', pattern: `^sleep ${3600 + (process.pid % 1000)}\\.` },
      { name: 'never', exe: `no-such-exe-${token}` },
    ]);
    const scan = (scanner: DiscoveryScanner): { ms: number; found: number } => {
      const t0 = performance.now();
      const found = scanner.scan((st) => st.pid === process.pid).length;
      return { ms: performance.now() - t0, found };
    };
    const cold: number[] = [];
    let matched = 0;
    for (let i = 0; i < Math.max(5, Math.floor(scans / 5)); i++) {
      const r = scan(new DiscoveryScanner(rules));
      cold.push(r.ms);
      matched = r.found;
    }
    const warmScanner = new DiscoveryScanner(rules);
    scan(warmScanner);
    const warm: number[] = [];
    for (let i = 0; i < scans; i++) warm.push(scan(warmScanner).ms);
    return { processes: listPids().length, cold: summary(cold), warm: summary(warm), matched };
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 10_000;
    while (pids.some((p) => isAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runDiscoveryBench(): Promise<void> {
  const procs = Number(process.env.BENCH_PROCS ?? 500);
  const scans = Number(process.env.BENCH_SCANS ?? 50);
  const r = await benchDiscovery(procs, scans);
  console.log(
    `discovery scan over ${r.processes} processes (${r.matched} matching): ` +
      `cold p50 ${r.cold.p50} ms max ${r.cold.max} ms; warm p50 ${r.warm.p50} ms max ${r.warm.max} ms ` +
      `(target ≤ 20 ms per scan)`,
  );
}
