/**
 * Resource policy rules as handler specs and the agent config write them (shared/policy-rules.ts): the
 * issue's examples compile exactly as written, every refusal names the file, the key path and the reason,
 * and compiled rules cross the wire and the re-validation unchanged.
 */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import {
  describePolicyAction,
  formatPolicyValue,
  MAX_POLICY_RULES,
  parseAgentPolicies,
  parseHandlerPolicies,
  type PolicyRule,
} from '../../shared/policy-rules.js';
import { parseHandlersFile, type HandlerSpec } from '../../shared/spec.js';
import { revalidateSpec } from '../../shared/spec-raw.js';
import { checkStoredSpec } from '../../shared/spec-shape.js';
import { ShapeChecker } from '../../shared/shape.js';
import { parseYamlInput } from '../../shared/yaml-input.js';

const MiB = 1024 * 1024;

const HANDLERS = `
handlers:
  - name: web
    command: node server.js
    policies:
      - name: leak
        when: {metric: rss, above: 400MiB, for: 2m, smooth: ema(30s)}
        do: restart
        cooldown: 15m
      - name: runaway
        when: {metric: cpu, above: 0.9, for: 5m, forecast: 60s}
        do: {limit_cpu: 50%}
        cooldown: 10m
      - name: shed
        when: {metric: rss_growth, above: 1MiB}          # per second
        do: {signal: SIGUSR2}
        mode: dry-run
`;

const AGENT = `
policies:
  - name: memory-pressure
    when: {metric: host.memory.pressure.some, above: 10, for: 30s, clear_below: 2}
    do: {cool: on-demand, order: least-recently-used, max: 3}
  - name: hot-cap
    when: {metric: on_demand.hot, above: 5}
    do: {cool: on-demand, order: least-recently-used}
`;

/** The handler `web` with `policies` replaced (YAML-ish object), parsed from handlers.yaml. */
function handlerRefusal(policies: unknown, want: RegExp, extra: Record<string, unknown> = {}): void {
  assert.throws(
    () =>
      parseHandlerPolicies(
        policies,
        'handlers.yaml',
        'handlers[0].policies',
        String(extra.mode ?? 'always-on'),
      ),
    (err: Error) => {
      assert.ok(err instanceof ValidationError, `${err.name}: ${err.message}`);
      assert.match(err.message, want);
      return true;
    },
  );
}

function agentRefusal(policies: unknown, want: RegExp): void {
  assert.throws(
    () => parseAgentPolicies(policies, '/etc/gov/agent.yaml'),
    (err: Error) => {
      assert.ok(err instanceof ValidationError, `${err.name}: ${err.message}`);
      assert.match(err.message, want);
      return true;
    },
  );
}

const rss = (when: Record<string, unknown>, over: Record<string, unknown> = {}) => [
  { name: 'r', when: { metric: 'rss', above: '400MiB', ...when }, do: 'restart', ...over },
];

