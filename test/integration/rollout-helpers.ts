/** Helpers for the rollout integration tests: handler specs, down intervals from agents' events. */
import type { Rollout } from '../../master/cli/admin-client.js';
import type { Cluster } from '../helpers/cluster.js';
import { fixture } from '../helpers/common.js';

/** A trivial always-on handler (`ticker.mjs`) with fast lifecycle settings. */
export function webSpec(agents: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'web',
    agents,
    count: 2,
    command: [process.execPath, fixture('ticker.mjs')],
    start_seconds: 0.2,
    stop_timeout: '2s',
    backoff: { initial: '100ms', max: '200ms' },
    ...extra,
  };
}

/** A handler that exits 3 unless `okFile` exists (a "broken" version until the file is created). */
export function needsFile(okFile: string): string[] {
  return [
    process.execPath,
    '-e',
    `if (!require('fs').existsSync(${JSON.stringify(okFile)})) process.exit(3); setInterval(() => {}, 1000);`,
  ];
}

export interface DownInterval {
  key: string;
  from: number;
  to: number;
}

/**
 * Each instance's down time since `since` (epoch ms), from the lifecycle events its agent reported
 * (STOPPING → the next RUNNING). An instance still down counts until `Infinity`.
 */
export async function downIntervals(c: Cluster, handler: string, since: number): Promise<DownInterval[]> {
  const res = await c.admin().listInstances({ handler });
  const out: DownInterval[] = [];
  for (const i of res.instances) {
    const key = `${i.agent}/${i.status?.instance || handler}`;
    let from: number | null = null;
    for (const e of i.status?.events ?? []) {
      const at = Date.parse(e.at);
      if (at < since) continue;
      if (e.type === 'STOPPING' && from === null) from = at;
      if (e.type === 'RUNNING' && from !== null) {
        out.push({ key, from, to: at });
        from = null;
      }
    }
    if (from !== null) out.push({ key, from, to: Infinity });
  }
  return out;
}

/** The most intervals overlapping at any moment. */
export function maxOverlap(intervals: DownInterval[]): number {
  const points = intervals.flatMap((i) => [
    { at: i.from, d: 1 },
    { at: i.to, d: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const p of points) {
    cur += p.d;
    max = Math.max(max, cur);
  }
  return max;
}

export function stateOf(r: Rollout, key: string): string | undefined {
  return r.instances.find((i) => `${i.agent}/${i.instance}` === key)?.state;
}
