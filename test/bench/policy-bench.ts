/**
 * Resource policy benchmarks (agent/control), printing figures (never asserted):
 *
 * - `policy-cost`: the control loop's CPU on top of an idle agent: BENCH_POLICY_INSTANCES (100) real
 *   instances (`sleep`), 4 rules each (cpu, rss smoothed, rss_growth, restarts_1h; never breached), sampled
 *   every 1 s for BENCH_POLICY_SECONDS (30). The metrics sample itself is what an agent takes anyway (the
 *   metrics push); the loop's cost is the CPU time spent in its handler of each sample (sensors from that
 *   sample, the engine) and in its report (the rows), measured per call, as a share of one core. The report
 *   is asked as the agent asks it: with a metrics push (agent/link/master-link.ts), every
 *   REPORT_EVERY_S (the master's default metrics interval; the agent pushes at most that often, an
 *   unchanged report less: MetricsPushFilter), and on a rule state change (none here). Goal ≤ 0.1 %.
 *   THE figure (first line) reads the CPU clock of the calling thread (CLOCK_THREAD_CPUTIME_ID,
 *   agent/native/thread-cpu.ts) around each call: the loop runs on the main thread alone, so this is the
 *   loop's CPU, every slow call included, and V8's work on that thread during the call (a scavenge it
 *   triggered, a compile) too; what other threads ran meanwhile (the libuv pool, V8's background compiler
 *   and GC helpers, on behalf of anything in the process) is not. Without the addon it falls back to the
 *   process's CPU (process.cpuUsage(), all threads) and says so. Also printed, labelled: the process CPU per
 *   call (all threads: on a loaded machine most of its mean is other threads' work), the same bounded by
 *   each call's wall time, the wall time, the whole process's CPU with and without the loop (noisier: it
 *   includes the sampling), and the warm back-to-back replay of one sample.
 * - `policy-reaction`: breach start → action with `for: 0s`, BENCH_POLICY_BREACHES (10) breaches at random
 *   moments, for a host rule (control interval 1 s, the sensor injected: the host's pressure cannot be
 *   forced) and an instance rule (metrics interval 1 s, injected RSS), the action an `alert` (recorded in
 *   the local audit). Goal ≤ one sampling interval + 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentCommands } from '../../agent/commands.js';
import { ControlLoop } from '../../agent/control/control-loop.js';
import { LocalAudit } from '../../agent/local/local-audit.js';
import { Supervisor } from '../../agent/supervisor/supervisor.js';
import type { InstanceMetrics } from '../../agent/supervisor/supervisor.js';
import { silentLogger } from '../../shared/logger.js';
import { systemClock } from '../../shared/clock.js';
import type { PolicyRule } from '../../shared/policy-rules.js';
import { parseHandler } from '../../shared/spec.js';
import { threadCpu } from '../../agent/native/thread-cpu.js';
import { loadLine, ms } from './control-plane-bench.js';
import { median, pct, until } from './bench-kit.js';
import { InjectedSensors } from '../helpers/injected-sensors.js';

const COST_GOAL_PERCENT = 0.1;
/** The report goes out with each metrics push: the master's default metrics interval (5 s). */
const REPORT_EVERY_S = 5;
const REACTION_SLACK_MS = 50;
const MiB = 1024 * 1024;

function rule(name: string, when: PolicyRule['when']): PolicyRule {
  return { name, when, do: { kind: 'alert' }, cooldown_ms: 0, dry_run: false };
}

const FOUR_RULES: PolicyRule[] = [
  rule('hot', { metric: 'cpu', above: 0.95, for_ms: 60_000 }),
  rule('big', { metric: 'rss', above: 64 * 1024 * MiB, for_ms: 0, smooth_half_life_ms: 30_000 }),
  rule('leak', { metric: 'rss_growth', above: 1024 * MiB, for_ms: 120_000 }),
  rule('flap', { metric: 'restarts_1h', above: 1000, for_ms: 0 }),
];

