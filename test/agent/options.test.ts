/**
 * The daemons' options are resolved in one place each (agent/options.ts, master/options.ts): flags beat
 * env, env beats the config file, the config file beats the defaults; bad flags are usage errors naming
 * the flag.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileAgentOptions } from '../../agent/options.js';
import { resolveMasterOptions } from '../../master/options.js';
import { UsageError } from '../../shared/cli-io.js';
import { tempDir } from '../helpers/common.js';

function config(text: string): string {
  const f = path.join(tempDir(), 'settings.yaml');
  writeFileSync(f, text);
  return f;
}

describe('daemon options: flags > env > config file > defaults', () => {
  it('agent: connection, id, labels, data dir and intervals', () => {
    const cfg = config(
      'id: edge-1\nmaster: cfg:7070\nca: cfg-ca.crt\ncert: cfg.crt\nkey: cfg.key\nlabels: {region: west, tier: 1}\n' +
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
    assert.deepEqual(fromFile.connected?.labels, { region: 'west', tier: '1' });
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
    assert.equal(flags.connected?.connection.master, 'flag:7070');
    assert.deepEqual(flags.connected?.labels, { region: 'west', tier: '2', zone: 'a' });
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
