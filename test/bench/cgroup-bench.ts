/**
 * Process tracking benchmarks: `cgroup-stop` — the stop of a handler with a 200-process tree (each child in
 * its own session, so only the cgroup holds them) until its cgroup is empty, median of N, on v1 and v2;
 * `spawn-tracking` — spawn → running p50 with the cgroup placement and without it (process groups only),
 * side by side. Env: BENCH_RUNS (7), BENCH_STARTS (200), BENCH_DIR (os.tmpdir()).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupPids, cgroupPopulated, detectTracking } from '../../agent/process/cgroup-tracking.js';
import { favourSmallFootprint } from '../../agent/footprint.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import { isAlive } from '../../shared/proc.js';
import { parseHandler } from '../../shared/spec.js';
import { benchSpawnLatency } from './supervisor-bench.js';
import { median, until } from './bench-kit.js';

const ROOTS = [
  { name: 'v1 (pids hierarchy)', root: '/sys/fs/cgroup', version: 1 },
  { name: 'v2 (cgroup.kill)', root: '/sys/fs/cgroup/unified', version: 2 },
];
const TREE = 200;

/** One handler with a 200-process tree, stopped `runs` times; ms from stop() to an empty cgroup. */
async function benchCgroupStop(root: string, runs: number): Promise<number[]> {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'gov-bench-'));
  const sup = await Supervisor.create({ dataDir: dir, cgroupRoot: root, pollIntervalMs: 50 });
  const spec = parseHandler(
    {
      name: 'tree',
      command: [
        '/bin/sh',
        '-c',
        `i=0; while [ $i -lt ${TREE} ]; do setsid sleep 3600 & i=$((i+1)); done; wait`,
      ],
      start_seconds: 0,
      stop_timeout: '5s',
    },
    'tree',
    'bench',
  );
  const samples: number[] = [];
  try {
    await sup.applySpecs([spec]);
    await sup.stop('tree');
    for (let i = 0; i < runs; i++) {
      const st = await sup.start('tree');
      const group = (): string =>
        JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')).instances.tree.handle.cgroup;
      const cg = group();
      await until(
        () => cgroupPids(cg).filter(isAlive).length >= TREE + 1,
        30_000,
        `${TREE} children of ${st.pid}`,
      );
      const t0 = performance.now();
      let emptyAt = 0;
      const watch = setInterval(() => {
        if (!emptyAt && !cgroupPopulated(cg) && cgroupPids(cg).length === 0) emptyAt = performance.now();
      }, 2);
      await sup.stop('tree');
      clearInterval(watch);
      if (process.env.BENCH_DEBUG)
        console.log(
          `  empty after ${(emptyAt - t0).toFixed(1)} ms, stop resolved ${(performance.now() - t0).toFixed(1)} ms`,
        );
      const left = cgroupPids(cg).filter(isAlive).length;
      samples.push(performance.now() - t0);
      if (left > 0) throw new Error(`bench: ${left} processes left in ${cg} after the stop`);
    }
    return samples;
  } finally {
    await sup.stop('tree').catch(() => undefined);
    await sup.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCgroupStopBench(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    for (const { name, root, version } of ROOTS) {
      if (detectTracking(root, readFileSync('/proc/self/cgroup', 'utf8'))?.version !== version) {
        console.log(`cgroup-stop ${name}: skipped, no such hierarchy under ${root}`);
        continue;
      }
      const s = await benchCgroupStop(root, runs);
      console.log(
        `cgroup-stop ${name}: stop of a ${TREE}-process tree until its cgroup is empty: median ${median(s).toFixed(1)} ms, ` +
          `max ${Math.max(...s).toFixed(1)} ms over ${runs} runs  [target ≤ 100 ms]`,
      );
    }
  } finally {
    clearInterval(keepAlive);
  }
}

export async function runSpawnTrackingBench(): Promise<void> {
  // The supervisor runs in this process: with the agent's V8 settings, as in `gov agent` (for the rest of
  // this bench run too; they cannot be undone).
  favourSmallFootprint();
  const starts = Number(process.env.BENCH_STARTS ?? 200);
  const keepAlive = setInterval(() => {}, 1 << 30);
  const none = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-nocg-'));
  try {
    const rows: Array<[string, string | undefined]> = [
      ['without tracking (process groups)', path.join(none, 'missing')],
      ...ROOTS.filter((r) => existsSync(r.root)).map((r): [string, string] => [`cgroup ${r.name}`, r.root]),
    ];
    for (const [label, root] of rows) {
      const lat = await benchSpawnLatency(starts, root);
      console.log(
        `spawn-tracking ${label} [tracking ${lat.tracking}]: spawn → running p50 ${lat.p50.toFixed(2)} ms, ` +
          `p99 ${lat.p99.toFixed(2)} ms (${starts} starts)  [target p50 ≤ 5 ms]`,
      );
    }
  } finally {
    clearInterval(keepAlive);
    rmSync(none, { recursive: true, force: true });
  }
}