async function agent(count: number, policies: PolicyRule[]) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gov-bench-policy-'));
  const sup = await Supervisor.create({ dataDir, logger: silentLogger, metricsIntervalMs: 1000 });
  const specs = Array.from({ length: count }, (_, i) => ({
    ...parseHandler({ name: `s-${i}`, command: ['sleep', '100000'] }, `handlers[${i}]`),
    policies,
  }));
  await sup.applySpecs(specs);
  const audit = await LocalAudit.open(dataDir, silentLogger);
  return {
    sup,
    audit,
    commands: new AgentCommands(sup, dataDir),
    async close() {
      await Promise.all(sup.status().map((s) => sup.stop(s.instance).catch(() => undefined)));
      await sup.shutdown();
      await audit.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms of this process over `seconds` while `sample` runs every second. */
async function processCpu(seconds: number, sample: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < seconds; i++) {
    await sample();
    await sleep(1000);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Process CPU ms so far (every thread). */
function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** The loop's clock: this thread's CPU ms so far (the addon), else the process's (and which it is). */
function loopClock(): { now: () => number; what: string } {
  const t = threadCpu();
  if (t.ok) {
    const native = t.native;
    return { now: () => native.threadCpuNs() / 1e6, what: "the main thread's CPU clock" };
  }
  return { now: processCpuMs, what: `process CPU, all threads (${t.reason})` };
}

/** The supervisor's timers never keep Node alive: this one does while a bench runs. */
async function keptAlive(fn: () => Promise<void>): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await fn();
  } finally {
    clearInterval(keepAlive);
  }
}

export function runPolicyCostBench(): Promise<void> {
  return keptAlive(policyCost);
}

async function policyCost(): Promise<void> {
  const count = Number(process.env.BENCH_POLICY_INSTANCES ?? 100);
  const seconds = Number(process.env.BENCH_POLICY_SECONDS ?? 30);
  const a = await agent(count, FOUR_RULES);
  try {
    await until(
      () => a.sup.status().every((s) => s.state === 'running'),
      60_000,
      `${count} instances running`,
    );
    let samples = 0;
    a.sup.on('metrics', () => samples++);
    const idleMs = await processCpu(seconds, () => a.sup.metrics());
    const idleSamples = samples;
    // Real time, but a replay below moves it on by a second per call (the engine ignores a sample that
    // is not later than the last).
    let skew = 0;
    const clock = { now: () => Date.now() + skew, after: systemClock.after };
    const loop = new ControlLoop({
      supervisor: a.sup,
      commands: a.commands,
      audit: a.audit,
      agentRules: [],
      budgetPerMinute: 10,
      controlIntervalMs: 1000,
      metricsIntervalMs: 1000,
      logger: silentLogger,
      dataDir: null,
      clock,
    });
    // The loop's own work per sample, measured around its handler (bench only: the private listener).
    const inner = loop as unknown as { onMetrics: (m: InstanceMetrics[]) => void };
    const handler = inner.onMetrics;
    const cpu = loopClock();
    let last: InstanceMetrics[] = [];
    /** Per call: the loop's CPU (the loop clock), the process's CPU (all threads), the wall time. */
    const perCall: number[] = [];
    const processPerCall: number[] = [];
    const wall: number[] = [];
    inner.onMetrics = (m) => {
      last = m;
      const p0 = processCpuMs();
      const c0 = cpu.now();
      const w0 = performance.now();
      handler(m);
      const w = performance.now() - w0;
      const c = cpu.now() - c0;
      const p = processCpuMs() - p0;
      perCall.push(c);
      processPerCall.push(p);
      wall.push(w);
    };
    loop.start();
    let reports = 0;
    let reportMs = 0;
    let reportProcessMs = 0;
    let tick = 0;
    const withMs = await processCpu(seconds, async () => {
      await a.sup.metrics();
      if (tick++ % REPORT_EVERY_S !== 0) return;
      // What a metrics push adds: the report.
      const p0 = processCpuMs();
      const c0 = cpu.now();
      loop.report();
      reportMs += cpu.now() - c0;
      reportProcessMs += processCpuMs() - p0;
      reports++;
    });
    // The same work back to back (warm, on the loop clock): the loop's computation per sample with its
    // caches and the JIT warm, without the machine's noise. Best of 5 batches of 50.
    const withSamples = samples - idleSamples;
    const batches: number[] = [];
    for (let b = 0; b < 5; b++) {
      const c0 = cpu.now();
      for (let i = 0; i < 50; i++) {
        skew += 1000;
        handler(last);
      }
      batches.push((cpu.now() - c0) / 50);
    }
    const warm = Math.min(...batches);
    await loop.stop();
    const rows = loop.engine.states().length;
    // The first calls warm up the JIT (and the first sets the subjects up): left out of every figure.
    const steady = perCall.slice(3);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
    const p99 = (xs: number[]) =>
      pct(
        [...xs].sort((x, y) => x - y),
        99,
      );
    const sampleMs = mean(steady); // one call a second
    const share = (sampleMs + reportMs / seconds) / 10; // ms per 1000 ms → percent of a core
    console.log(
      `policy-cost: ${count} instances × ${FOUR_RULES.length} rules (${rows} rule rows), 1 s sampling, ${seconds} s, ` +
        `measured on ${cpu.what}: loop CPU per sample p50 ${ms(median(steady))} ms, p99 ${ms(p99(steady))} ms, ` +
        `mean ${ms(sampleMs)} ms; report ${ms(reportMs / Math.max(1, reports))} ms every ${REPORT_EVERY_S} s ` +
        `→ ${share.toFixed(3)} % of a core  [goal ≤ ${COST_GOAL_PERCENT} %]: ${share <= COST_GOAL_PERCENT ? 'PASS' : 'FAIL'}`,
    );
    const processSteady = processPerCall.slice(3);
    const processMs = mean(processSteady);
    console.log(
      `policy-cost: (not the figure) the same on process CPU (process.cpuUsage(), all threads: also what the ` +
        `libuv pool and V8's helper threads ran meanwhile): p50 ${ms(median(processSteady))} ms, p99 ` +
        `${ms(p99(processSteady))} ms, mean ${ms(processMs)} ms; report ${ms(reportProcessMs / Math.max(1, reports))} ms ` +
        `→ ${((processMs + reportProcessMs / seconds) / 10).toFixed(3)} % of a core`,
    );
    console.log(
      `policy-cost: whole process CPU (sampling included): ${(idleMs / seconds / 10).toFixed(3)} % without the ` +
        `loop, ${(withMs / seconds / 10).toFixed(3)} % with it (noisy: other helpers share the machine); metrics ` +
        `samples ${idleSamples} without, ${withSamples} with`,
    );
    // Process CPU beyond a call's wall time was other threads' (the handler runs on one).
    const boundedMs = mean(processSteady.map((c, i) => Math.min(c, wall[i + 3]!)));
    console.log(
      `policy-cost: (not the figure) process CPU per call bounded by its wall time: mean ${ms(boundedMs)} ms per sample → ` +
        `${((boundedMs + reportProcessMs / seconds) / 10).toFixed(3)} % of a core`,
    );
    console.log(
      `policy-cost: wall time per sample (preemption included) p50 ${ms(median(wall.slice(3)))} ms; ` +
        `first sample (subjects set up) ${ms(wall[0] ?? NaN)} ms`,
    );
    console.log(
      `policy-cost: (not the figure) warm replay of the same sample, back to back on ${cpu.what} (caches and ` +
        `JIT warm, which a sample a second never finds): ${ms(warm)} ms per sample → ${(warm / 10).toFixed(3)} % ` +
        `of a core at 1 s`,
    );
    console.log(`policy-cost: ${loadLine()}`);
  } finally {
    await a.close();
  }
}

async function reaction(label: string, intervalMs: number, breaches: number, host: boolean): Promise<void> {
  const instanceRule = rule('react', { metric: 'rss', above: 100 * MiB, for_ms: 0 });
  const a = await agent(1, host ? [] : [instanceRule]);
  const source = new InjectedSensors();
  const key = host ? 'host.memory.pressure.some' : 's-0 rss';
  const [low, high] = host ? [0, 50] : [10 * MiB, 200 * MiB];
  source.values.set(key, low);
  const loop = new ControlLoop({
    supervisor: a.sup,
    commands: a.commands,
    audit: a.audit,
    agentRules: host ? [rule('react', { metric: 'host.memory.pressure.some', above: 10, for_ms: 0 })] : [],
    budgetPerMinute: 10_000,
    controlIntervalMs: intervalMs,
    metricsIntervalMs: intervalMs,
    logger: silentLogger,
    dataDir: null,
    source,
  });
  let acted = 0;
  let actedAt = 0;
  a.audit.on('recorded', () => {
    acted++;
    actedAt = performance.now();
  });
  const times: number[] = [];
  try {
    await until(() => a.sup.status().every((s) => s.state === 'running'), 30_000, 'running');
    loop.start();
    await until(() => loop.report().rules?.[0]?.state === 'armed', 10_000, 'the rule armed');
    for (let i = 0; i < breaches; i++) {
      await sleep(Math.random() * intervalMs); // a breach starts at any moment of the interval
      const before = acted;
      const t0 = performance.now();
      source.values.set(key, high);
      await until(() => acted > before, 10_000, 'the action');
      times.push(actedAt - t0);
      source.values.set(key, low);
      await until(() => loop.report().rules?.[0]?.state !== 'firing', 10_000, 'the rule cleared');
    }
  } finally {
    await loop.stop();
    await a.close();
  }
  const sorted = [...times].sort((x, y) => x - y);
  const worst = sorted[sorted.length - 1] ?? NaN;
  const goal = intervalMs + REACTION_SLACK_MS;
  console.log(
    `policy-reaction: ${label} rule, for 0s, ${intervalMs} ms sampling, ${breaches} breaches: breach → action ` +
      `p50 ${ms(median(times))} ms, max ${ms(worst)} ms  [goal ≤ ${goal} ms]: ${worst <= goal ? 'PASS' : 'FAIL'}`,
  );
}

export function runPolicyReactionBench(): Promise<void> {
  return keptAlive(async () => {
    const breaches = Number(process.env.BENCH_POLICY_BREACHES ?? 10);
    await reaction('host (injected pressure)', 1000, breaches, true);
    await reaction('instance (injected rss)', 1000, breaches, false);
    console.log(`policy-reaction: ${loadLine()}`);
  });
}
