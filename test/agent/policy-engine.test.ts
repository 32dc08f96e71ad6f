/**
 * The policy rule engine as a pure function of synthetic sample streams (no timers, time passed in):
 * `for` must hold continuously, a breach fires once, cooldowns and hysteresis stop repeats, forecasts
 * fire early, dry-run only records, and the agent's budget caps actions.
 */
import assert from 'node:assert/strict';
import { PolicyEngine, type Clear, type Decision, type Transition } from '../../agent/control/rules.js';
import type { PolicyCondition, PolicyRule } from '../../shared/policy-rules.js';

const T0 = Date.UTC(2026, 0, 1);
const S = 1000;
const M = 60 * S;
const MiB = 1024 * 1024;

function rule(name: string, when: Partial<PolicyCondition>, over: Partial<PolicyRule> = {}): PolicyRule {
  return {
    name,
    when: { metric: 'rss', for_ms: 0, ...when } as PolicyCondition,
    do: { kind: 'restart' },
    cooldown_ms: 0,
    dry_run: false,
    ...over,
  };
}

interface Log {
  actions: Decision[];
  held: Decision[];
  transitions: Transition[];
  clears: Clear[];
}

/** Feeds `[t offset ms, value]` samples; acts (onActed) on every decision that is neither dry nor held. */
function feed(
  engine: PolicyEngine,
  subject: string,
  metric: string,
  samples: Array<[number, number]>,
  log: Log = { actions: [], held: [], transitions: [], clears: [] },
): Log {
  for (const [dt, value] of samples) {
    const r = engine.observe(subject, metric, { t: T0 + dt, value });
    log.transitions.push(...r.transitions);
    log.clears.push(...r.clears);
    for (const d of r.actions) {
      if (d.held_back) log.held.push(d);
      else {
        log.actions.push(d);
        engine.onActed(d, d.t, `exec-${log.actions.length}`);
      }
    }
  }
  return log;
}

/** Samples every `step` ms from `from` (inclusive) to `to` (exclusive), valued by `f(offset)`. */
function every(step: number, from: number, to: number, f: (t: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = from; t < to; t += step) out.push([t, f(t)]);
  return out;
}

const states = (log: Log) => log.transitions.map((t) => t.to);

