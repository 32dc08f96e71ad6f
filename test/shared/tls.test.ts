/** Connection settings resolution, certificate loading errors and channel options. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_MESSAGE_BYTES } from '../../shared/proto.js';
import {
  TlsConfigError,
  clientChannelOptions,
  hostOf,
  loadTlsMaterial,
  resolveConnection,
  serverOptions,
} from '../../shared/tls.js';
import { tempDir } from '../helpers/common.js';
import { testPki, type TestPki } from '../helpers/pki.js';

describe('TLS settings', function () {
  let pki: TestPki;
  before(async () => {
    pki = await testPki();
  });

  it('flags beat env beat defaults; relative paths resolve against cwd', () => {
    const cwd = '/srv/gov';
    const d = resolveConnection({}, {}, { certName: 'admin-admin' }, cwd);
    assert.deepEqual(d, {
      master: '127.0.0.1:7070',
      caPath: '/srv/gov/certs/ca.crt',
      certPath: '/srv/gov/certs/admin-admin.crt',
      keyPath: '/srv/gov/certs/admin-admin.key',
      cwd,
    });
    const env = { GOV_MASTER: 'm:1', GOV_CA: '/e/ca.crt', GOV_CERT: 'e.crt', GOV_KEY: '', GOV_X: 'y' };
    const e = resolveConnection({}, env, { certName: 'agent-edge-1' }, cwd);
    assert.equal(e.master, 'm:1');
    assert.equal(e.caPath, '/e/ca.crt');
    assert.equal(e.certPath, '/srv/gov/e.crt');
    assert.equal(e.keyPath, '/srv/gov/certs/agent-edge-1.key', 'empty env value means unset');
    const f = resolveConnection(
      { master: 'f:2', key: '/f.key' },
      env,
      { certName: 'x', certsDir: '/p' },
      cwd,
    );
    assert.equal(f.master, 'f:2');
    assert.equal(f.keyPath, '/f.key');
    assert.equal(f.certPath, '/srv/gov/e.crt');
  });

  it('the host of a master address: HOST:PORT, [V6]:PORT, a bare host, a bare IPv6 address', () => {
    assert.equal(hostOf('127.0.0.1:7070'), '127.0.0.1');
    assert.equal(hostOf('master.example:7070'), 'master.example');
    assert.equal(hostOf('master.example'), 'master.example');
    assert.equal(hostOf('[::1]:7070'), '::1');
    assert.equal(hostOf('[fe80::1]'), 'fe80::1');
    assert.equal(hostOf('::1'), '::1');
    assert.equal(hostOf('2001:db8::7'), '2001:db8::7');
  });

  it('loads a good set', () => {
    const s = resolveConnection({}, {}, { certName: 'admin-admin', certsDir: pki.dir }, '/');
    const m = loadTlsMaterial(s);
    assert.match(m.ca.toString(), /BEGIN CERTIFICATE/);
    assert.match(m.key.toString(), /BEGIN (RSA )?PRIVATE KEY/);
  });

  it('missing, non-PEM and mismatched files give errors that say what to do', () => {
    const cwd = tempDir();
    const s = resolveConnection({}, {}, { certName: 'admin-admin' }, cwd);
    assert.throws(
      () => loadTlsMaterial(s),
      (err: Error) =>
        err instanceof TlsConfigError &&
        err.message ===
          'cannot read CA certificate ./certs/ca.crt: no such file — run `gov certs init` or pass --ca',
    );
    mkdirSync(path.join(cwd, 'certs'));
    copyFileSync(path.join(pki.dir, 'ca.crt'), path.join(cwd, 'certs', 'ca.crt'));
    assert.throws(
      () => loadTlsMaterial(s),
      /cannot read certificate \.\/certs\/admin-admin\.crt: no such file.*--cert/,
    );
    writeFileSync(path.join(cwd, 'certs', 'admin-admin.crt'), 'hello');
    assert.throws(
      () => loadTlsMaterial(s),
      /certificate \.\/certs\/admin-admin\.crt is not a PEM certificate/,
    );
    copyFileSync(pki.paths('admin-admin').cert, path.join(cwd, 'certs', 'admin-admin.crt'));
    copyFileSync(pki.paths('viewer-viewer').key, path.join(cwd, 'certs', 'admin-admin.key'));
    assert.throws(
      () => loadTlsMaterial(s),
      /private key \.\/certs\/admin-admin\.key does not belong to certificate \.\/certs\/admin-admin\.crt/,
    );
    const outside = resolveConnection({ ca: '/nonexistent/ca.crt' }, {}, { certName: 'x' }, cwd);
    assert.throws(
      () => loadTlsMaterial(outside),
      /cannot read CA certificate \/nonexistent\/ca\.crt: no such file/,
    );
  });

  it('keepalive on both ends notices a hung peer within ~10 s; message limits match the proto', () => {
    const c = clientChannelOptions();
    const sum = (c['grpc.keepalive_time_ms'] as number) + (c['grpc.keepalive_timeout_ms'] as number);
    assert.ok(sum <= 10_000, `client detects in ${sum} ms`);
    assert.equal(c['grpc.keepalive_permit_without_calls'], 1);
    assert.equal(c['grpc.max_receive_message_length'], MAX_MESSAGE_BYTES);
    assert.equal(c['grpc.use_local_subchannel_pool'], undefined);
    assert.equal(clientChannelOptions({ separateConnection: true })['grpc.use_local_subchannel_pool'], 1);
    const s = serverOptions();
    assert.ok((s['grpc.keepalive_time_ms'] as number) + (s['grpc.keepalive_timeout_ms'] as number) <= 10_000);
    assert.ok(
      (s['grpc.http2.min_ping_interval_without_data_ms'] as number) < (c['grpc.keepalive_time_ms'] as number),
    );
    assert.equal(s['grpc.max_send_message_length'], MAX_MESSAGE_BYTES);
    assert.deepEqual(s.interceptors, []);
  });
});
