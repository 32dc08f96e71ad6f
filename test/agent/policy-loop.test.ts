/**
 * The agent's control loop end to end on real handlers (a supervisor, its local audit, the rule engine):
 * a leaking handler is restarted by a `leak` rule exactly once per cooldown, each restart an execution of
 * kind `policy` showing the value; memory pressure (an injected host sensor: the host's own cannot be forced)
 * cools the least recently used on-demand handler first; `limit_cpu` changes the instance's cgroup and is
 * reverted when the rule clears; dry-run acts on nothing but records; observed processes only get alert.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ControlLoop } from '../../agent/control/control-loop.js';
import type { Decision } from '../../agent/control/rules.js';
import { AgentCommands } from '../../agent/commands.js';
import { LocalAudit, type LocalEvent } from '../../agent/local/local-audit.js';
import { Cgroups, cgroupScope, DEFAULT_CGROUP_ROOT } from '../../agent/process/cgroups.js';
import type { Supervisor } from '../../agent/supervisor/supervisor.js';
import { Logger } from '../../shared/logger.js';
import type { PolicyRule } from '../../shared/policy-rules.js';
import { readProcStat } from '../../shared/proc.js';
import { fixture, waitFor } from '../helpers/common.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { spec, supervisors } from './health-helpers.js';
import { outsideWorkload, signalsRecorded } from './observed-helpers.js';
import { InjectedSensors } from '../helpers/injected-sensors.js';
import type { SensorSource } from '../../agent/control/sensors.js';

const MiB = 1024 * 1024;
/** A handler that does nothing (no CPU, no output): never busy by itself. */
const IDLE = [process.execPath, '-e', 'setInterval(() => {}, 1 << 30)'];
const quiet = new Logger('agent', { level: 'error', sink: { write: () => {} } });