describe('policy engine', () => {
  const leak = rule('leak', { metric: 'rss', above: 400 * MiB, for_ms: 2 * M }, { cooldown_ms: 15 * M });

  it('a spike shorter than `for` never fires', () => {
    const engine = new PolicyEngine();
    engine.setRules('web#0', [leak], 'handler', { handler: 'web', instance: 'web#0' });
    // 300 MiB, then 500 MiB from 60 s to 175 s (the last breaching sample is 115 s after the first: < 2m),
    // then 300 MiB again; and a second spike of the same length later.
    const spike = (t: number) =>
      (t >= 60 * S && t < 180 * S) || (t >= 600 * S && t < 720 * S) ? 500 * MiB : 300 * MiB;
    const log = feed(engine, 'web#0', 'rss', every(5 * S, 0, 20 * M, spike));
    assert.equal(log.actions.length, 0);
    assert.deepEqual(states(log), ['pending', 'armed', 'pending', 'armed']);
    assert.equal(engine.states()[0]?.state, 'armed');
  });

  it('a sustained breach fires once, with the values that fired it, after `for` held', () => {
    const engine = new PolicyEngine();
    engine.setRules('web#0', [leak], 'handler', { handler: 'web', instance: 'web#0' });
    const log = feed(
      engine,
      'web#0',
      'rss',
      every(5 * S, 0, 60 * M, (t) => (t >= 60 * S ? 412 * MiB : 300 * MiB)),
    );
    assert.equal(log.actions.length, 1);
    const d = log.actions[0]!;
    assert.equal(d.t, T0 + 60 * S + 2 * M, 'fires at the first sample 2m into the breach');
    assert.deepEqual(
      [d.rule, d.subject, d.handler, d.instance, d.action.kind, d.raw, d.value, d.dry_run, d.held_back],
      ['leak', 'web#0', 'web', 'web#0', 'restart', 412 * MiB, 412 * MiB, false, false],
    );
    assert.equal(d.reason, 'rss 412.0 MiB above 400.0 MiB for 2m');
    assert.deepEqual(states(log), ['pending', 'firing']);
    const row = engine.states()[0]!;
    assert.equal(row.state, 'firing');
    assert.equal(row.last_action, 'restart');
    assert.equal(row.last_action_at, new Date(d.t).toISOString());
    assert.equal(row.last_execution_id, 'exec-1');
    assert.deepEqual(engine.counters(), {
      actions: 1,
      dry_run: 0,
      suppressed_cooldown: 0,
      suppressed_budget: 0,
    });
  });

  it('does not fire again inside the cooldown; fires when it ends if the breach still holds', () => {
    const engine = new PolicyEngine();
    engine.setRules('web#0', [leak], 'handler', { handler: 'web', instance: 'web#0' });
    // Breach from 0; the restart at 2m drops RSS (cleared); it leaks again from 5m on, sustained.
    const rss = (t: number) => (t < 2 * M + 5 * S ? 450 * MiB : t < 5 * M ? 200 * MiB : 450 * MiB);
    const log = feed(engine, 'web#0', 'rss', every(5 * S, 0, 40 * M, rss));
    assert.deepEqual(
      log.actions.map((d) => d.t - T0),
      [2 * M, 2 * M + 15 * M],
      'the second action waits for the cooldown (15m after the first), not only for `for`',
    );
    assert.deepEqual(states(log), ['pending', 'firing', 'cooling-down', 'firing']);
    assert.equal(log.clears.length, 1, 'crossing back after firing clears the rule');
    assert.equal(engine.counters().suppressed_cooldown, 1, 'the held-back breach is counted once');
  });

  it('the cooldown runs from when the action was taken (onActed)', () => {
    const engine = new PolicyEngine();
    engine.setRules('web#0', [leak], 'handler', { handler: 'web', instance: 'web#0' });
    const first = engine.observe('web#0', 'rss', { t: T0, value: 450 * MiB });
    assert.equal(first.actions.length, 0);
    const fired = engine.observe('web#0', 'rss', { t: T0 + 2 * M, value: 450 * MiB }).actions[0]!;
    engine.onActed(fired, T0 + 3 * M); // the restart took a minute
    const log = feed(engine, 'web#0', 'rss', [
      [3 * M + 5 * S, 100 * MiB],
      ...every(5 * S, 4 * M, 30 * M, () => 450 * MiB),
    ]);
    assert.deepEqual(
      log.actions.map((d) => d.t - T0),
      [3 * M + 15 * M],
    );
  });

  it('onActed counts also when the rule cleared before the action finished (a restart drops RSS at once)', () => {
    const engine = new PolicyEngine();
    engine.setRules('web#0', [leak], 'handler', { handler: 'web', instance: 'web#0' });
    engine.observe('web#0', 'rss', { t: T0, value: 450 * MiB });
    const fired = engine.observe('web#0', 'rss', { t: T0 + 2 * M, value: 450 * MiB }).actions[0]!;
    const cleared = engine.observe('web#0', 'rss', { t: T0 + 2 * M + 5 * S, value: 100 * MiB });
    assert.equal(cleared.clears.length, 1);
    engine.onActed(fired, T0 + 2 * M + 10 * S, 'exec-late');
    const row = engine.states()[0]!;
    assert.equal(row.last_execution_id, 'exec-late');
    assert.equal(row.last_action_at, new Date(T0 + 2 * M + 10 * S).toISOString());
    const log = feed(
      engine,
      'web#0',
      'rss',
      every(5 * S, 3 * M, 30 * M, () => 450 * MiB),
    );
    assert.deepEqual(
      log.actions.map((d) => d.t - T0),
      [2 * M + 10 * S + 15 * M],
      'the cooldown ran from the action, not from the decision (which would be 17m)',
    );
  });

  it('hysteresis: a signal oscillating around the threshold fires exactly one action', () => {
    const cpu = rule('runaway', { metric: 'cpu', above: 0.9, clear_below: 0.7 }, { do: { kind: 'alert' } });
    const wobble = (t: number) => ((t / S) % 2 === 0 ? 0.95 : 0.85);
    const engine = new PolicyEngine({ budget: { max: 1000, windowMs: M } });
    engine.setRules('web#0', [cpu], 'handler', { handler: 'web', instance: 'web#0' });
    const log = feed(engine, 'web#0', 'cpu', every(S, 0, 10 * M, wobble));
    assert.equal(log.actions.length, 1);
    assert.equal(log.clears.length, 0);
    // Only after crossing back below clear_below does it re-arm, and then fire again.
    feed(
      engine,
      'web#0',
      'cpu',
      [
        [10 * M, 0.6],
        [10 * M + S, 0.95],
      ],
      log,
    );
    assert.equal(log.actions.length, 2);
    assert.deepEqual(states(log), ['firing', 'cleared', 'firing']);

    // The same signal without clear_below re-arms at the threshold itself: it would flap.
    const flappy = new PolicyEngine({ budget: { max: 1000, windowMs: M } });
    flappy.setRules(
      'web#0',
      [rule('runaway', { metric: 'cpu', above: 0.9 }, { do: { kind: 'alert' } })],
      'handler',
    );
    assert.equal(feed(flappy, 'web#0', 'cpu', every(S, 0, M, wobble)).actions.length, 30);
  });

  it('a below rule clears above clear_above', () => {
    const low = rule(
      'low-mem',
      { metric: 'host.memory.available', below: 100 * MiB, clear_above: 200 * MiB },
      {
        do: { kind: 'alert' },
      },
    );
    const engine = new PolicyEngine();
    engine.setRules('host', [low], 'agent');
    const log = feed(engine, 'host', 'host.memory.available', [
      [0, 50 * MiB],
      [S, 150 * MiB],
      [2 * S, 50 * MiB],
      [3 * S, 250 * MiB],
      [4 * S, 50 * MiB],
    ]);
    assert.equal(log.actions.length, 2);
    assert.deepEqual(states(log), ['firing', 'cleared', 'firing']);
  });

  it('forecast fires on the predicted value, before the raw value crosses', () => {
    const runaway = rule(
      'runaway',
      { metric: 'cpu', above: 0.9, forecast_ms: 60 * S },
      { do: { kind: 'alert' } },
    );
    const ramp = (t: number) => 0.32 + (0.01 * t) / S; // crosses 0.9 at 58 s: 0.87 at 55 s, 0.92 at 60 s
    const engine = new PolicyEngine();
    engine.setRules('web#0', [runaway], 'handler');
    const log = feed(engine, 'web#0', 'cpu', every(5 * S, 0, 2 * M, ramp));
    assert.equal(log.actions.length, 1);
    const d = log.actions[0]!;
    assert.ok(d.raw < 0.9, `fired at raw ${d.raw}, before the raw value crossed 0.9`);
    assert.ok(d.t - T0 < 60 * S);
    assert.ok(d.forecast !== undefined && d.forecast > 0.9, `forecast ${d.forecast}`);
    assert.equal(engine.states()[0]?.has_forecast, true);

    // Without the forecast the same rule fires only once the raw value is above.
    const plain = new PolicyEngine();
    plain.setRules(
      'web#0',
      [rule('runaway', { metric: 'cpu', above: 0.9 }, { do: { kind: 'alert' } })],
      'handler',
    );
    const late = feed(plain, 'web#0', 'cpu', every(5 * S, 0, 2 * M, ramp)).actions[0]!;
    assert.equal(late.t - T0, 60 * S);
    // And a flat signal under the threshold never fires on its forecast.
    const flat = new PolicyEngine();
    flat.setRules('web#0', [runaway], 'handler');
    assert.equal(
      feed(
        flat,
        'web#0',
        'cpu',
        every(5 * S, 0, 10 * M, () => 0.85),
      ).actions.length,
      0,
    );
  });

  it('dry-run records the decision but does not act or spend the budget', () => {
    const shed = rule(
      'shed',
      { metric: 'rss_growth', above: MiB },
      { do: { kind: 'signal', signal: 'SIGUSR2' }, dry_run: true },
    );
    const engine = new PolicyEngine({ budget: { max: 1, windowMs: M } });
    engine.setRules('web#0', [shed], 'handler');
    engine.setRules('web#1', [rule('leak', { metric: 'rss', above: 400 * MiB })], 'handler');
    const r = engine.observe('web#0', 'rss_growth', { t: T0, value: 2 * MiB });
    assert.equal(r.actions.length, 1);
    assert.equal(r.actions[0]?.dry_run, true);
    assert.equal(r.actions[0]?.action_text, 'signal SIGUSR2');
    assert.equal(engine.states().find((row) => row.rule === 'shed')?.last_action, 'signal SIGUSR2');
    const real = engine.observe('web#1', 'rss', { t: T0 + S, value: 500 * MiB }).actions;
    assert.deepEqual(
      real.map((d) => [d.rule, d.dry_run, d.held_back]),
      [['leak', false, false]],
      'the dry-run decision did not use the budget of 1',
    );
    assert.deepEqual(engine.counters(), {
      actions: 1,
      dry_run: 1,
      suppressed_cooldown: 0,
      suppressed_budget: 0,
    });
  });

  it("the agent's budget caps actions per sliding window, counts the held-back ones and lets them through later", () => {
    const engine = new PolicyEngine({ budget: { max: 2, windowMs: M } });
    const subjects = ['a#0', 'b#0', 'c#0', 'd#0', 'e#0'];
    for (const s of subjects)
      engine.setRules(s, [rule('leak', { metric: 'rss', above: 400 * MiB })], 'handler');
    const log: Log = { actions: [], held: [], transitions: [], clears: [] };
    for (let t = 0; t < 5 * M; t += 10 * S) {
      for (const s of subjects) feed(engine, s, 'rss', [[t, 500 * MiB]], log);
    }
    const times = log.actions.map((d) => d.t - T0);
    assert.deepEqual(times, [0, 0, M, M, 2 * M], 'two per minute, the rest as the window frees');
    for (const t of times) assert.ok(times.filter((u) => u > t - M && u <= t).length <= 2);
    assert.equal(log.held.length, 3, 'each held-back decision reported once');
    assert.ok(log.held.every((d) => d.held_back && d.reason.includes('budget')));
    assert.equal(engine.counters().suppressed_budget, 3);
    assert.equal(engine.counters().actions, 5);
  });

  it('clears a firing limit rule when it crosses back, or when the rule is removed', () => {
    const cap = rule(
      'cap',
      { metric: 'cpu', above: 0.9, clear_below: 0.5 },
      { do: { kind: 'limit_cpu', cpu_percent: 50 } },
    );
    const engine = new PolicyEngine();
    engine.setRules('web#0', [cap], 'handler', { handler: 'web', instance: 'web#0' });
    const log = feed(engine, 'web#0', 'cpu', [
      [0, 0.95],
      [S, 0.6],
      [2 * S, 0.4],
    ]);
    assert.equal(log.actions.length, 1);
    assert.deepEqual(
      log.clears.map((c) => [c.rule, c.action.kind, c.t - T0, c.reason]),
      [['cap', 'limit_cpu', 2 * S, 'cpu 0.4 below 0.5']],
    );
    feed(engine, 'web#0', 'cpu', [[3 * S, 0.95]], log);
    assert.equal(log.actions.length, 2);
    const removed = engine.setRules('web#0', [], 'handler', undefined, T0 + 4 * S);
    assert.deepEqual(
      removed.map((c) => [c.rule, c.reason]),
      [['cap', 'rule changed or removed']],
    );
    assert.deepEqual(engine.states(), []);
  });

  it('setRules keeps the state of unchanged rules and starts changed ones over', () => {
    const engine = new PolicyEngine();
    const a = rule('a', { metric: 'rss', above: 400 * MiB, for_ms: M });
    const b = rule('b', { metric: 'rss', above: 400 * MiB, for_ms: M }, { do: { kind: 'alert' } });
    engine.setRules('web#0', [a, b], 'handler');
    feed(engine, 'web#0', 'rss', [
      [0, 500 * MiB],
      [30 * S, 500 * MiB],
    ]);
    engine.setRules('web#0', [a, { ...b, when: { ...b.when, for_ms: 2 * M } }], 'handler');
    const log = feed(engine, 'web#0', 'rss', [[M, 500 * MiB]]);
    assert.deepEqual(
      log.actions.map((d) => d.rule),
      ['a'],
      'b started over with its new `for`',
    );
    assert.deepEqual(engine.metricsOf('web#0'), ['rss']);
  });

  it('a rule changed (same name) keeps the cooldown of its last action: an edit never buys a second action', () => {
    const engine = new PolicyEngine();
    const leak = rule('leak', { metric: 'rss', above: 400 * MiB }, { cooldown_ms: 15 * M });
    engine.setRules('web', [leak], 'handler');
    const log = feed(engine, 'web', 'rss', [[0, 500 * MiB]]);
    assert.equal(log.actions.length, 1);
    // A minute later the operator raises the threshold; the process is still above the new one.
    engine.setRules('web', [{ ...leak, when: { ...leak.when, above: 450 * MiB } }], 'handler');
    feed(
      engine,
      'web',
      'rss',
      every(5 * S, M, 15 * M, () => 500 * MiB),
      log,
    );
    assert.equal(log.actions.length, 1, 'not restarted again inside the cooldown of the last restart');
    assert.equal(engine.states()[0]!.last_execution_id, 'exec-1', 'the row still shows the last action');
    feed(engine, 'web', 'rss', [[15 * M + S, 500 * MiB]], log);
    assert.equal(log.actions.length, 2, 'once the cooldown is over');
  });

  it('`for` holds only over samples: a breach interrupted by an unavailable sensor (a restart) starts over', () => {
    const engine = new PolicyEngine();
    engine.setRules('web', [rule('hot', { metric: 'cpu', above: 0.9, for_ms: 2 * M })], 'handler');
    const log = feed(
      engine,
      'web',
      'cpu',
      every(30 * S, 0, 90 * S, () => 1),
    );
    // The process crashed and is started anew: no value while it is not running.
    engine.setUnavailable('web', 'cpu', 'not running');
    feed(
      engine,
      'web',
      'cpu',
      every(30 * S, 90 * S, 210 * S, () => 1),
      log,
    );
    assert.equal(log.actions.length, 0, 'the new process has not been above for 2m yet');
    feed(engine, 'web', 'cpu', [[210 * S, 1]], log);
    assert.equal(log.actions.length, 1, 'it has now');
  });

  it('shows why a sensor is unavailable on the rows of its rules', () => {
    const engine = new PolicyEngine();
    engine.setRules(
      'host',
      [rule('mp', { metric: 'host.memory.pressure.some', above: 10 }, { do: { kind: 'alert' } })],
      'agent',
    );
    engine.setUnavailable('host', 'host.memory.pressure.some', 'no /proc/pressure (kernel without PSI)');
    assert.equal(engine.states()[0]?.unavailable, 'no /proc/pressure (kernel without PSI)');
    engine.observe('host', 'host.memory.pressure.some', { t: T0, value: 1 });
    assert.equal(engine.states()[0]?.unavailable, '');
  });

  it('a channel feeds like observe until the rules are set again; then it is dead and the new one feeds', () => {
    const engine = new PolicyEngine();
    const rules = [rule('big', { above: 100 * MiB }), rule('leak', { metric: 'rss_growth', above: 1 })];
    engine.setRules('web', rules, 'handler');
    const rss = engine.channel('web', 'rss')!;
    assert.equal(engine.channel('web', 'cpu'), undefined, 'no rule reads cpu');
    engine.setUnavailable('web', 'rss', 'not running');
    assert.equal(rss.unavailable, 'not running');
    const out = { transitions: [], actions: [], clears: [] };
    engine.feed(rss, { t: T0, value: 200 * MiB }, out);
    assert.equal(rss.unavailable, '', 'a sample makes the sensor available again');
    assert.deepEqual(
      out.actions.map((d: Decision) => [d.rule, d.raw]),
      [['big', 200 * MiB]],
      'only the rules on rss, appended to the result passed',
    );
    assert.equal(engine.rows().length, 2);
    assert.ok(!('subject' in engine.rows()[0]!), 'report rows carry no subject');
    engine.setRules('web', [rule('big', { above: 300 * MiB })], 'handler');
    assert.equal(rss.live, false);
    const none = engine.feed(rss, { t: T0 + S, value: 400 * MiB });
    assert.equal(none.actions.length + none.transitions.length, 0, 'a dead channel feeds nothing');
    const fired = engine.feed(engine.channel('web', 'rss')!, { t: T0 + S, value: 400 * MiB });
    assert.equal(fired.actions.length, 1, 'the new channel feeds the changed rule');
  });
});
