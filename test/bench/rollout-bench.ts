/**
 * Rollout benchmark (issue 5): a rolling restart of 20 instances on 4 agents (count 5 each), batch 4,
 * `min_healthy_time: 1s`, trivial handler (ticker.mjs), with a real `gov master` and 4 `gov agent`
 * processes. Measured = the rollout's created_at → completed_at; ideal = Σ over batches of
 * (the slowest stop + start in the batch, from the agents' STOPPING/RUNNING events) + min_healthy_time.
 * Target: measured within 10 % of ideal. Env: BENCH_ROLLOUT_MIN_HEALTHY (1s).
 */
import type { Rollout } from '../../master/cli/admin-client.js';
import { Cluster } from '../helpers/cluster.js';
import { cleanupPids, cleanupTempDirs, waitFor } from '../helpers/common.js';
import { downIntervals, webSpec } from '../integration/rollout-helpers.js';

const AGENTS = ['edge-1', 'edge-2', 'edge-3', 'edge-4'];

export async function runRolloutBench(): Promise<void> {
  const minHealthy = process.env.BENCH_ROLLOUT_MIN_HEALTHY ?? '1s';
  // 20 node handlers starting at once keep a 2-core machine busy for about a second: a grace above that, so
  // the figure is the rollout's, not a heartbeat drop's (the bench measures rollout time, not disconnection).
  const c = await Cluster.start({ agents: AGENTS, heartbeatGrace: '5s' });
  try {
    const spec = webSpec(AGENTS, {
      count: 5,
      start_seconds: 0,
      update: { batch_size: 4, min_healthy_time: minHealthy, healthy_deadline: '30s' },
    });
    await c.govJson(['apply', '-f', c.writeHandlers([spec])]);
    await c.waitInstances('web', 20, (i) => i.state === 'running' && !!i.pid);
    const since = Date.now();
    const started = await c.admin().startRollout({ handler: 'web' });
    const r: Rollout = await waitFor(
      async () => {
        const x = await c.admin().getRollout(started.id);
        return x.state === 'running' || x.state === 'pending' ? null : x;
      },
      { timeoutMs: 120_000, intervalMs: 50, what: 'the rollout to finish' },
    );
    if (r.state !== 'succeeded') throw new Error(`rollout ${r.id} ${r.state}: ${r.error}`);
    const measured = Date.parse(r.completed_at) - Date.parse(r.created_at);
    const down = await downIntervals(c, 'web', since);
    const byKey = new Map(down.map((d) => [d.key, d]));
    let ideal = 0;
    let stopStart = 0;
    for (const b of r.batches) {
      const slowest = Math.max(
        ...b.instances.map((k) => (byKey.get(k)?.to ?? 0) - (byKey.get(k)?.from ?? 0)),
      );
      stopStart += slowest;
      ideal += slowest + r.min_healthy_time_ms;
    }
    const overhead = ((measured - ideal) / ideal) * 100;
    console.log(
      `rolling restart: 20 instances on 4 agents, batch 4 (${r.batches.length} batches), min_healthy_time ${r.min_healthy_time_ms} ms`,
    );
    console.log(
      `  stop+start per batch (slowest instance, avg): ${(stopStart / r.batches.length).toFixed(0)} ms`,
    );
    console.log(`  ideal    ${ideal.toFixed(0)} ms  (batches × (stop + start + min_healthy_time))`);
    console.log(`  measured ${measured.toFixed(0)} ms  (rollout created → completed)`);
    console.log(
      `  overhead ${overhead.toFixed(1)} %  (target ≤ 10 %: ${overhead <= 10 ? 'met' : 'NOT met'})`,
    );
  } finally {
    await c.stop();
    await cleanupPids();
    cleanupTempDirs();
  }
}
