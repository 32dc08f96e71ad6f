/**
 * `npm run bench -- top-view`: what one `gov top` costs on a fleet of 500 agents × 10 instances: applying
 * the snapshot, one round of metrics samples (one per agent), and one frame (sort + render to 200×60), each
 * timed over repeated runs (p50 / p99 in ms). gov top draws at most once per event burst and once a second.
 */
import { performance } from 'node:perf_hooks';
import type { InstanceInfo, WatchEvent } from '../../master/cli/admin-client.js';
import { TopView } from '../../master/cli/top-view.js';
import { agent, instance, METRICS, watchEvent } from '../cli/fake-admin.js';
import { pct } from './bench-kit.js';

const AGENTS = 500;
const PER_AGENT = 10;
const RUNS = 50;

function snapshotEvent(): WatchEvent {
  const instances: InstanceInfo[] = [];
  for (let a = 0; a < AGENTS; a++)
    for (let i = 0; i < PER_AGENT; i++) {
      const base = instance({ agent: `edge-${a}`, pid: 1000 + i });
      const key = i === 0 ? 'web' : `web#${i}`;
      instances.push({ ...base, status: { ...base.status!, instance: key, index: i } });
    }
  return watchEvent({
    kind: 'snapshot',
    body: 'snapshot',
    snapshot: {
      agents: Array.from({ length: AGENTS }, (_, a) => agent({ id: `edge-${a}` })),
      instances,
      rollouts: [],
      more: false,
    },
  });
}

function metricsRound(seed: number): WatchEvent[] {
  const base = METRICS.instances[0]!.metrics!;
  return Array.from({ length: AGENTS }, (_, a) =>
    watchEvent({
      kind: 'metrics',
      agent: `edge-${a}`,
      body: 'metrics',
      metrics: {
        host: METRICS.agents[0]!.host,
        instances: Array.from({ length: PER_AGENT }, (_, i) => ({
          ...base,
          instance: i === 0 ? 'web' : `web#${i}`,
          index: i,
          cpu_percent: ((a * 7 + i * 13 + seed) % 1000) / 10,
          memory_bytes: (a * 31 + i * 17 + seed) * 4096,
        })),
      },
    }),
  );
}

function timed(fn: () => void): number[] {
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

const fmt = (label: string, ms: number[]) =>
  console.log(`${label.padEnd(44)} p50 ${pct(ms, 50).toFixed(2)} ms  p99 ${pct(ms, 99).toFixed(2)} ms`);

export async function runTopViewBench(): Promise<void> {
  const snap = snapshotEvent();
  const rounds = Array.from({ length: RUNS }, (_, r) => metricsRound(r));
  const view = new TopView();
  console.log(`fleet: ${AGENTS} agents × ${PER_AGENT} instances, ${RUNS} runs each`);
  fmt(
    'apply the snapshot',
    timed(() => view.apply(snap)),
  );
  let r = 0;
  fmt(
    'apply one metrics round (500 samples)',
    timed(() => rounds[r++ % RUNS]!.forEach((e) => view.apply(e))),
  );
  for (const sort of ['cpu', 'mem', 'name'] as const)
    fmt(
      `one frame 200×60, sort ${sort}`,
      timed(() => view.render({ width: 200, height: 60, sort, now: Date.now(), master: '127.0.0.1:7070' })),
    );
  await Promise.resolve();
}
