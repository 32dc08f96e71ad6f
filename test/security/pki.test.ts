/** The dev PKI: files, modes, subjects, chains, SANs, name rules, CA reuse, and `gov certs`. */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CliIO } from '../../shared/cli-io.js';
import { PkiError, initPki, issueCert, readIdentity } from '../../shared/pki.js';
import { certsCommand } from '../../master/cli/certs.js';
import { tempDir } from '../helpers/common.js';
import { testPki, type TestPki } from '../helpers/pki.js';

function x509(file: string): X509Certificate {
  return new X509Certificate(readFileSync(file));
}
function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('security: PKI', function () {
  let pki: TestPki;
  before(async () => {
    pki = await testPki();
  });

  it('writes every file of DESIGN §6 with keys 0600', () => {
    const names = ['ca', 'master', 'agent-edge-1', 'agent-edge-2', 'admin-admin', 'viewer-viewer'];
    for (const n of names) {
      assert.ok(existsSync(path.join(pki.dir, `${n}.crt`)), `${n}.crt`);
      assert.equal(mode(path.join(pki.dir, `${n}.key`)), 0o600, `${n}.key mode`);
      assert.equal(mode(path.join(pki.dir, `${n}.crt`)), 0o644, `${n}.crt mode`);
    }
  });

  it('puts the role in OU and the name in CN', () => {
    assert.deepEqual(readIdentity(pki.pem(pki.paths('agent-edge-1').cert)), { cn: 'edge-1', ou: 'agent' });
    assert.deepEqual(readIdentity(pki.pem(pki.paths('admin-admin').cert)), { cn: 'admin', ou: 'admin' });
    assert.deepEqual(readIdentity(pki.pem(pki.paths('viewer-viewer').cert)), { cn: 'viewer', ou: 'viewer' });
    assert.deepEqual(readIdentity(pki.pem(pki.paths('master').cert)), { cn: 'governor-master', ou: '' });
    assert.throws(() => readIdentity('garbage'), /not a PEM certificate/);
  });

  it('chains every certificate to its CA and not to the other one', () => {
    const ca = x509(path.join(pki.dir, 'ca.crt'));
    const wrongCa = x509(path.join(pki.wrongDir, 'ca.crt'));
    assert.ok(ca.ca, 'CA has basicConstraints CA:TRUE');
    assert.ok(ca.verify(ca.publicKey), 'CA is self-signed');
    for (const pair of ['master', 'agent-edge-1', 'agent-edge-2', 'admin-admin', 'viewer-viewer'] as const) {
      const leaf = x509(pki.paths(pair).cert);
      assert.equal(leaf.ca, false, `${pair} is not a CA`);
      assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), `${pair} signed by the CA`);
      assert.equal(leaf.verify(wrongCa.publicKey), false, `${pair} not signed by the wrong CA`);
      assert.ok(leaf.checkPrivateKey(createKey(pki.paths(pair).key)), `${pair} key matches`);
    }
    assert.equal(x509(pki.paths('admin-admin', true).cert).verify(ca.publicKey), false);
  });

  it('gives the master serverAuth and its SANs, clients clientAuth', () => {
    const master = x509(pki.paths('master').cert);
    assert.deepEqual(master.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(master.checkHost('localhost'));
    assert.ok(master.checkIP('127.0.0.1'));
    assert.ok(master.checkIP('::1'));
    assert.equal(master.checkHost('evil.example'), undefined);
    assert.deepEqual(x509(pki.paths('agent-edge-1').cert).keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  it('adds --host names and IPs as SANs, and keeps valid certificates on a second init', async () => {
    const dir = path.join(tempDir(), 'certs');
    const first = await initPki({ dir, hosts: ['gov.example.com', '10.1.2.3'] });
    const master = x509(first.master.cert);
    assert.ok(master.checkHost('gov.example.com'));
    assert.ok(master.checkIP('10.1.2.3'));
    assert.deepEqual(
      first.clients.map((c) => [path.basename(c.cert), c.action]),
      [['admin-admin.crt', 'created']],
      'no --admin makes admin-admin',
    );
    const caBefore = readFileSync(first.ca.cert, 'utf8');
    const again = await initPki({ dir, hosts: ['gov.example.com'], agents: ['edge-9'] });
    assert.equal(again.ca.action, 'kept');
    assert.equal(readFileSync(again.ca.cert, 'utf8'), caBefore, 'CA never replaced');
    assert.equal(again.master.action, 'kept');
    assert.deepEqual(
      again.clients.map((c) => [c.name, c.action]),
      [
        ['edge-9', 'created'],
        ['admin', 'kept'],
      ],
    );
    const third = await initPki({ dir, hosts: ['other.example.com'] });
    assert.equal(third.master.action, 'replaced', 'a new host needs a new master cert');
    assert.ok(x509(third.master.cert).checkIssued(x509(first.ca.cert)));
  });

  it('refuses a half-present CA instead of replacing it', async () => {
    const dir = tempDir();
    await initPki({ dir });
    unlinkSync(path.join(dir, 'ca.key'));
    await assert.rejects(initPki({ dir }), (err: Error) => {
      assert.ok(err instanceof PkiError);
      assert.match(err.message, /incomplete CA .*ca\.key is missing/);
      return true;
    });
  });

  it('refuses bad names and hosts with the rule', async () => {
    const dir = tempDir();
    await assert.rejects(initPki({ dir, agents: ['Edge_1'] }), /invalid agent name "Edge_1": must match/);
    await assert.rejects(initPki({ dir, admins: ['-x'] }), /invalid admin name "-x"/);
    await assert.rejects(initPki({ dir, hosts: ['bad host'] }), /invalid --host "bad host"/);
    await assert.rejects(issueCert({ dir, role: 'viewer', name: 'a'.repeat(64) }), /invalid viewer name/);
    await assert.rejects(issueCert({ dir, role: 'agent', name: '../x' }), /invalid agent name/);
    assert.equal(existsSync(path.join(dir, 'ca.crt')), false, 'nothing written for refused input');
  });

  it('issue needs the CA, refuses to overwrite without force', async () => {
    const empty = tempDir();
    await assert.rejects(issueCert({ dir: empty, role: 'agent', name: 'edge-1' }), (err: Error) => {
      assert.ok(err instanceof PkiError);
      assert.match(err.message, /no CA in .* run `gov certs init` first/);
      return true;
    });
    const dir = tempDir();
    await initPki({ dir });
    const w = await issueCert({ dir, role: 'viewer', name: 'ops' });
    assert.equal(w.action, 'created');
    assert.deepEqual(readIdentity(readFileSync(w.cert, 'utf8')), { cn: 'ops', ou: 'viewer' });
    assert.equal(mode(w.key), 0o600);
    await assert.rejects(issueCert({ dir, role: 'viewer', name: 'ops' }), /already exists — pass --force/);
    writeFileSync(w.key, 'x', { mode: 0o644 });
    const again = await issueCert({ dir, role: 'viewer', name: 'ops', force: true });
    assert.equal(again.action, 'replaced');
    assert.equal(mode(w.key), 0o600, 'chmod 0600 even when the key file existed');
  });
});

describe('security: gov certs', function () {
  function io(cwd: string): CliIO & { stdout: string; stderr: string } {
    const r = {
      stdout: '',
      stderr: '',
      env: {},
      cwd,
      isTTY: false,
      out: (t: string) => void (r.stdout += t),
      err: (t: string) => void (r.stderr += t),
    };
    return r;
  }

  it('init writes the default set under ./certs and prints it; issue adds one', async () => {
    const cwd = tempDir();
    const a = io(cwd);
    const code = await certsCommand.run(
      ['init', '--agent', 'edge-1', '--viewer', 'ro', '--host', 'gov.lan'],
      a,
    );
    assert.equal(code, 0, a.stderr);
    for (const f of ['ca', 'master', 'agent-edge-1', 'admin-admin', 'viewer-ro']) {
      assert.match(a.stdout, new RegExp(`created +certs/${f}\\.crt +certs/${f}\\.key`));
    }
    const b = io(cwd);
    assert.equal(await certsCommand.run(['issue', 'agent', 'edge-2'], b), 0, b.stderr);
    assert.match(b.stdout, /created +certs\/agent-edge-2\.crt/);
    assert.equal(mode(path.join(cwd, 'certs', 'agent-edge-2.key')), 0o600);
  });

  it('exits 2 on usage errors and 1 on failures', async () => {
    const cwd = tempDir();
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /missing subcommand/],
      [['frob'], 2, /unknown subcommand "frob"/],
      [['init', '--bogus'], 2, /bogus/],
      [['init', '--agent', 'BAD'], 2, /invalid agent name "BAD"/],
      [['issue', 'root', 'x'], 2, /unknown role "root"/],
      [['issue', 'agent'], 2, /expected a role and a NAME/],
      [['issue', 'agent', 'edge-1'], 1, /no CA in .*gov certs init/],
    ];
    for (const [args, want, re] of cases) {
      const r = io(cwd);
      assert.equal(await certsCommand.run(args, r), want, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal(existsSync(path.join(cwd, 'certs', 'ca.crt')), false);
  });
});

function createKey(file: string) {
  return createPrivateKey(readFileSync(file));
}
