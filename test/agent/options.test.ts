/**
 * The daemons' options are resolved in one place each (agent/options.ts, master/options.ts): flags beat
 * env, env beats the config file, the config file beats the defaults; bad flags are usage errors naming
 * the flag.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileAgentOptions, resolveGroup } from '../../agent/options.js';
import { resolveMasterOptions } from '../../master/options.js';
import { UsageError } from '../../shared/cli-io.js';
import { tempDir } from '../helpers/common.js';

function config(text: string): string {
  const f = path.join(tempDir(), 'settings.yaml');
  writeFileSync(f, text);
  return f;
}

describe('daemon options: flags > env > config file > defaults', () => {
  it('agent: the local control sockets (default <data-dir>/gov.sock, off, a group by name or GID, read-only)', () => {
    const base = { handlers: 'h.yaml', dataDir: 'd' };
    const dflt = compileAgentOptions(base, {}, '/srv');
    assert.equal(dflt.socket, '/srv/d/gov.sock');
    assert.equal(dflt.socketGid, null);
    assert.equal(dflt.readOnlySocket, null);
    assert.equal(compileAgentOptions({ ...base, socket: 'off' }, {}, '/srv').socket, null);
    const cfg = config('socket: /run/gov/gov.sock\nsocket_group: 42\nread_only_socket: ro.sock\n');
    const fromFile = compileAgentOptions({ ...base, config: cfg }, {}, '/srv');
    assert.equal(fromFile.socket, '/run/gov/gov.sock');
    assert.equal(fromFile.socketGid, 42);
    assert.equal(fromFile.readOnlySocket, '/srv/ro.sock');
    const flags = compileAgentOptions(
      { ...base, config: cfg, socket: 'x.sock', socketGroup: '7' },
      {},
      '/srv',
    );
    assert.equal(flags.socket, '/srv/x.sock');
    assert.equal(flags.socketGid, 7);

    const groups = path.join(tempDir(), 'group');
    writeFileSync(groups, 'root:x:0:\ngov-ops:x:1234:alice,bob\n');
    assert.equal(resolveGroup('gov-ops', '--socket-group', groups), 1234);
    assert.equal(resolveGroup('99', '--socket-group', groups), 99);
    assert.throws(
      () => resolveGroup('nope', '--socket-group', groups),
      (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^--socket-group "nope": no such group in .*group/);
        return true;
      },
    );
    assert.throws(
      () => compileAgentOptions({ ...base, socket: ' ' }, {}, '/srv'),
      /--socket must be a path or off/,
    );
  });

  it('agent: connection, id, labels, data dir and intervals', () => {
    const cfg = config(
      'id: edge-1\nmaster: cfg:7070\nca: cfg-ca.crt\ncert: cfg.crt\nkey: cfg.key\nlabels: {region: west, tier: 1, rack: 01}\n' +
        'metrics_interval: 2s\ndiscover_interval: 3s\ncgroup_root: cg\n',
    );
    const fromFile = compileAgentOptions({ config: cfg }, {}, '/srv');
    assert.equal(fromFile.agentId, 'edge-1');
    assert.deepEqual(fromFile.connected?.connection, {
      master: 'cfg:7070',
      caPath: '/srv/cfg-ca.crt',
      certPath: '/srv/cfg.crt',
      keyPath: '/srv/cfg.key',
      cwd: '/srv',
    });
    // Label values as written: `rack: 01` is "01", not the number 1.
    assert.deepEqual(fromFile.connected?.labels, { region: 'west', tier: '1', rack: '01' });
    // An agent's own labels are only reported: a value no selector could name still lets it start.
    const reported = config('id: edge-1\nmaster: m:7070\nlabels: {note: "rack 3, row 2"}\n');
    assert.deepEqual(compileAgentOptions({ config: reported }, {}, '/srv').connected?.labels, {
      note: 'rack 3, row 2',
    });
    assert.equal(fromFile.dataDir, '/srv/data/agent-edge-1');
    assert.equal(fromFile.metricsIntervalMs, 2000);
    assert.equal(fromFile.discoverIntervalMs, 3000);
    assert.equal(fromFile.cgroupRoot, '/srv/cg');

    const env = { GOV_MASTER: 'env:7070', GOV_CA: 'env-ca.crt', GOV_KEY: 'env.key', GOV_LOG_FORMAT: 'json' };
    const fromEnv = compileAgentOptions({ config: cfg }, env, '/srv');
    assert.equal(fromEnv.connected?.connection.master, 'env:7070');
    assert.equal(fromEnv.connected?.connection.caPath, '/srv/env-ca.crt');
    assert.equal(fromEnv.connected?.connection.certPath, '/srv/cfg.crt');
    assert.equal(fromEnv.connected?.connection.keyPath, '/srv/env.key');
    assert.equal(fromEnv.logFormat, 'json');

    const flags = compileAgentOptions(
      {
        config: cfg,
        id: 'edge-2',
        master: 'flag:7070',
        labels: 'tier=2,zone=a',
        dataDir: 'd',
        metricsInterval: '250ms',
        logLevel: 'debug',
      },
      env,
      '/srv',
    );
    assert.equal(flags.agentId, 'edge-2');
    assert.deepEqual(flags.connected?.labels, { region: 'west', tier: '2', zone: 'a', rack: '01' });
    assert.equal(flags.dataDir, '/srv/d');
    assert.equal(flags.metricsIntervalMs, 250);
    assert.equal(flags.logLevel, 'debug');

    const defaults = compileAgentOptions({ id: 'edge-3' }, {}, '/srv');
    assert.deepEqual(
      [
        defaults.connected?.connection.master,
        defaults.connected?.connection.certPath,
        defaults.metricsIntervalMs,
      ],
      ['127.0.0.1:7070', '/srv/certs/agent-edge-3.crt', 5000],
    );
    assert.equal(defaults.logFormat, 'text');
  });

  it('agent standalone: no connection, the id falls back to the hostname', () => {
    const o = compileAgentOptions({ handlers: 'h.yaml', dataDir: 'd' }, { GOV_MASTER: 'ignored:1' }, '/srv');
    assert.equal(o.connected, null);
    assert.equal(o.handlersFile, '/srv/h.yaml');
    assert.equal(o.agentId, os.hostname());
  });

  it('agent: resource policies — agent-wide rules, the action budget and the control interval; bad ones named', () => {
    const base = { handlers: 'h.yaml', dataDir: 'd' };
    const dflt = compileAgentOptions(base, {}, '/srv');
    assert.deepEqual([dflt.policies, dflt.policyBudget, dflt.controlIntervalMs], [[], 10, 1000]);
    const cfg = config(
      'policy_budget: 3\ncontrol_interval: 500ms\npolicies:\n' +
        '  - name: memory-pressure\n' +
        '    when: {metric: host.memory.pressure.some, above: 10, for: 30s, clear_below: 2}\n' +
        '    do: {cool: on-demand, order: least-recently-used, max: 3}\n',
    );
    const fromFile = compileAgentOptions({ ...base, config: cfg }, {}, '/srv');
    assert.equal(fromFile.policyBudget, 3);
    assert.equal(fromFile.controlIntervalMs, 500);
    assert.equal(fromFile.policies.length, 1);
    assert.equal(fromFile.policies[0]!.name, 'memory-pressure');
    assert.deepEqual(fromFile.policies[0]!.do, { kind: 'cool', order: 'least-recently-used', max: 3 });
    const flags = compileAgentOptions(
      { ...base, config: cfg, policyBudget: '20', controlInterval: '2s' },
      {},
      '/srv',
    );
    assert.deepEqual([flags.policyBudget, flags.controlIntervalMs], [20, 2000]);
    const refused = (text: string, why: RegExp) =>
      assert.throws(() => compileAgentOptions({ ...base, config: config(text) }, {}, '/srv'), why);
    refused('policy_budget: 0\n', /settings\.yaml: policy_budget: must be an integer from 1 to 10000/);
    refused('policy_budget: lots\n', /policy_budget: must be an integer/);
    refused(
      'control_interval: 10ms\n',
      /settings\.yaml: control_interval: must be from 100ms to 1h, not 10ms/,
    );
    refused('control_interval: soon\n', /settings\.yaml: control_interval: /);
    refused(
      'policies:\n  - name: x\n    when: {metric: rsss, above: 1}\n    do: alert\n',
      /settings\.yaml: policies\[0\]\.when\.metric: .*rsss/,
    );
    const usage = (flag: Record<string, string>, why: RegExp) =>
      assert.throws(
        () => compileAgentOptions({ ...base, ...flag }, {}, '/srv'),
        (err: Error) => err instanceof UsageError && why.test(err.message),
      );
    usage({ policyBudget: '-1' }, /^--policy-budget must be an integer from 1 to 10000/);
    usage({ controlInterval: '1ms' }, /^--control-interval must be from 100ms to 1h/);
    usage({ controlInterval: 'x' }, /^--control-interval: /);
  });

  it('agent: its session’s autogroup nice from the config file or the flag (flag wins, off: left); bad values named', () => {
    const base = { handlers: 'h.yaml', dataDir: 'd' };
    const nice = (flags: Record<string, string>) =>
      compileAgentOptions({ ...base, ...flags }, {}, '/srv').autogroupNice;
    assert.equal(nice({}), -10, 'the default');
    assert.equal(nice({ config: config('autogroup_nice: -5\n') }), -5);
    assert.equal(nice({ config: config('autogroup_nice: off\n') }), null);
    assert.equal(nice({ config: config('autogroup_nice: off\n'), autogroupNice: '3' }), 3);
    assert.equal(nice({ autogroupNice: 'off' }), null);
    for (const bad of ['-21', '20', '1.5', 'high', ''])
      assert.throws(
        () => nice({ autogroupNice: bad }),
        (err: Error) =>
          err instanceof UsageError &&
          err.message === `--autogroup-nice must be an integer from -20 to 19, or off, not ${bad}`,
        bad,
      );
    for (const bad of ['-30', 'true', '"-5"'])
      assert.throws(
        () => nice({ config: config(`autogroup_nice: ${bad}\n`) }),
        /settings\.yaml: autogroup_nice: must be an integer from -20 to 19, or off, not /,
        bad,
      );
  });

  it('agent: boot concurrency from the config file or the flag (flag wins); bad values named', () => {
    const base = { handlers: 'h.yaml', dataDir: 'd' };
    assert.equal(compileAgentOptions(base, {}, '/srv').bootConcurrency, undefined, 'the default: 2 per CPU');
    const cfg = config('boot_concurrency: 0\n');
    assert.equal(compileAgentOptions({ ...base, config: cfg }, {}, '/srv').bootConcurrency, 0);
    assert.equal(
      compileAgentOptions({ ...base, config: cfg, bootConcurrency: '3' }, {}, '/srv').bootConcurrency,
      3,
    );
    assert.throws(
      () => compileAgentOptions({ ...base, config: config('boot_concurrency: -1\n') }, {}, '/srv'),
      /settings\.yaml: boot_concurrency: must be an integer from 0 \(not paced\) to 1000, not -1/,
    );
    assert.throws(
      () => compileAgentOptions({ ...base, config: config('boot_concurrency: many\n') }, {}, '/srv'),
      /settings\.yaml: boot_concurrency: must be an integer/,
    );
    assert.throws(
      () => compileAgentOptions({ ...base, bootConcurrency: '1.5' }, {}, '/srv'),
      (err: Error) =>
        err instanceof UsageError && /^--boot-concurrency must be an integer from 0/.test(err.message),
    );
  });

  it('agent: bad flags are usage errors naming the flag', () => {
    const cases: Array<[Parameters<typeof compileAgentOptions>[0], RegExp]> = [
      [{ handlers: 'h', master: 'm:1' }, /--handlers \(standalone\) and --master exclude each other/],
      [{ handlers: 'h' }, /--data-dir DIR is required/],
      [{ id: 'e', logLevel: 'loud' }, /--log-level must be one of debug, info, warn, error/],
      [{ id: 'e', metricsInterval: 'soon' }, /--metrics-interval: "soon"/],
      [{ id: 'e', labels: 'nope' }, /--labels: "nope" is not KEY=VALUE/],
      [{ id: 'Bad Id' }, /--id: "Bad Id" is not a valid agent id/],
      [{}, /--id ID is required/],
    ];
    for (const [flags, message] of cases)
      assert.throws(
        () => compileAgentOptions(flags, {}, '/srv'),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
  });

  it('master: env beats the config file for the certificates, flags beat env', () => {
    const cfg = config('ca: cfg-ca.crt\ncert: cfg.crt\nlisten: 127.0.0.1:7000\n');
    const env = { GOV_CA: '/env/ca.crt' };
    const o = resolveMasterOptions({ config: cfg }, env, '/srv');
    assert.deepEqual([o.ca, o.cert, o.listen], ['/env/ca.crt', '/srv/cfg.crt', '127.0.0.1:7000']);
    const f = resolveMasterOptions({ config: cfg, ca: 'flag-ca.crt', listen: '127.0.0.1:0' }, env, '/srv');
    assert.deepEqual([f.ca, f.listen], ['/srv/flag-ca.crt', '127.0.0.1:0']);
    assert.throws(
      () => resolveMasterOptions({ heartbeatGrace: 'soon' }, {}, '/srv'),
      (err: unknown) => err instanceof UsageError && /--heartbeat-grace: "soon"/.test(err.message),
    );
  });
});
