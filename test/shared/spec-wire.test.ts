/**
 * Handler specs on the agent link (proto HandlerSpec, shared/spec-wire.ts): every field of a compiled spec
 * crosses the real codec unchanged — optional ones stay absent when unset — and whatever the apply
 * validator refuses is refused on receipt, naming the field.
 */
import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { specsFromWire, specToWire, type WireSpec } from '../../shared/spec-wire.js';
import { fromAgent } from '../helpers/wire.js';

/** `specs` as the master reads them from a hello. */
const across = (specs: WireSpec[]) =>
  fromAgent({ hello: { agent_id: 'edge-1', cached_specs: specs } }).hello!.cached_specs;

const rich = parseHandler(
  {
    name: 'rich',
    count: 2,
    agents: ['edge-1'],
    selector: { region: 'west' },
    command: ['node', 'server.js', '--port', '8080'],
    cwd: '/srv/rich',
    env: { PORT: '8080', EMPTY: '' },
    restart: 'on-failure',
    start_seconds: 0.5,
    start_retries: 7,
    backoff: { initial: '250ms', max: '30s', factor: 1.5, jitter: 0 },
    stop_signal: 'SIGINT',
    stop_timeout: '3s',
    mode: 'on-demand',
    idle_timeout: '2m',
    health: {
      exec: ['true', 'x'],
      interval: '5s',
      timeout: '2s',
      unhealthy_threshold: 2,
      restart_on_unhealthy: true,
    },
    limits: { cpu: '150%', memory: '512MiB', pids: 200 },
    update: { batch_size: '34%', min_healthy_time: '1s', on_failure: 'rollback', wait_between: '2s' },
    labels: { tier: 'front' },
    log: { max_size: '1MiB', keep: 0 },
    inherit_env: [],
    user: 'nobody',
    group: '65534',
    type: 'forking',
    pid_file: '/run/rich.pid',
    policies: [
      {
        name: 'leak',
        when: { metric: 'rss', above: '400MiB', for: '2m', smooth: 'ema(30s)', clear_below: '300MiB' },
        do: 'restart',
        cooldown: '15m',
      },
      {
        name: 'runaway',
        when: { metric: 'cpu', above: 0.9, for: '5m', forecast: '60s' },
        do: { limit_cpu: '50%' },
      },
      { name: 'idle', when: { metric: 'cpu', below: 0.01, clear_above: 0.05 }, do: 'cool', mode: 'dry-run' },
      { name: 'cap', when: { metric: 'rss', above: '1GiB' }, do: { limit_memory: '900MiB' } },
      { name: 'shed', when: { metric: 'rss_growth', above: '1MiB' }, do: { signal: 'USR2' } },
      { name: 'fds', when: { metric: 'fds', above: 1000 }, do: 'alert' },
    ],
  },
  'rich',
);
const plain = parseHandler({ name: 'plain', command: 'node w.js', health: { tcp: 8080 } }, 'plain');
const http = parseHandler({ name: 'http', command: ['x'], health: { http: 'http://127.0.0.1/h' } }, 'http');
const lazy = parseHandler(
  {
    name: 'lazy',
    command: ['x'],
    mode: 'on-demand',
    notify: true,
    start_timeout: '5s',
    watchdog: '30s',
    idle_cpu: '2.5%',
    idle_action: 'freeze',
    frozen_timeout: '1h',
  },
  'lazy',
);

describe('handler specs on the agent link', () => {
  it('every field crosses the codec unchanged, and unset optional fields stay unset', () => {
    const specs = [rich, plain, http, lazy];
    const back = specsFromWire(across(specs.map(specToWire)), 'cached_specs', 'test');
    assert.deepEqual(back, specs);
    assert.equal(back[3]?.idle_cpu_percent, 2.5);
    for (const key of [
      'cwd',
      'user',
      'group',
      'inherit_env',
      'type',
      'pid_file',
      'notify',
      'start_timeout_ms',
      'watchdog_ms',
      'idle_cpu_percent',
      'idle_action',
      'frozen_timeout_ms',
      'policies',
    ] as const)
      assert.equal(key in (back[1] as HandlerSpec), false, `${key} stays unset`);
    assert.deepEqual(back[0]?.inherit_env, [], 'an empty inherit_env is not the same as none');
  });

  it('a value the apply validator refuses is refused naming the field', () => {
    const bad = (over: Partial<WireSpec>, field: RegExp) =>
      assert.throws(
        () => specsFromWire(across([specToWire(plain), { ...specToWire(rich), ...over }]), 'specs', 'APPLY'),
        (err: Error) => err instanceof ValidationError && field.test(err.message),
      );
    bad({ restart: 'sometimes' }, /^APPLY: specs\[1\]\.restart: "sometimes" must be one of/);
    bad({ command: [] }, /^APPLY: specs\[1\]\.command: must not be empty/);
    bad({ stop_timeout_ms: 2 ** 31 }, /^APPLY: specs\[1\]\.stop_timeout: .*exceeds the longest timer/);
    bad({ env: { GOV_AGENT: 'x' } }, /^APPLY: specs\[1\]\.env\.GOV_AGENT: GOV_\* variables are reserved/);
    bad(
      { health: { interval_ms: 1000 } },
      /^APPLY: specs\[1\]\.health: needs exactly one of tcp, http, exec/,
    );
    bad(
      { backoff: null },
      /^APPLY: specs\[1\]\.backoff\.initial_ms: is missing, but the apply validator makes it 1000/,
    );
    bad({ name: 'plain' }, /^APPLY: specs\[1\]\.name: duplicate handler name plain/);
    const rule = specToWire(rich).policies![0]!;
    bad(
      { policies: [{ ...rule, when: { ...rule.when, metric: 'rsss' } }] },
      /^APPLY: specs\[1\]\.policies\[0\]\.when\.metric: unknown metric "rsss"/,
    );
    bad(
      { policies: [{ ...rule, action: { kind: 'reboot' } }] },
      /^APPLY: specs\[1\]\.policies\[0\]\.do: unknown action "reboot"/,
    );
    bad(
      { policies: [{ ...rule, action: { kind: 'cool' } }], mode: 'always-on', idle_timeout_ms: 0 },
      /^APPLY: specs\[1\]\.policies\[0\]\.do: cool only applies to a handler with mode: on-demand/,
    );
    bad(
      { policies: [{ ...rule, when: null }] },
      /^APPLY: specs\[1\]\.policies\[0\]\.when\.metric: is required/,
    );
    bad({ policies: [rule, rule] }, /^APPLY: specs\[1\]\.policies\[1\]\.name: duplicate rule name "leak"/);
  });
});