describe('policy rules: parsing', () => {
  it("compiles the issue's handler examples exactly as written", () => {
    const [web] = parseHandlersFile(HANDLERS, 'handlers.yaml');
    const want: PolicyRule[] = [
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
        name: 'shed',
        when: { metric: 'rss_growth', above: MiB, for_ms: 0 },
        do: { kind: 'signal', signal: 'SIGUSR2' },
        cooldown_ms: 0,
        dry_run: true,
      },
    ];
    assert.deepEqual(web?.policies, want);
    assert.deepEqual(
      want.map((r) => describePolicyAction(r.do)),
      ['restart', 'limit_cpu 50%', 'signal SIGUSR2'],
    );
  });

  it("compiles the issue's agent-wide examples exactly as written", () => {
    const root = parseYamlInput(AGENT, 'agent.yaml') as { policies: unknown };
    assert.deepEqual(parseAgentPolicies(root.policies, 'agent.yaml'), [
      {
        name: 'memory-pressure',
        when: { metric: 'host.memory.pressure.some', above: 10, for_ms: 30_000, clear_below: 2 },
        do: { kind: 'cool', order: 'least-recently-used', max: 3 },
        cooldown_ms: 0,
        dry_run: false,
      },
      {
        name: 'hot-cap',
        when: { metric: 'on_demand.hot', above: 5, for_ms: 0 },
        do: { kind: 'cool', order: 'least-recently-used', max: 1 },
        cooldown_ms: 0,
        dry_run: false,
      },
    ]);
  });

  it('takes thresholds in the units of the metric', () => {
    const one = (metric: string, above: unknown) =>
      parseHandlerPolicies([{ name: 'x', when: { metric, above }, do: 'alert' }], 'f', 'p', 'always-on')[0]!
        .when.above;
    assert.equal(one('cpu', '90%'), 0.9);
    assert.equal(one('cpu', 1.5), 1.5);
    assert.equal(one('rss', '1GiB'), 1024 * MiB);
    assert.equal(one('rss', 1000), 1000);
    assert.equal(one('fds', 1000), 1000);
    assert.equal(formatPolicyValue('rss', 412 * MiB), '412.0 MiB');
    assert.equal(formatPolicyValue('rss_growth', MiB), '1.0 MiB/s');
    assert.equal(formatPolicyValue('cpu', 0.91234), '0.912');
  });

  it('no policies, or an empty list, leave the spec without policies', () => {
    const text = (extra: string) => `handlers:\n  - name: w\n    command: x\n${extra}`;
    assert.equal('policies' in parseHandlersFile(text(''), 'h.yaml')[0]!, false);
    assert.equal('policies' in parseHandlersFile(text('    policies: []\n'), 'h.yaml')[0]!, false);
  });
});

