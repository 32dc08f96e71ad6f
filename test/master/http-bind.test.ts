/**
 * The plaintext HTTP endpoint stays on this machine unless the operator says otherwise: a non-loopback
 * `--http` (0.0.0.0, ::, a LAN address, a name) is refused naming `--http-insecure`; with it (flag or
 * settings key `http_insecure`) the master serves it and logs a loud warning.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DistributedGovernor } from '../../master/governor.js';
import { runMaster } from '../../master/main.js';
import { compileMasterOptions, readMasterConfig } from '../../master/options.js';
import { Logger } from '../../shared/logger.js';
import { tempDir } from '../helpers/common.js';
import { testPki } from '../helpers/pki.js';

async function certs() {
  const pki = await testPki();
  return {
    ca: path.join(pki.dir, 'ca.crt'),
    cert: path.join(pki.dir, 'master.crt'),
    key: path.join(pki.dir, 'master.key'),
  };
}

describe('master HTTP endpoint: loopback unless --http-insecure', () => {
  it('refuses a non-loopback --http, naming the flag and the settings key', () => {
    for (const http of ['0.0.0.0:7071', '[::]:7071', ':7071', '192.168.1.10:7071', 'governor.lan:7071']) {
      assert.throws(
        () => compileMasterOptions({ http }, '/srv', 'gov master'),
        (err: Error) =>
          err.message.includes(`--http ${http}`) &&
          err.message.includes('--http-insecure') &&
          err.message.includes('http_insecure'),
        `--http ${http} must be refused`,
      );
    }
    for (const http of ['127.0.0.1:7071', '127.0.0.2:0', '[::1]:7071', 'localhost:7071', 'off']) {
      assert.equal(compileMasterOptions({ http }, '/srv').http, http, `--http ${http} is loopback`);
    }
  });

  it('accepts it with --http-insecure or `http_insecure: true`, and refuses a non-boolean setting', () => {
    assert.equal(
      compileMasterOptions({ http: '0.0.0.0:7071', http_insecure: true }, '/srv').httpInsecure,
      true,
    );
    const dir = tempDir();
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'http: 0.0.0.0:7071\nhttp_insecure: true\n');
    assert.equal(compileMasterOptions(readMasterConfig(good), '/srv', good).http, '0.0.0.0:7071');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'http: 0.0.0.0:7071\nhttp_insecure: "yes"\n');
    assert.throws(
      () => compileMasterOptions(readMasterConfig(bad), '/srv', bad),
      new RegExp(`${bad}: http_insecure: must be true or false`),
    );
  });

  it('`gov master --http 0.0.0.0:0` exits 1 before binding anything, and says which flag allows it', async () => {
    const c = await certs();
    let err = '';
    const code = await runMaster(
      [
        '--listen',
        '127.0.0.1:0',
        '--http',
        '0.0.0.0:0',
        '--data-dir',
        tempDir(),
        '--ca',
        c.ca,
        '--cert',
        c.cert,
        '--key',
        c.key,
      ],
      { out: () => {}, err: (t) => (err += t), env: {}, cwd: tempDir(), isTTY: false },
    );
    assert.equal(code, 1);
    assert.match(err, /--http 0\.0\.0\.0:0 \(http\): binds a non-loopback address.*--http-insecure/);
  });

  it('with --http-insecure it serves on all interfaces and logs a loud warning', async () => {
    let logged = '';
    const logger = new Logger('', { level: 'info', sink: { write: (t: string) => (logged += t) } });
    const options = compileMasterOptions(
      {
        listen: '127.0.0.1:0',
        http: '0.0.0.0:0',
        http_insecure: true,
        data_dir: tempDir(),
        ...(await certs()),
      },
      '/',
    );
    const governor = await DistributedGovernor.create(options, logger);
    try {
      await governor.listen();
      assert.equal(await (await fetch(`http://127.0.0.1:${governor.httpPort}/healthz`)).text(), 'ok\n');
      assert.match(
        logged,
        /WARN .*INSECURE: the HTTP endpoint is served on 0\.0\.0\.0:0.*without authentication/,
      );
    } finally {
      await governor.shutdown();
    }
    let quiet = '';
    const loopback = await DistributedGovernor.create(
      compileMasterOptions({ listen: '127.0.0.1:0', data_dir: tempDir(), ...(await certs()) }, '/'),
      new Logger('', { level: 'info', sink: { write: (t: string) => (quiet += t) } }),
    );
    try {
      await loopback.listen();
      assert.doesNotMatch(quiet, /INSECURE/, 'no warning on loopback');
    } finally {
      await loopback.shutdown();
    }
  });
});
