/**
 * The agents' resource policy reports on the master (DESIGN §8, §9): an agent cannot grow the master's
 * memory with them (rules and transitions per report capped, strings bounded, unknown states and other
 * agents' handlers refused, transitions rate-limited, each cut logged); ListPolicies filters them by target
 * set; each transition becomes a kept watch event of kind `policy` that the watch filters select; and the
 * fleet telemetry of GetMetrics and /metrics counts them.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { PolicyReport__Output } from '../../proto/generated/governor/v1/PolicyReport.js';
import type { PolicyRuleState__Output } from '../../proto/generated/governor/v1/PolicyRuleState.js';
import type { PolicyTransition__Output } from '../../proto/generated/governor/v1/PolicyTransition.js';
import type { ListPoliciesRequest__Output } from '../../proto/generated/governor/v1/ListPoliciesRequest.js';
import type { AgentSession } from '../../master/fleet/agent-session.js';
import { AGENT_LIMITS } from '../../master/fleet/agent-input.js';
import { POLICY_LIMITS } from '../../master/fleet/agent-policies.js';
import { Fleet } from '../../master/fleet/fleet.js';
import { listPolicies } from '../../master/api/policies-rpc.js';
import { MasterMetrics } from '../../master/api/prometheus.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { Registry } from '../../master/state/registry.js';
import { openMasterStore, type MasterStore } from '../../master/state/store.js';
import { openFleetWatch } from '../../master/watch/fleet-watch.js';
import { compileWatchFilter } from '../../master/watch/watch-filter.js';
import { Logger, silentLogger } from '../../shared/logger.js';
import { parseHandler } from '../../shared/spec.js';
import { NotFoundError } from '../../shared/errors.js';
import { tempDir } from '../helpers/common.js';
import { parseExposition, promtoolCheck, valueOf } from '../helpers/prometheus.js';
import { FakeCall, request } from './watch-fakes.js';

class ConnectedSession extends EventEmitter {
  readonly state = 'connected';
  constructor(readonly agentId: string) {
    super();
  }
  close(): void {}
}

function rule(over: Partial<PolicyRuleState__Output> = {}): PolicyRuleState__Output {
  return {
    rule: 'leak',
    handler: 'web',
    instance: 'web',
    metric: 'rss',
    state: 'armed',
    raw: 100,
    value: 90,
    forecast: 0,
    has_forecast: false,
    action: 'restart',
    dry_run: false,
    last_action: '',
    last_action_at: '',
    last_execution_id: '',
    unavailable: '',
    ...over,
  };
}

function transition(over: Partial<PolicyTransition__Output> = {}): PolicyTransition__Output {
  return {
    rule: 'leak',
    handler: 'web',
    instance: 'web',
    from: 'pending',
    to: 'firing',
    at: '2026-01-01T00:00:00.000Z',
    value: 5e8,
    forecast: 0,
    has_forecast: false,
    reason: 'rss 477 MiB above 400 MiB for 2m',
    ...over,
  };
}

function report(over: Partial<PolicyReport__Output> = {}): PolicyReport__Output {
  return {
    rules: [],
    transitions: [],
    counters: { actions: 0, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 0 },
    ...over,
  };
}

const wideRule = rule({
  rule: 'memory-pressure',
  handler: '',
  instance: '',
  metric: 'host.memory.pressure.some',
  action: 'cool on-demand',
});

describe('master: resource policy reports from agents', () => {
  let store: MasterStore;
  let reg: Registry;
  let fleet: Fleet;
  let clock: { t: number; now(): number; advance(ms: number): void };
  let warnings: string[];

  beforeEach(async () => {
    store = await openMasterStore(tempDir('gov-policies-'));
    reg = new Registry(store);
    clock = {
      t: Date.parse('2026-01-01T00:00:00.000Z'),
      now() {
        return this.t;
      },
      advance(ms) {
        this.t += ms;
      },
    };
    warnings = [];
    const logger = new Logger('', {
      level: 'warn',
      format: 'json',
      sink: { write: (line: string) => void warnings.push(line) },
    });
    fleet = new Fleet(
      reg,
      new ExecutionLog(store),
      { heartbeatIntervalMs: 1000, heartbeatGraceMs: 3000, metricsIntervalMs: 1000, commandTimeoutMs: 5000 },
      logger,
      () => clock.now(),
    );
    for (const id of ['edge-1', 'edge-2']) {
      await reg.upsertAgent({ agent_id: id });
      fleet.hub.add(new ConnectedSession(id) as unknown as AgentSession);
    }
    await reg.applySpecs(
      [
        { name: 'web', agents: ['edge-1', 'edge-2'], count: 2 },
        { name: 'db', agents: ['edge-2'] },
      ].map((raw, i) => parseHandler({ command: ['node', 'x.js'], ...raw }, `handlers[${i}]`)),
    );
  });
  afterEach(async () => {
    await store.close();
  });

  const rulesOf = (agent: string) => fleet.policyReports().find((r) => r.agent === agent)?.rules ?? [];
  const list = (over: Partial<ListPoliciesRequest__Output> = {}) =>
    listPolicies(fleet, { targets: null, agent_wide: false, ...over });
  const targets = (o: { names?: string[]; agents?: string[]; all?: boolean } = {}) => ({
    names: o.names ?? [],
    agents: o.agents ?? [],
    all: o.all ?? false,
    selector: {},
  });

  it('a hostile report is cut to the bounds, refused where it speaks for others, and logged', () => {
    const long = 'x'.repeat(100_000);
    const hostile = report({
      rules: [
        ...Array.from({ length: POLICY_LIMITS.rulesPerReport + 500 }, (_, i) =>
          rule({ rule: `r${i}`, action: long, raw: Number.NaN, value: Infinity }),
        ),
      ],
      transitions: Array.from({ length: POLICY_LIMITS.transitionsPerReport + 10 }, () =>
        transition({ reason: long }),
      ),
      counters: { actions: -5, dry_run: Number.NaN, suppressed_cooldown: 1, suppressed_budget: 2 },
    });
    const seen: unknown[] = [];
    fleet.changes.on('policy', (...a) => seen.push(a));
    fleet.keepPolicies('edge-1', hostile);
    const kept = rulesOf('edge-1');
    assert.equal(kept.length, POLICY_LIMITS.rulesPerReport);
    assert.ok(kept.every((r) => (r.action ?? '').length <= AGENT_LIMITS.shortString));
    assert.ok(
      kept.every((r) => r.raw === 0 && r.value === 0),
      'numbers that are not finite are 0',
    );
    assert.deepEqual(fleet.policies.get('edge-1')?.counters, {
      actions: 0,
      dry_run: 0,
      suppressed_cooldown: 1,
      suppressed_budget: 2,
    });
    assert.equal(seen.length, POLICY_LIMITS.transitionsPerReport);
    const t = (seen[0] as [string, PolicyTransition__Output])[1];
    assert.ok(t.reason.length <= AGENT_LIMITS.text);
    assert.equal(warnings.length, 1, 'one warning for the report');
    assert.match(warnings[0]!, /policy report from agent cut/);
    assert.match(warnings[0]!, /only the first 4096 are kept/);

    // Rules of handlers it does not run, instances past the count, unknown states: refused, not kept.
    clock.advance(20_000);
    fleet.keepPolicies(
      'edge-1',
      report({
        rules: [
          rule(),
          rule({ handler: 'db', instance: 'db' }),
          rule({ instance: 'web#2' }),
          rule({ instance: 'db#1' }),
          rule({ state: 'exploded' }),
          rule({ handler: '', instance: 'web' }),
          wideRule,
        ],
        transitions: [transition({ handler: 'db', instance: 'db' }), transition({ to: 'nowhere' })],
      }),
    );
    assert.deepEqual(
      rulesOf('edge-1').map((r) => [r.handler, r.instance]),
      [
        ['web', 'web'],
        ['', ''],
      ],
    );
    assert.equal(seen.length, POLICY_LIMITS.transitionsPerReport, 'no refused transition was published');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /handler \\"db\\" is not assigned to agent edge-1/);
    assert.match(warnings[1]!, /\\"web#2\\" is not an instance key of handler web/);
    assert.match(warnings[1]!, /state \\"exploded\\"/);
  });

  it('transitions beyond the per-agent rate are dropped (and said so); the bucket refills with time', () => {
    let published = 0;
    fleet.changes.on('policy', () => void published++);
    const burst = report({ transitions: Array.from({ length: 500 }, () => transition()) });
    fleet.keepPolicies('edge-1', burst);
    fleet.keepPolicies('edge-1', burst);
    fleet.keepPolicies('edge-1', burst);
    assert.equal(published, POLICY_LIMITS.transitionBurst);
    fleet.keepPolicies('edge-2', report({ transitions: [transition()] }));
    assert.equal(published, POLICY_LIMITS.transitionBurst + 1, 'another agent has its own bucket');
    clock.advance(1000);
    fleet.keepPolicies('edge-1', burst);
    assert.equal(published, POLICY_LIMITS.transitionBurst + 1 + POLICY_LIMITS.transitionsPerSecond);
    assert.ok(warnings.some((w) => /transition\(s\) dropped: more than 100 per second/.test(w)));
  });

  it("a report replaces the agent's last one; a disconnected agent's is kept, marked, with its time", () => {
    fleet.keepPolicies('edge-1', report({ rules: [rule(), rule({ rule: 'other' })] }));
    clock.advance(5000);
    fleet.keepPolicies('edge-1', report({ rules: [rule({ state: 'firing' })] }));
    assert.deepEqual(
      rulesOf('edge-1').map((r) => [r.rule, r.state]),
      [['leak', 'firing']],
    );
    fleet.hub.get('edge-1')!.emit('closed', 'test: disconnected');
    const [edge1] = list().agents ?? [];
    assert.equal(edge1?.agent, 'edge-1');
    assert.equal(edge1?.connected, false);
    assert.equal(edge1?.reported_at, '2026-01-01T00:00:05.000Z');
    assert.equal(edge1?.rules?.length, 1);
  });

  it('ListPolicies: handler rules by target set; agent-wide rules with no handler named or with agent_wide', async () => {
    fleet.keepPolicies(
      'edge-1',
      report({ rules: [rule(), rule({ instance: 'web#1', rule: 'runaway' }), wideRule] }),
    );
    fleet.keepPolicies(
      'edge-2',
      report({ rules: [rule(), rule({ handler: 'db', instance: 'db' }), wideRule] }),
    );
    const keys = (res: ReturnType<typeof list>) =>
      (res.agents ?? []).flatMap((a) =>
        (a.rules ?? []).map((r) => `${a.agent}:${r.handler || '*'}/${r.instance || '*'}/${r.rule}`),
      );
    assert.deepEqual(keys(list()), [
      'edge-1:web/web/leak',
      'edge-1:web/web#1/runaway',
      'edge-1:*/*/memory-pressure',
      'edge-2:web/web/leak',
      'edge-2:db/db/leak',
      'edge-2:*/*/memory-pressure',
    ]);
    assert.deepEqual(keys(list({ targets: targets({ names: ['db'] }) })), ['edge-2:db/db/leak']);
    assert.deepEqual(keys(list({ targets: targets({ names: ['web#1@edge-1'] }) })), [
      'edge-1:web/web#1/runaway',
    ]);
    assert.deepEqual(keys(list({ targets: targets({ names: ['db'] }), agent_wide: true })), [
      'edge-2:db/db/leak',
      'edge-2:*/*/memory-pressure',
    ]);
    assert.deepEqual(keys(list({ targets: targets({ agents: ['edge-1'] }) })), [
      'edge-1:web/web/leak',
      'edge-1:web/web#1/runaway',
      'edge-1:*/*/memory-pressure',
    ]);
    assert.throws(() => list({ targets: targets({ names: ['nope'] }) }), NotFoundError);
    assert.throws(() => list({ targets: targets({ agents: ['edge-9'] }) }), /unknown agent "edge-9"/);

    // A handler deleted since the report leaves no rule behind.
    await reg.deleteSpec('db');
    assert.deepEqual(keys(list({ targets: targets({ agents: ['edge-2'] }) })), [
      'edge-2:web/web/leak',
      'edge-2:*/*/memory-pressure',
    ]);
  });

  it('each transition is a kept watch event of kind policy, with handler and agent, that filters select', () => {
    const watch = openFleetWatch(fleet, null);
    try {
      fleet.keepPolicies(
        'edge-2',
        report({
          transitions: [
            transition(),
            transition({ handler: 'db', instance: 'db', from: 'armed', to: 'pending' }),
            transition({ rule: 'memory-pressure', handler: '', instance: '' }),
          ],
        }),
      );
      const kept = watch.hub.ring.after(0);
      assert.deepEqual(
        kept.map((e) => [e.kind, e.handler, e.agent, e.policy?.rule, e.policy?.to]),
        [
          ['policy', 'web', 'edge-2', 'leak', 'firing'],
          ['policy', 'db', 'edge-2', 'leak', 'pending'],
          ['policy', '', 'edge-2', 'memory-pressure', 'firing'],
        ],
      );
      const replay = (over: Parameters<typeof request>[0]) => {
        const call = new FakeCall();
        watch.hub.watch(call.asCall, compileWatchFilter(request({ resume: true, follow: false, ...over })));
        return call.sent.map((e) => `${e.kind}:${e.handler}`);
      };
      assert.deepEqual(replay({}), ['policy:web', 'policy:db', 'policy:'], 'policy is a default kind');
      assert.deepEqual(replay({ kinds: ['policy'], handlers: ['db'] }), ['policy:db']);
      assert.deepEqual(replay({ kinds: ['instance'] }), []);
      assert.deepEqual(replay({ agents: ['edge-1'] }), []);
    } finally {
      watch.close();
    }
  });

  it('GetMetrics telemetry and /metrics count rules by state (stale when disconnected) and actions by agent', async () => {
    fleet.keepPolicies(
      'edge-1',
      report({
        rules: [rule({ state: 'firing' }), rule({ instance: 'web#1' }), wideRule],
        counters: { actions: 3, dry_run: 1, suppressed_cooldown: 2, suppressed_budget: 0 },
      }),
    );
    fleet.keepPolicies(
      'edge-2',
      report({
        rules: [rule({ state: 'cooling-down' })],
        counters: { actions: 1, dry_run: 0, suppressed_cooldown: 0, suppressed_budget: 4 },
      }),
    );
    fleet.hub.get('edge-2')!.emit('closed', 'test: disconnected');
    const m = await fleet.metrics();
    assert.deepEqual(m.governor?.policies_by_state, {
      armed: 2,
      pending: 0,
      firing: 1,
      'cooling-down': 0,
      cleared: 0,
      stale: 1,
    });
    assert.deepEqual(m.governor?.policy_actions, {
      actions: 4,
      dry_run: 1,
      suppressed_cooldown: 2,
      suppressed_budget: 4,
    });
    const narrowed = await fleet.metrics({ agents: ['edge-1'], keep: (h, key) => key === 'web#1' });
    assert.equal(narrowed.governor?.policies_by_state?.armed, 2, 'web#1 and the agent-wide rule');
    assert.equal(narrowed.governor?.policies_by_state?.firing, 0);

    const prom = new MasterMetrics(fleet, { maxInstances: 100 }, silentLogger);
    try {
      const text = await prom.metrics();
      const f = parseExposition(text);
      assert.equal(valueOf(f, 'governor_policy_rules', { state: 'armed' }), 2);
      assert.equal(valueOf(f, 'governor_policy_rules', { state: 'stale' }), 1);
      assert.equal(valueOf(f, 'governor_policy_actions_total', { agent: 'edge-1', outcome: 'acted' }), 3);
      assert.equal(
        valueOf(f, 'governor_policy_actions_total', { agent: 'edge-2', outcome: 'suppressed_budget' }),
        4,
      );
      const check = promtoolCheck(text);
      if ('skipped' in check) console.log(`      (promtool check skipped: ${check.skipped})`);
      else assert.equal(check.problems, '');
    } finally {
      prom.close();
    }
  });
});
