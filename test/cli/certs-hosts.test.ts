/**
 * `gov certs init --host` repeated: the one master certificate (shared by the masters of an HA cluster) is
 * valid for every master address given — a TLS client checking any of those names accepts it, another
 * name is refused — and adding a master later with another `--host` keeps the names already there.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { main } from '../../master/cli/gov-program.js';
import { loadProtos } from '../../shared/proto.js';
import { clientConnection, loadTlsMaterial } from '../../shared/tls.js';
import { tempDir } from '../helpers/common.js';
import { captureIO } from './fake-admin.js';
import { StubMaster } from './stub-masters.js';

describe('gov certs init --host, repeated (HA masters)', () => {
  let cwd: string;
  const certs = () => path.join(cwd, 'certs');
  const pair = (name: string) =>
    loadTlsMaterial({
      caPath: path.join(certs(), 'ca.crt'),
      certPath: path.join(certs(), `${name}.crt`),
      keyPath: path.join(certs(), `${name}.key`),
      cwd,
    });
  const covers = (host: string) => {
    const x = new X509Certificate(readFileSync(path.join(certs(), 'master.crt')));
    return /^[\d.]+$/.test(host) ? x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
  };

  before(async () => {
    cwd = tempDir();
    const io = captureIO({ cwd });
    const code = await main(
      ['certs', 'init', '--host', 'm1.example', '--host', 'm2.example', '--host', '10.0.0.3'],
      io,
    );
    assert.equal(code, 0, io.stderr);
  });

  it('the master certificate names every --host (and the loopback defaults)', () => {
    for (const h of ['m1.example', 'm2.example', '10.0.0.3', 'localhost', '127.0.0.1'])
      assert.ok(covers(h), h);
    assert.ok(!covers('m9.example'));
  });

  it('a client checking any master name completes the TLS handshake; another name is refused', async () => {
    const stub = await StubMaster.start(pair('master'));
    try {
      const call = (name: string) =>
        new Promise<grpc.ServiceError | null>((resolve) => {
          const c = clientConnection(stub.address, pair('admin-admin'), { serverNameOverride: name });
          const { admin } = loadProtos();
          const client = new admin.governor.v1.Admin(c.target, c.credentials, c.options);
          client.GetStats({}, { deadline: Date.now() + 10_000 }, (err) => {
            client.close();
            resolve(err);
          });
        });
      for (const name of ['m1.example', 'm2.example']) {
        const err = await call(name);
        assert.equal(err?.code, grpc.status.UNIMPLEMENTED, `${name}: the stub answered (${err?.details})`);
      }
      const other = await call('m9.example');
      assert.equal(other?.code, grpc.status.UNAVAILABLE);
      assert.match(other?.details ?? '', /m9\.example|altname|certificate/i);
    } finally {
      stub.stop();
    }
  });

  it('adding a master later (--host m4.example) re-issues the certificate keeping the names it had', async () => {
    const io = captureIO({ cwd });
    assert.equal(await main(['certs', 'init', '--host', 'm4.example'], io), 0, io.stderr);
    assert.match(io.stdout, /master\.crt.*replaced|replaced.*master\.crt/);
    for (const h of ['m1.example', 'm2.example', '10.0.0.3', 'm4.example']) assert.ok(covers(h), h);
  });
});
