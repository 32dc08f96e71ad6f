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
  });
});
