/** Daemon settings files and option compilation: bad settings are refused by file, key and reason. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readAgentConfig } from '../../agent/options.js';
import { UsageError } from '../../shared/cli-io.js';
import { compileMasterOptions, readMasterConfig, resolveMasterOptions } from '../../master/options.js';
import { tempDir } from '../helpers/common.js';

function file(text: string): string {
  const f = path.join(tempDir(), 'settings.yaml');
  writeFileSync(f, text);
  return f;
}

describe('settings files and options', () => {
  it('reads a master config and compiles durations to ms with defaults', () => {
    const f = file('listen: 0.0.0.0:7070\nheartbeat_interval: 500ms\nexecution_log_size: 50\n');
    const opts = compileMasterOptions(readMasterConfig(f), '/srv');
    assert.equal(opts.listen, '0.0.0.0:7070');
    assert.equal(opts.heartbeatIntervalMs, 500);
    assert.equal(opts.heartbeatGraceMs, 1500);
    assert.equal(opts.executionLogSize, 50);
    assert.equal(opts.http, '127.0.0.1:7071');
    assert.equal(opts.ca, '/srv/certs/ca.crt');
  });

  it('refuses unknown keys, bad durations, bad sizes and a non-map file, naming file and key', () => {
    const unknown = file('listen: x\nlisen: y\n');
    assert.throws(() => readMasterConfig(unknown), new RegExp(`${unknown}: lisen: unknown key`));
    assert.throws(
      () => compileMasterOptions({ heartbeat_interval: '2x' }, '/', 'm.yaml'),
      /m\.yaml: heartbeat_interval: "2x" is not a duration/,
    );
    assert.throws(() => compileMasterOptions({ execution_log_size: 0 }, '/', 'm.yaml'), /execution_log_size/);
    assert.throws(() => readMasterConfig(file('- a\n- b\n')), /must be a map of settings/);
    assert.throws(() => readMasterConfig(file('a: [\n')), /settings\.yaml: /);
  });

  it('metrics_instances bounds the per-instance series: default 10000, a setting or --metrics-instances, bad values refused by name', () => {
    assert.equal(compileMasterOptions({}, '/').metricsInstances, 10_000);
    assert.equal(
      compileMasterOptions(readMasterConfig(file('metrics_instances: 20\n')), '/').metricsInstances,
      20,
    );
    assert.equal(resolveMasterOptions({ metricsInstances: '0' }, {}, '/').metricsInstances, 0);
    for (const bad of [-1, 1.5, 2_000_000, 'x'])
      assert.throws(
        () => compileMasterOptions({ metrics_instances: bad as number }, '/', 'm.yaml'),
        /m\.yaml: metrics_instances: .* must be an integer from 0 to 1000000/,
      );
    for (const bad of ['-1', 'ten', '1e3', '2000000'])
      assert.throws(
        () => resolveMasterOptions({ metricsInstances: bad }, {}, '/'),
        (err: unknown) => err instanceof UsageError && /--metrics-instances/.test(err.message),
      );
  });

  it('reads an agent config with labels and refuses unknown keys', () => {
    const cfg = readAgentConfig(file('id: edge-1\nlabels: {region: west, tier: 2}\n'));
    assert.equal(cfg.id, 'edge-1');
    assert.deepEqual(cfg.labels, { region: 'west', tier: '2' });
    assert.throws(() => readAgentConfig(file('idd: edge-1\n')), /idd: unknown key \(allowed: id, master/);
    assert.throws(() => readAgentConfig(file('labels: [a]\n')), /labels: must be a map of strings/);
    // The rule of a handler's labels: no prototype slot, no empty value read as "null".
    assert.throws(() => readAgentConfig(file('labels: {__proto__: x}\n')), /labels\.__proto__: is not a key/);
    assert.throws(() => readAgentConfig(file('labels: {empty: }\n')), /labels\.empty: must be a string/);
  });
});

describe('master store and HA options', () => {
  const etcd = ['--store', 'etcd', '--etcd-endpoints', 'http://127.0.0.1:2379'];
  /** `gov master` flags as commander hands them over. */
  function flags(args: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < args.length; i += 2) {
      const name = (args[i] as string).slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      out[name] = args[i + 1] as string;
    }
    return out;
  }

  it('defaults to the file store; etcd compiles endpoints, prefix, lease, advertise and id', () => {
    const file = compileMasterOptions({}, '/srv').ha;
    assert.equal(file.store, 'file');
    assert.equal(file.etcd, null);
    assert.equal(file.leaseTtlMs, 5000);
    const ha = resolveMasterOptions(
      flags([
        ...etcd,
        '--etcd-prefix',
        '/prod',
        '--lease-ttl',
        '3s',
        '--listen',
        '10.0.0.5:7070',
        '--master-id',
        'm-1',
      ]),
      {},
      '/srv',
    ).ha;
    assert.deepEqual(ha, {
      store: 'etcd',
      etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/prod/' },
      leaseTtlMs: 3000,
      advertise: '10.0.0.5:7070',
      masterId: 'm-1',
    });
    const tls = compileMasterOptions(
      {
        store: 'etcd',
        etcd_endpoints: ['https://e1:2379', 'https://e2:2379'],
        etcd_ca: 'ca.pem',
        etcd_cert: 'c.pem',
        etcd_key: 'k.pem',
        listen: '0.0.0.0:7070',
        advertise: 'm1.example.com:7070',
      },
      '/srv',
    ).ha;
    assert.deepEqual(tls.etcd, {
      endpoints: ['https://e1:2379', 'https://e2:2379'],
      prefix: '/governor/',
      ca: '/srv/ca.pem',
      cert: '/srv/c.pem',
      key: '/srv/k.pem',
    });
    assert.equal(tls.advertise, 'm1.example.com:7070');
  });

  it('refuses bad store and HA flags as usage errors naming the flag, and settings keys naming file and key', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--store', 'sql'], /--store: "sql" must be file or etcd/],
      [['--store', 'etcd'], /--etcd-endpoints: required with --store etcd/],
      [['--etcd-endpoints', 'http://a:1'], /--etcd-endpoints: only with --store etcd/],
      [[...etcd.slice(0, 3), 'ftp://a:1'], /--etcd-endpoints: "ftp:\/\/a:1" must be http/],
      [[...etcd.slice(0, 3), 'http://a:1,https://b:2'], /mixes http:\/\/ and https:\/\//],
      [[...etcd, '--etcd-ca', 'ca.pem'], /--etcd-ca: the etcd endpoints are http:\/\//],
      [[...etcd, '--lease-ttl', '1500ms'], /--lease-ttl: "1500ms" must be whole seconds from 2s/],
      [[...etcd, '--lease-ttl', '1s'], /--lease-ttl/],
      [[...etcd, '--lease-ttl', 'soon'], /--lease-ttl: "soon" is not a duration/],
      [[...etcd, '--advertise', '0.0.0.0:7070'], /--advertise: "0\.0\.0\.0:7070" must be HOST:PORT/],
      [[...etcd, '--advertise', 'host:0'], /--advertise/],
      [
        [...etcd, '--listen', '0.0.0.0:7070'],
        /--advertise: required with --store etcd when --listen 0\.0\.0\.0:7070/,
      ],
      [[...etcd, '--master-id', 'a/b'], /--master-id: "a\/b" must be 1 to 128/],
      // Without the leading '/', the master started and then failed to lead forever (the store refuses it).
      [[...etcd, '--etcd-prefix', 'governor'], /--etcd-prefix: "governor" must start with '\/'/],
    ];
    for (const [args, re] of bad)
      assert.throws(
        () => resolveMasterOptions(flags(args), {}, '/'),
        (err: unknown) => err instanceof UsageError && re.test(err.message),
        args.join(' '),
      );
    const f = file('store: etcd\netcd_endpoints: [http://a:1]\nlease_ttl: 0.5\n');
    assert.throws(
      () => resolveMasterOptions({ config: f }, {}, '/'),
      (err: unknown) =>
        !(err instanceof UsageError) &&
        new RegExp(`${f}: lease_ttl: 0\\.5 must be whole seconds`).test(String(err)),
    );
    assert.throws(() => readMasterConfig(file('stor: etcd\n')), /stor: unknown key/);
  });
});