/** The cpu limit file of the group `pid` is in now (v1: the cpu hierarchy; v2: the unified one): `group value`. */
function cpuQuota(layout: NonNullable<Cgroups['detected']>, pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const line = lines.find((l) =>
    layout.version === 2 ? l.startsWith('0::') : l.split(':')[1]?.split(',').includes('cpu'),
  );
  const rel = line?.split(':')[2] ?? '/';
  const file = path.join(layout.cpu!, rel, layout.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us');
  return `${rel} ${readFileSync(file, 'utf8').trim()}`;
}

function rule(fields: Partial<PolicyRule> & Pick<PolicyRule, 'name' | 'when' | 'do'>): PolicyRule {
  return { cooldown_ms: 0, dry_run: false, ...fields };
}

/** The decision `r` makes for instance `key` (a handler of the same name), as the engine hands it on. */
function decision(key: string, r: PolicyRule, over: Partial<Decision> = {}): Decision {
  return {
    subject: key,
    rule: r.name,
    handler: key,
    instance: key,
    scope: 'handler',
    metric: r.when.metric,
    action: r.do,
    action_text: r.do.kind,
    t: Date.now(),
    raw: 5,
    value: 5,
    reason: 'rss above 1',
    dry_run: false,
    held_back: false,
    ...over,
  };
}

const sups = supervisors();
const loops: ControlLoop[] = [];
const audits: LocalAudit[] = [];

afterEach(async () => {
  for (const l of loops.splice(0)) await l.stop();
  await sups.close();
  for (const a of audits.splice(0)) await a.close();
});

async function loopOn(
  sup: Supervisor,
  fields: {
    agentRules?: PolicyRule[];
    source?: SensorSource;
    clock?: FakeClock;
    metricsIntervalMs?: number;
    /** The agent's audit (a restarted agent's loop); default a new one. */
    audit?: LocalAudit;
  },
): Promise<{ loop: ControlLoop; audit: LocalAudit; policyEvents: () => LocalEvent[] }> {
  const dataDir = (sup as unknown as { opts: { dataDir: string } }).opts.dataDir;
  const audit = fields.audit ?? (await LocalAudit.open(dataDir, quiet));
  if (!fields.audit) audits.push(audit);
  const loop = new ControlLoop({
    supervisor: sup,
    commands: new AgentCommands(sup, dataDir),
    audit,
    agentRules: fields.agentRules ?? [],
    budgetPerMinute: 10,
    controlIntervalMs: 100,
    metricsIntervalMs: fields.metricsIntervalMs ?? 200,
    logger: quiet,
    dataDir,
    ...(fields.clock ? { clock: fields.clock } : {}),
    ...(fields.source ? { source: fields.source } : {}),
  });
  loops.push(loop);
  loop.start();
  return { loop, audit, policyEvents: () => audit.events().filter((e) => e.kind === 'policy') };
}

describe('resource policies: the control loop on real handlers', function () {
  this.timeout(60_000);

  /** A supervisor running one idle handler `name` (with `policies`), sampled every 200 ms. */
  async function runningIdle(name: string, policies: PolicyRule[] = []): Promise<Supervisor> {
    const sup = await sups.make({ metricsIntervalMs: 200 });
    await sup.applySpecs([
      policies.length ? { ...spec({ name, command: IDLE }), policies } : spec({ name, command: IDLE }),
    ]);
    await waitFor(() => sup.status(name)[0]?.state === 'running', { what: `${name} running` });
    return sup;
  }

  it('restarts a steadily leaking handler exactly once per cooldown, the record showing the value', async () => {
    const clock = new FakeClock();
    const sup = await sups.make({ clock, metricsIntervalMs: 200 });
    const leak = rule({
      name: 'leak',
      when: { metric: 'rss', above: 120 * MiB, for_ms: 0, smooth_half_life_ms: 200 },
      do: { kind: 'restart' },
      cooldown_ms: 15 * 60_000,
    });
    const s = spec({
      name: 'leaky',
      command: [process.execPath, fixture('leak.mjs')],
      env: { LEAK_MIB_PER_S: '40', LEAK_MAX_MIB: '400' },
    });
    await sup.applySpecs([{ ...s, policies: [leak] }]);
    const { loop, policyEvents } = await loopOn(sup, { clock });
    const firstPid = sup.status('leaky')[0]!.pid;
    await waitFor(() => policyEvents().length === 1, { timeoutMs: 30_000, what: 'the first restart' });
    await loop.settled();
    const [first] = policyEvents();
    assert.equal(first!.issued_by, 'policy/leak');
    assert.equal(first!.handler, 'leaky');
    assert.ok(first!.ok, first!.error);
    assert.match(first!.params_summary, /^rss raw \d+\.\d MiB smoothed \d+\.\d MiB above 120\.0 MiB$/);
    const restartedPid = sup.status('leaky')[0]!.pid;
    assert.notEqual(restartedPid, firstPid, 'a new process');
    // It leaks past the threshold again inside the cooldown: held back, counted, not restarted.
    await waitFor(() => loop.engine.counters().suppressed_cooldown >= 1, {
      timeoutMs: 30_000,
      what: 'a breach inside the cooldown',
    });
    assert.equal(policyEvents().length, 1, 'no second restart inside the cooldown');
    assert.equal(sup.status('leaky')[0]!.pid, restartedPid);
    // Once the cooldown is over, the next breach restarts it again: once.
    clock.advance(15 * 60_000);
    await waitFor(() => policyEvents().length === 2, {
      timeoutMs: 30_000,
      what: 'the restart after the cooldown',
    });
    await loop.settled();
    assert.equal(loop.engine.counters().actions, 2);
    const rows = loop.report().rules!;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.rule, 'leak');
    assert.equal(rows[0]!.instance, 'leaky');
    assert.equal(rows[0]!.last_execution_id, policyEvents()[1]!.id, 'the row names the execution');
  });

  it('cools the least recently used hot on-demand handler first under memory pressure', async () => {
    const sup = await sups.make({ metricsIntervalMs: 200 });
    const onDemand = (name: string) => spec({ name, command: IDLE, mode: 'on-demand', idle_timeout: '1h' });
    await sup.applySpecs(['od-a', 'od-b', 'od-c'].map(onDemand));
    for (const name of ['od-b', 'od-a', 'od-c']) {
      await sup.ensure(name); // od-b used first: the least recently used
      await new Promise((r) => setTimeout(r, 20)); // distinct use times (ms resolution)
    }
    const source = new InjectedSensors();
    source.values.set('host.memory.pressure.some', 1);
    const pressure = rule({
      name: 'memory-pressure',
      when: { metric: 'host.memory.pressure.some', above: 10, for_ms: 0, clear_below: 2 },
      do: { kind: 'cool', order: 'least-recently-used', max: 1 },
    });
    const { loop, policyEvents } = await loopOn(sup, { agentRules: [pressure], source });
    await waitFor(() => loop.report().rules?.[0]?.state === 'armed', { what: 'the rule armed' });
    assert.equal(policyEvents().length, 0, 'no pressure, no action');
    source.values.set('host.memory.pressure.some', 40);
    await waitFor(() => policyEvents().length === 1, { what: 'a cool' });
    await loop.settled();
    const [cooled] = policyEvents();
    assert.equal(cooled!.handler, 'od-b');
    assert.equal(cooled!.issued_by, 'policy/memory-pressure');
    assert.match(cooled!.params_summary, /host\.memory\.pressure\.some raw 40 above 10/);
    const temps = Object.fromEntries(sup.status().map((s) => [s.handler, s.state]));
    assert.deepEqual(temps, { 'od-a': 'running', 'od-b': 'stopped', 'od-c': 'running' });
  });

  it("a handler's cool rule cools its own instance, never another handler's", async () => {
    const sup = await sups.make({ metricsIntervalMs: 200 });
    const onDemand = (name: string) => spec({ name, command: IDLE, mode: 'on-demand', idle_timeout: '1h' });
    await sup.applySpecs(['od-a', 'od-b'].map(onDemand));
    for (const name of ['od-b', 'od-a']) {
      await sup.ensure(name); // od-b used first: the least recently used on the host
      await new Promise((r) => setTimeout(r, 20));
    }
    const { loop, policyEvents } = await loopOn(sup, {});
    const hot = rule({
      name: 'hot',
      when: { metric: 'rss', above: 1, for_ms: 0 },
      do: { kind: 'cool', order: 'least-recently-used', max: 1 },
    });
    const d = decision('od-a', hot);
    await loop.actuators.act(d, hot);
    const [rec] = policyEvents();
    assert.ok(rec!.ok, rec!.error);
    assert.equal(rec!.instance, 'od-a');
    const states = Object.fromEntries(sup.status().map((s) => [s.handler, s.state]));
    assert.deepEqual(states, { 'od-a': 'stopped', 'od-b': 'running' });
  });

  it('limit_cpu changes the instance cgroup limit and puts it back when the rule clears', async function () {
    const cg = new Cgroups({ root: DEFAULT_CGROUP_ROOT, scope: 'probe', logger: quiet });
    if (!cg.detected?.cpu) {
      if (process.env.CI) throw new Error('no cgroup cpu controller in CI');
      this.skip(); // no cpu controller: limits are advisory and cannot be shown
    }
    const runaway = rule({
      name: 'runaway',
      when: { metric: 'cpu', above: 0.9, for_ms: 0, clear_below: 0.5 },
      do: { kind: 'limit_cpu', cpu_percent: 50 },
    });
    const sup = await runningIdle('spin', [runaway]);
    const source = new InjectedSensors();
    source.values.set('spin cpu', 0.1);
    const { loop, policyEvents } = await loopOn(sup, { source });
    const dataDir = (sup as unknown as { opts: { dataDir: string } }).opts.dataDir;
    const layout = cg.detected!;
    const pid = sup.status('spin')[0]!.pid!;
    const quota = () => cpuQuota(layout, pid);
    const group = `/governor/${cgroupScope(dataDir)}/spin`;
    const v2 = layout.version === 2;
    await waitFor(() => loop.report().rules?.[0]?.state === 'armed', { what: 'armed' });
    source.values.set('spin cpu', 0.97);
    await waitFor(() => policyEvents().length === 1, { what: 'the limit' });
    await loop.settled();
    assert.ok(policyEvents()[0]!.ok, policyEvents()[0]!.error);
    const limited = quota();
    assert.match(
      limited,
      new RegExp(`${group} ${v2 ? '50000 100000' : '50000'}$`),
      'in its group, held to 50 %',
    );
    source.values.set('spin cpu', 0.2);
    await waitFor(() => policyEvents().length === 2, { what: 'the revert' });
    await loop.settled();
    assert.match(quota(), new RegExp(`${group} ${v2 ? 'max 100000' : '-1'}$`), 'back to the spec: no limit');
    assert.match(policyEvents()[1]!.result, /reverted/);
  });

  it('a limit decided while its instance is not running applies once it runs again, while the rule fires', async function () {
    const cg = new Cgroups({ root: DEFAULT_CGROUP_ROOT, scope: 'probe', logger: quiet });
    if (!cg.detected?.cpu) {
      if (process.env.CI) throw new Error('no cgroup cpu controller in CI');
      this.skip(); // no cpu controller: limits are advisory and cannot be shown
    }
    const layout = cg.detected!;
    const sup = await runningIdle('spin');
    const { loop, policyEvents } = await loopOn(sup, {});
    const runaway = rule({
      name: 'runaway',
      when: { metric: 'cpu', above: 0.9, for_ms: 0 },
      do: { kind: 'limit_cpu', cpu_percent: 50 },
    });
    // Fired on the last sample of a process that is gone by the time the action runs.
    await sup.stop('spin');
    const d = decision('spin', runaway, {
      action_text: 'limit_cpu 50%',
      raw: 1,
      value: 1,
      reason: 'cpu above 90%',
    });
    await loop.actuators.act(d, runaway);
    const [rec] = policyEvents();
    assert.ok(rec!.ok, rec!.error);
    assert.match(rec!.result, /^spin is stopped: its limit applies once it runs/);
    await sup.start('spin');
    await waitFor(() => sup.status('spin')[0]?.state === 'running', { what: 'running again' });
    const pid = sup.status('spin')[0]!.pid!;
    await waitFor(() => cpuQuota(layout, pid).endsWith(layout.version === 2 ? ' 50000 100000' : ' 50000'), {
      what: 'the limit on the new process',
    });
  });

  it('a limit in force when the agent stops is put back by the next agent, whose rule starts anew', async function () {
    const cg = new Cgroups({ root: DEFAULT_CGROUP_ROOT, scope: 'probe', logger: quiet });
    if (!cg.detected?.cpu) {
      if (process.env.CI) throw new Error('no cgroup cpu controller in CI');
      this.skip(); // no cpu controller: limits are advisory and cannot be shown
    }
    const layout = cg.detected!;
    const v2 = layout.version === 2;
    const runaway = rule({
      name: 'runaway',
      when: { metric: 'cpu', above: 0.9, for_ms: 0, clear_below: 0.5 },
      do: { kind: 'limit_cpu', cpu_percent: 50 },
    });
    const sup = await runningIdle('spin', [runaway]);
    const pid = sup.status('spin')[0]!.pid!;
    const source = new InjectedSensors();
    source.values.set('spin cpu', 0.97);
    const first = await loopOn(sup, { source });
    await waitFor(() => first.policyEvents().length === 1, { what: 'the limit' });
    await first.loop.settled();
    assert.ok(first.policyEvents()[0]!.ok, first.policyEvents()[0]!.error);
    assert.match(cpuQuota(layout, pid), new RegExp(` ${v2 ? '50000 100000' : '50000'}$`));
    // The agent stops with the rule firing (the process lives on, limited); the next one starts with the
    // load gone: its rule never fires, so nothing of its own would ever clear the limit.
    await first.loop.stop();
    source.values.set('spin cpu', 0.1);
    const next = await loopOn(sup, { source, audit: first.audit });
    await waitFor(() => next.policyEvents().length === 2, { what: 'the limit put back' });
    await next.loop.settled();
    const back = next.policyEvents()[1]!;
    assert.ok(back.ok, back.error);
    assert.equal(back.issued_by, 'policy/runaway');
    assert.equal(back.instance, 'spin');
    assert.match(back.params_summary, /put back at the agent start/);
    assert.match(cpuQuota(layout, pid), new RegExp(` ${v2 ? 'max 100000' : '-1'}$`), 'back to the spec');
    // Once: a third agent finds nothing left to put back.
    await next.loop.stop();
    const third = await loopOn(sup, { source, audit: first.audit });
    await third.loop.settled();
    assert.equal(third.policyEvents().length, 2);
  });

  it('dry-run acts on nothing but records what it would have done', async () => {
    const dry = rule({
      name: 'dry',
      when: { metric: 'rss', above: 1, for_ms: 0 },
      do: { kind: 'restart' },
      dry_run: true,
    });
    const sup = await runningIdle('calm', [dry]);
    const pid = sup.status('calm')[0]!.pid;
    const { loop, policyEvents } = await loopOn(sup, {});
    await waitFor(() => policyEvents().length === 1, { what: 'a dry-run record' });
    await loop.settled();
    assert.match(policyEvents()[0]!.result, /^dry-run: would restart calm$/);
    assert.equal(sup.status('calm')[0]!.pid, pid, 'not restarted');
    assert.equal(sup.status('calm')[0]!.restarts, 0);
    assert.deepEqual(loop.engine.counters(), {
      actions: 0,
      dry_run: 1,
      suppressed_cooldown: 0,
      suppressed_budget: 0,
    });
    assert.equal(loop.report().rules![0]!.dry_run, true);
  });

  it('gives an observed process an alert only, whatever the action, and never signals it', async () => {
    const sup = await sups.make({ metricsIntervalMs: 200 });
    const dataDir = (sup as unknown as { opts: { dataDir: string } }).opts.dataDir;
    const outside = await outsideWorkload(dataDir);
    const started = readProcStat(outside.pid)!.startTime;
    await sup.observed.attach(outside.pid, 'legacy');
    const { loop, policyEvents } = await loopOn(sup, {});
    const kill = rule({ name: 'kill', when: { metric: 'rss', above: 1, for_ms: 0 }, do: { kind: 'stop' } });
    for (const action of [
      { kind: 'stop' },
      { kind: 'restart' },
      { kind: 'signal', signal: 'SIGKILL' },
      { kind: 'freeze' },
    ] as const) {
      const d = decision('legacy', { ...kill, do: action });
      await loop.actuators.act(d, { ...kill, do: action });
    }
    const records = policyEvents();
    assert.equal(records.length, 4);
    for (const r of records) assert.match(r.result, /^alert legacy: .*legacy is observed: alert only, never/);
    assert.equal(readProcStat(outside.pid)?.startTime, started, 'the same process, alive');
    assert.equal(signalsRecorded(outside.log), '', 'no signal reached it');
    await sup.observed.detach('legacy');
  });

  it('a policy restart never starts an instance an operator stopped after the rule fired', async () => {
    const sup = await runningIdle('held');
    const { loop, policyEvents } = await loopOn(sup, {});
    const leak = rule({
      name: 'leak',
      when: { metric: 'rss', above: 1, for_ms: 0 },
      do: { kind: 'restart' },
    });
    // The rule fired on a sample of the running instance; before its turn came, an operator stopped it.
    await sup.stop('held');
    const d = decision('held', leak);
    await loop.actuators.act(d, leak);
    const [rec] = policyEvents();
    assert.equal(rec!.ok, false, 'not restarted');
    assert.match(
      rec!.error,
      /^held is stopped: an operator stopped it; a policy restarts only an instance meant to run$/,
    );
    assert.equal(sup.status('held')[0]!.state, 'stopped', 'still stopped');
  });

  it('keeps acting when the wall clock steps back (its samples are never taken for old ones)', async () => {
    const clock = new FakeClock();
    const sup = await sups.make({ clock, metricsIntervalMs: 200 });
    const source = new InjectedSensors();
    source.values.set('host.memory.pressure.some', 1);
    const pressure = rule({
      name: 'pressure',
      when: { metric: 'host.memory.pressure.some', above: 10, for_ms: 0 },
      do: { kind: 'alert' },
    });
    const { loop, policyEvents } = await loopOn(sup, { agentRules: [pressure], source, clock });
    await waitFor(() => loop.engine.states()[0]?.raw === 1, { what: 'a first sample' });
    clock.advance(-3_600_000); // NTP (or an operator) sets the clock an hour back
    source.values.set('host.memory.pressure.some', 50);
    await waitFor(() => policyEvents().length === 1, { what: 'the alert an hour "earlier"' });
    await loop.settled();
    assert.equal(policyEvents()[0]!.issued_by, 'policy/pressure');
  });

  it('freezes where the freezer can, thawing when the rule clears, and records the reason where it cannot', async () => {
    const sup = await runningIdle('still');
    const { loop, policyEvents } = await loopOn(sup, {});
    const freeze = rule({
      name: 'pause',
      when: { metric: 'rss', above: 1, for_ms: 0 },
      do: { kind: 'freeze' },
    });
    const d = decision('still', freeze);
    await loop.actuators.act(d, freeze);
    const [rec] = policyEvents();
    if (!rec!.ok) {
      // e.g. cgroup v1, where only `idle_action: freeze` handlers join a freezer group at their spawn.
      assert.match(rec!.error, /^still cannot be frozen: \S/);
      assert.equal(sup.status('still')[0]!.state, 'running');
      return;
    }
    assert.match(rec!.result, /froze still/);
    await loop.actuators.revert({ ...d, reason: 'rss back under 1' });
    assert.match(policyEvents()[1]!.result, /^thawed still$/);
  });
});
