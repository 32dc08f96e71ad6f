/**
 * `gov policies`: the table (values in their metric's units, forecast, state, last action; a disconnected
 * agent's rules marked and said to be as last reported), the `--json` document, the target set and
 * `--agent-wide` it asks for, a bad target refused before connecting; the policy figures of `gov metrics`;
 * and the line `gov events` prints for a policy event.
 */
import assert from 'node:assert/strict';
import { eventLine } from '../../master/cli/event-line.js';
import { metricsText } from '../../master/cli/format.js';
import { policiesTable, policyValue } from '../../master/cli/policies-view.js';
import { FakeAdmin, METRICS, NOW, POLICIES, runGov as gov, targetSet, watchEvent } from './fake-admin.js';

describe('gov policies', () => {
  it('prints one row per rule and subject: value and forecast in units, state, last action', () => {
    const lines = policiesTable(POLICIES, NOW).split('\n');
    assert.match(
      lines[0]!,
      /^AGENT\s+HANDLER\s+INSTANCE\s+RULE\s+METRIC\s+VALUE\s+FORECAST\s+STATE\s+LAST ACTION$/,
    );
    assert.match(
      lines[1]!,
      /^edge-1\s+web\s+web\s+leak\s+rss\s+412\.0 MiB\s+-\s+firing\s+restart 3m ago \(execution ex-7\)$/,
    );
    assert.match(lines[2]!, /^edge-1\s+web\s+web#1\s+runaway\s+cpu\s+42\.0%\s+61\.0%\s+armed\s+-$/);
    assert.match(
      lines[3]!,
      /^edge-1\s+\(agent-wide\)\s+-\s+memory-pressure\s+host\.memory\.pressure\.some\s+0\.3%\s+-\s+armed \(dry-run\)\s+-$/,
    );
    assert.match(lines[4]!, /^edge-2\s+web\s+web\s+leak\s+rss\s+100\.0 MiB\s+-\s+cooling-down\*/);
    assert.equal(lines[5], 'edge-1: 3 action(s), 1 dry-run, held back 2 by cooldown and 0 by the budget');
    assert.equal(
      lines[6],
      'edge-2: 1 action(s), 0 dry-run, held back 0 by cooldown and 0 by the budget — ' +
        '* disconnected: as last reported at 2025-01-01T11:50:00.000Z (10m ago)',
    );
  });

  it('values are in the units of their metric', () => {
    assert.equal(policyValue('rss', 400 * 1024 * 1024), '400.0 MiB');
    assert.equal(policyValue('rss_growth', 2 * 1024 * 1024), '2.00 MiB/s');
    assert.equal(policyValue('cpu', 0.935), '93.5%');
    assert.equal(policyValue('pressure.io.full', 12.25), '12.3%');
    assert.equal(policyValue('host.load1', 1.5), '1.50');
    assert.equal(policyValue('fds', 12), '12');
    assert.equal(policyValue('on_demand.hot', 2.4567), '2.457');
  });

  it('a sensor that gives no value says why; no rule says where rules come from', () => {
    const res = {
      agents: [
        {
          ...POLICIES.agents[0]!,
          rules: [
            { ...POLICIES.agents[0]!.rules[0]!, metric: 'pressure.memory.some', unavailable: 'cgroup v1' },
          ],
        },
      ],
    };
    assert.match(policiesTable(res, NOW), /unavailable: cgroup v1\s+-\s+firing/);
    assert.match(
      policiesTable({ agents: [] }, NOW),
      /^no policy rules reported \(rules come from `policies:`/,
    );
  });

  it('--json prints one document: agents with counters and rules, a forecast only where asked', async () => {
    const { code, io } = await gov(['policies', '--json']);
    assert.equal(code, 0, io.stderr);
    const doc = JSON.parse(io.stdout) as {
      agents: Array<{
        agent: string;
        stale: boolean;
        reported_at: string;
        rules: Array<Record<string, unknown>>;
      }>;
    };
    assert.deepEqual(
      doc.agents.map((a) => [a.agent, a.stale, a.rules.length]),
      [
        ['edge-1', false, 3],
        ['edge-2', true, 1],
      ],
    );
    const [leak, runaway, wide] = doc.agents[0]!.rules;
    assert.deepEqual([leak?.key, leak?.forecast, leak?.last_execution_id], ['web@edge-1', null, 'ex-7']);
    assert.deepEqual([runaway?.key, runaway?.forecast], ['web#1@edge-1', 0.61]);
    assert.deepEqual([wide?.handler, wide?.instance, wide?.key, wide?.dry_run], [null, null, 'edge-1', true]);
  });

  it('asks for the target set, and agent-wide rules with --agent-wide', async () => {
    let r = await gov(['policies', 'web', '--agent', 'edge-1', '--agent-wide']);
    assert.equal(r.code, 0, r.io.stderr);
    assert.deepEqual(r.fake.calls, [
      ['listPolicies', targetSet({ names: ['web'], agents: ['edge-1'] }), true],
    ]);
    r = await gov(['policies']);
    assert.deepEqual(r.fake.calls, [['listPolicies', targetSet(), false]]);
    assert.match(r.io.stdout, /as last reported at 2025-01-01T11:50:00\.000Z/);
  });

  it('a bad target is a usage error before anything connects', async () => {
    const fake = new FakeAdmin();
    const { code, io } = await gov(['policies', 'Bad Name'], fake);
    assert.equal(code, 2);
    assert.match(io.stderr, /Bad Name/);
    assert.deepEqual(fake.calls, []);
  });
});

describe('policies in gov metrics and gov events', () => {
  it('gov metrics shows rules by state and the actions taken and held back', () => {
    const text = metricsText({
      ...METRICS,
      governor: {
        ...METRICS.governor!,
        policies_by_state: { armed: 2, pending: 0, firing: 1, 'cooling-down': 0, cleared: 0, stale: 1 },
        policy_actions: { actions: 4, dry_run: 1, suppressed_cooldown: 2, suppressed_budget: 0 },
      },
    });
    assert.match(
      text,
      /\npolicies: armed=2 firing=1 stale=1; actions 4, dry-run 1, held back 2 by cooldown, 0 by budget\n/,
    );
    assert.doesNotMatch(metricsText(METRICS), /policies:/, 'no rule, no action: no line');
  });

  it('a policy event reads INDEX TIME policy instance@agent rule: from → to (values) — reason', () => {
    const e = watchEvent({
      index: 7,
      kind: 'policy',
      handler: 'web',
      body: 'policy',
      policy: {
        rule: 'leak',
        handler: 'web',
        instance: 'web#1',
        from: 'pending',
        to: 'firing',
        at: '2025-01-01T12:00:01.000Z',
        value: 500_000_000,
        forecast: 0.5,
        has_forecast: true,
        reason: 'rss 477 MiB above\n400 MiB for 2m',
      },
    });
    assert.equal(
      eventLine(e),
      '7  12:00:01.123  policy  web#1@edge-1  leak: pending → firing (value 5.00e+8, forecast 0.5) — ' +
        'rss 477 MiB above 400 MiB for 2m',
    );
    const wide = watchEvent({
      kind: 'policy',
      handler: '',
      body: 'policy',
      policy: { ...e.policy!, handler: '', instance: '', has_forecast: false, reason: '' },
    });
    assert.match(eventLine(wide), /policy {2}edge-1 {2}leak: pending → firing \(value 5\.00e\+8\)$/);
  });
});
