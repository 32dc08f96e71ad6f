/**
 * `npm run bench -- policy-engine`: what the pure rule engine costs per control-loop turn with 100
 * instances × 4 rules (a plain threshold with `for`, an EMA-smoothed one, a Kalman forecast, a hysteresis
 * rule) at 1 s: one `observe` per (instance, metric) per turn over a simulated hour of noisy samples (some
 * breaching, so rules move through their states), then `states()` + `counters()` once per turn as a report
 * would. Prints the time per turn (p50 / p99, ms) and the share of one core it takes at 1 s. The sensors,
 * the actions and the link are the control loop's (the agent's bench), not measured here.
 */
import { performance } from 'node:perf_hooks';
import { PolicyEngine } from '../../agent/control/rules.js';
import type { PolicyRule } from '../../shared/policy-rules.js';
import { pct } from './bench-kit.js';

const INSTANCES = 100;
const TURNS = 3600;
const MiB = 1024 * 1024;

const RULES: PolicyRule[] = [
  {
    name: 'leak',
    when: { metric: 'rss', above: 400 * MiB, for_ms: 120_000, smooth_half_life_ms: 30_000 },
    do: { kind: 'restart' },
    cooldown_ms: 900_000,
    dry_run: false,
  },
  {
    name: 'runaway',
    when: { metric: 'cpu', above: 0.9, for_ms: 300_000, forecast_ms: 60_000 },
    do: { kind: 'limit_cpu', cpu_percent: 50 },
    cooldown_ms: 600_000,
    dry_run: false,
  },
  {
    name: 'fds',
    when: { metric: 'fds', above: 900, for_ms: 10_000, clear_below: 500 },
    do: { kind: 'alert' },
    cooldown_ms: 0,
    dry_run: false,
  },
  {
    name: 'shed',
    when: { metric: 'rss_growth', above: MiB, for_ms: 0 },
    do: { kind: 'signal', signal: 'SIGUSR2' },
    cooldown_ms: 60_000,
    dry_run: true,
  },
];

export async function runPolicyEngineBench(): Promise<void> {
  const engine = new PolicyEngine({ budget: { max: 10, windowMs: 60_000 } });
  const keys = Array.from({ length: INSTANCES }, (_, i) => (i === 0 ? 'web' : `web#${i}`));
  for (const k of keys) engine.setRules(k, RULES, 'handler', { handler: 'web', instance: k });
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const t0 = Date.UTC(2026, 0, 1);
  const turns: number[] = [];
  let actions = 0;
  let transitions = 0;
  for (let turn = 0; turn < TURNS; turn++) {
    const t = t0 + turn * 1000;
    const start = performance.now();
    for (const [i, k] of keys.entries()) {
      const phase = (turn + i * 37) % 1200; // each instance breaches for a while every 20 min
      const hot = phase > 900;
      for (const [metric, value] of [
        ['rss', (hot ? 450 : 200) * MiB + rnd() * 20 * MiB],
        ['cpu', (hot ? 0.95 : 0.4) + rnd() * 0.05],
        ['fds', (hot ? 950 : 100) + rnd() * 20],
        ['rss_growth', (hot ? 2 : 0.1) * MiB * rnd()],
      ] as const) {
        const r = engine.observe(k, metric, { t, value });
        actions += r.actions.length;
        transitions += r.transitions.length;
        for (const d of r.actions) engine.onActed(d, t);
      }
    }
    engine.states();
    engine.counters();
    turns.push(performance.now() - start);
  }
  const sorted = [...turns].sort((a, b) => a - b);
  const mean = turns.reduce((a, b) => a + b, 0) / turns.length;
  console.log(
    `${INSTANCES} instances × ${RULES.length} rules, ${TURNS} turns at 1 s: ` +
      `per turn p50 ${pct(sorted, 50).toFixed(3)} ms, p99 ${pct(sorted, 99).toFixed(3)} ms, ` +
      `mean ${mean.toFixed(3)} ms = ${(mean / 10).toFixed(3)} % of one core at 1 s ` +
      `(${actions} decisions, ${transitions} transitions, counters ${JSON.stringify(engine.counters())})`,
  );
  await Promise.resolve();
}