describe('policy rules: refusals name the file, key path and reason', () => {
  it('in a handler spec', () => {
    handlerRefusal(
      [...rss({}), { name: 'x', when: { metric: 'rsss', above: 1 }, do: 'restart' }],
      /^handlers\.yaml: handlers\[0\]\.policies\[1\]\.when\.metric: unknown metric "rsss" \(known: cpu, rss, rss_growth, fds, /,
    );
    handlerRefusal(
      rss({}, { do: 'reboot' }),
      /policies\[0\]\.do: unknown action "reboot" \(known: restart, stop, cool,/,
    );
    handlerRefusal(rss({}, { do: { reboot: 1 } }), /policies\[0\]\.do\.reboot: unknown action "reboot"/);
    handlerRefusal(
      rss({}, { do: { restart: true, stop: true } }),
      /policies\[0\]\.do: needs exactly one action \(found: restart, stop\)/,
    );
    handlerRefusal(
      rss({}, { do: { restart: true } }),
      /policies\[0\]\.do\.restart: restart takes no value \(write do: restart\)/,
    );
    handlerRefusal(
      rss({}, { do: 'limit_cpu' }),
      /policies\[0\]\.do: limit_cpu needs a value: do: \{limit_cpu: 50%\}/,
    );
    handlerRefusal(
      rss({}, { then: 'x' }),
      /policies\[0\]\.then: unknown key \(allowed: name, when, do, cooldown, mode\)/,
    );
    handlerRefusal(rss({ every: '1s' }), /policies\[0\]\.when\.every: unknown key/);
    handlerRefusal(rss({ below: 1 }), /policies\[0\]\.when: needs exactly one of above, below/);
    handlerRefusal(
      [{ name: 'r', when: { metric: 'rss' }, do: 'restart' }],
      /policies\[0\]\.when: needs exactly one of above, below/,
    );
    handlerRefusal(
      [{ name: 'r', when: { metric: 'rss', below: '100MiB', clear_below: '50MiB' }, do: 'alert' }],
      /policies\[0\]\.when\.clear_below: only applies to an above rule \(a below rule clears with clear_above\)/,
    );
    handlerRefusal(
      rss({ clear_below: '500MiB' }),
      /policies\[0\]\.when\.clear_below: 500\.0 MiB must be below the threshold \(above: 400\.0 MiB\)/,
    );
    handlerRefusal(
      [{ name: 'r', when: { metric: 'cpu', below: 0.1, clear_above: 0.05 }, do: 'alert' }],
      /policies\[0\]\.when\.clear_above: 0\.05 must be above the threshold \(below: 0\.1\)/,
    );
    handlerRefusal(
      [{ name: 'r', when: { metric: 'host.load1', above: 4 }, do: 'alert' }],
      /policies\[0\]\.when\.metric: "host\.load1" is a host metric: it belongs in the agent's config/,
    );
    handlerRefusal(
      rss({}, { do: { cool: 'on-demand' } }),
      /policies\[0\]\.do: cool only applies to a handler with mode: on-demand \(this one is always-on\)/,
    );
    handlerRefusal(
      rss({}, { do: { cool: 'on-demand', max: 3 } }),
      /policies\[0\]\.do\.max: only applies to agent-wide rules/,
      {
        mode: 'on-demand',
      },
    );
    handlerRefusal(
      rss({}, { do: { limit_cpu: '0%' } }),
      /policies\[0\]\.do\.limit_cpu: "0%" is not a CPU limit/,
    );
    handlerRefusal(rss({}, { do: { limit_cpu: -1 } }), /policies\[0\]\.do\.limit_cpu: -1 is not a CPU limit/);
    handlerRefusal(
      rss({}, { do: { limit_memory: 'lots' } }),
      /policies\[0\]\.do\.limit_memory: "lots" is not a size/,
    );
    handlerRefusal(
      rss({}, { do: { signal: 'SIGFOO' } }),
      /policies\[0\]\.do\.signal: "SIGFOO" is not a signal name/,
    );
    handlerRefusal(
      rss({}, { do: { signal: 'KILL' } }),
      /policies\[0\]\.do\.signal: SIGKILL is not a policy signal: use do: stop/,
    );
    handlerRefusal(
      rss({ for: '50d' }),
      /policies\[0\]\.when\.for: "50d" exceeds the longest allowed, 49d17h2m47\.295s \(4294967295 ms\)/,
    );
    handlerRefusal(
      rss({}, { cooldown: '50d' }),
      /policies\[0\]\.cooldown: "50d" exceeds the longest allowed/,
    );
    handlerRefusal(
      rss({ forecast: '50d' }),
      /policies\[0\]\.when\.forecast: "50d" exceeds the longest allowed/,
    );
    handlerRefusal(rss({ for: 'soon' }), /policies\[0\]\.when\.for: "soon" is not a duration/);
    handlerRefusal(
      rss({ smooth: 'sma(30s)' }),
      /policies\[0\]\.when\.smooth: "sma\(30s\)" is not a smoothing \(use ema\(HALF_LIFE\)/,
    );
    handlerRefusal(
      rss({ smooth: 'ema(0s)' }),
      /policies\[0\]\.when\.smooth: the EMA half-life must be more than 0/,
    );
    handlerRefusal(rss({ above: 'big' }), /policies\[0\]\.when\.above: "big" is not a size/);
    handlerRefusal(
      [{ name: 'r', when: { metric: 'cpu', above: 'hot' }, do: 'alert' }],
      /when\.above: "hot" is not a CPU share/,
    );
    handlerRefusal(
      [{ name: 'r', when: { metric: 'fds', above: '10MiB' }, do: 'alert' }],
      /when\.above: "10MiB" must be a number/,
    );
    handlerRefusal(
      rss({}, { mode: 'maybe' }),
      /policies\[0\]\.mode: "maybe" must be one of enforce \| dry-run/,
    );
    handlerRefusal(rss({}, { name: 'Leak!' }), /policies\[0\]\.name: "Leak!" is not a valid rule name/);
    handlerRefusal([...rss({}), ...rss({})], /policies\[1\]\.name: duplicate rule name "r"/);
    handlerRefusal({ name: 'r' }, /handlers\[0\]\.policies: must be a list of rules/);
    handlerRefusal(
      Array.from({ length: MAX_POLICY_RULES + 1 }, (_, i) => rss({}, { name: `r${i}` })[0]),
      /handlers\[0\]\.policies: 33 rules; at most 32/,
    );
  });

  it('in the agent config', () => {
    agentRefusal(
      [{ name: 'a', when: { metric: 'rss', above: 1 }, do: 'alert' }],
      /^\/etc\/gov\/agent\.yaml: policies\[0\]\.when\.metric: "rss" is an instance metric: it belongs in a handler spec's policies; agent-wide rules read host\.memory\.available, /,
    );
    agentRefusal(
      [{ name: 'a', when: { metric: 'host.load1', above: 4 }, do: 'restart' }],
      /policies\[0\]\.do: restart is not an agent-wide action: agent-wide rules may cool or alert/,
    );
    agentRefusal(
      [{ name: 'a', when: { metric: 'host.load1', above: 4 }, do: { limit_cpu: '50%' } }],
      /policies\[0\]\.do: limit_cpu is not an agent-wide action/,
    );
    agentRefusal(
      [{ name: 'a', when: { metric: 'on_demand.hot', above: 4 }, do: { cool: 'always-on' } }],
      /policies\[0\]\.do\.cool: "always-on": cool acts on on-demand instances: write cool: on-demand/,
    );
    agentRefusal(
      [
        {
          name: 'a',
          when: { metric: 'on_demand.hot', above: 4 },
          do: { cool: 'on-demand', order: 'random' },
        },
      ],
      /policies\[0\]\.do\.order: "random" must be one of least-recently-used \| most-memory/,
    );
    agentRefusal(
      [{ name: 'a', when: { metric: 'on_demand.hot', above: 4 }, do: { cool: 'on-demand', max: 0 } }],
      /policies\[0\]\.do\.max: 0 must be an integer from 1 to 1000/,
    );
  });

  it('a bad rule refuses the whole handlers file (nothing is applied)', () => {
    const bad = HANDLERS.replace('metric: cpu', 'metric: cpus');
    assert.throws(
      () => parseHandlersFile(bad, 'handlers.yaml'),
      /^ValidationError: handlers\.yaml: handlers\[0\]\.policies\[1\]\.when\.metric: unknown metric "cpus"/,
    );
  });
});

describe('policy rules: compiled rules are re-validated unchanged', () => {
  it('a spec with policies passes revalidateSpec; a tampered rule is refused naming the field', () => {
    const [web] = parseHandlersFile(HANDLERS, 'handlers.yaml');
    assert.deepEqual(revalidateSpec(web, 'specs[0]', 'state.json'), web);
    const tamper = (f: (s: HandlerSpec) => void): HandlerSpec => {
      const copy = structuredClone(web!);
      f(copy);
      return copy;
    };
    assert.throws(
      () =>
        revalidateSpec(
          tamper((s) => (s.policies![0]!.when.metric = 'host.load1')),
          'specs[0]',
          'state.json',
        ),
      /^ValidationError: state\.json: specs\[0\]\.policies\[0\]\.when\.metric: "host\.load1" is a host metric/,
    );
    assert.throws(
      () =>
        revalidateSpec(
          tamper((s) => (s.policies![1]!.when.above = Number.NaN)),
          'specs[0]',
          'state.json',
        ),
      /^ValidationError: state\.json: specs\[0\]\.policies\[1\]\.when\.above: NaN must be a number$/,
    );
    assert.throws(
      () =>
        revalidateSpec(
          tamper((s) => delete (s.policies![2] as Partial<PolicyRule>).dry_run),
          'specs[0]',
          'state.json',
        ),
      /specs\[0\]\.policies\[2\]\.dry_run: is missing, but the apply validator makes it false/,
    );
  });
});

describe('policy rules: stored specs', () => {
  it('a state file whose policies are not rules is refused naming the field', () => {
    const [web] = parseHandlersFile(HANDLERS, 'handlers.yaml');
    const check = (spec: unknown) => checkStoredSpec(new ShapeChecker('state.json'), 'specs.web', spec);
    check(web);
    const broken = (policies: unknown) => ({ ...web, policies });
    assert.throws(
      () => check(broken('leak')),
      /^ValidationError: state\.json: specs\.web\.policies: expected an array, got string/,
    );
    assert.throws(
      () => check(broken([{ name: 'a', when: { metric: 1 }, do: { kind: 'alert' } }])),
      /state\.json: specs\.web\.policies\[0\]\.when\.metric: expected a string, got number/,
    );
    assert.throws(
      () => check(broken([{ name: 'a', when: { metric: 'rss' } }])),
      /state\.json: specs\.web\.policies\[0\]\.do: expected an object, got undefined/,
    );
  });
});
