/** The `gov` dispatcher: help, version, unknown commands, daemon dispatch, and the built binary itself. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CliIO } from '../../shared/cli-io.js';
import { main } from '../../master/cli/gov-program.js';
import { initPki } from '../../shared/pki.js';
import { GOV_BIN, REPO_ROOT, tempDir, trackPid, waitFor } from '../helpers/common.js';
import { FakeAdmin, captureIO } from './fake-admin.js';

const ALL_COMMANDS = [
  'master',
  'agent',
  'dev',
  'certs',
  'apply',
  'delete',
  'agents',
  'ps',
  'start',
  'stop',
  'restart',
  'ensure',
  'signal',
  'metrics',
  'executions',
  'stats',
  'logs',
  'events',
  'top',
];

const run = promisify(execFile);

/** Runs the built binary; resolves with the exit code and output (never rejects on a non-zero exit). */
async function runBin(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [GOV_BIN, ...args], {
      cwd,
      timeout: 20_000,
      env: {},
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A loopback port with nothing listening: bind port 0, note it, close. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('gov dispatcher', () => {
  it('help (no args, help, --help) lists every command and exits 0', async () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) {
      const io = captureIO();
      assert.equal(await main(argv, io, { connect: new FakeAdmin().connect }), 0);
      for (const name of ALL_COMMANDS) assert.match(io.stdout, new RegExp(`^  ${name} +\\S`, 'm'), name);
      assert.match(io.stdout, /Exit codes: 0 success, 1 the operation failed, 2 usage error/);
    }
  });

  it('help COMMAND prints that command usage', async () => {
    const io = captureIO();
    assert.equal(await main(['help', 'ps'], io), 0);
    assert.match(
      io.stdout,
      /^usage: gov ps \[TARGET\.\.\.\] \[--all\] \[--selector K=V,\.\.\.\]\.\.\. \[--agent ID\]\.\.\. \[--json\]/,
    );
    assert.match(io.stdout, /--master HOST:PORT/);
    const io2 = captureIO();
    assert.equal(await main(['help', 'master'], io2), 0);
    assert.match(io2.stdout, /^usage: gov master/);
  });

  it('unknown commands and leading flags exit 2 with a pointer to help', async () => {
    for (const argv of [['frobnicate'], ['--master', 'x:1', 'ps'], ['help', 'nope']]) {
      const io = captureIO();
      assert.equal(await main(argv, io), 2);
      assert.match(io.stderr, /^error: unknown (command|flag) "[^"]+"/);
      assert.match(io.stderr, /gov help/);
    }
  });

  it('flags may stand before a subcommand of rollout, agents and executions (never taken for it)', async () => {
    for (const argv of [
      ['rollout', '--json', 'status'],
      ['rollout', '--on-failure', 'pause', 'restart', 'web'],
      ['agents', '--json', 'revoke', 'edge-1'],
      ['executions', '--json', 'clear'],
    ]) {
      const io = captureIO();
      // Parsed as the subcommand's own flags: the command gets as far as reading the CA file.
      assert.equal(await main([...argv, '--ca', '/nonexistent/ca.crt'], io), 1, io.stderr);
      assert.match(io.stderr, /cannot read CA certificate \/nonexistent\/ca\.crt/);
    }
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const io = captureIO();
    assert.equal(await main(['--version'], io), 0);
    assert.equal(io.stdout, `gov ${pkg.version}\n`);
  });

  it('dispatches master, agent, dev and certs with the remaining arguments', async () => {
    const seen: Array<[string, string[]]> = [];
    const stub = (name: string) => async (args: string[], _io: CliIO) => {
      seen.push([name, args]);
      return 7;
    };
    const deps = {
      runMaster: stub('master'),
      runAgent: stub('agent'),
      runDev: stub('dev'),
      certs: { name: 'certs', summary: 's', usage: 'u', run: stub('certs') },
    };
    for (const name of ['master', 'agent', 'dev', 'certs']) {
      assert.equal(await main([name, '--x', 'y'], captureIO(), deps), 7);
    }
    assert.deepEqual(seen, [
      ['master', ['--x', 'y']],
      ['agent', ['--x', 'y']],
      ['dev', ['--x', 'y']],
      ['certs', ['--x', 'y']],
    ]);
  });

  it('loads the agent at run time (no static master → agent import)', async () => {
    const io = captureIO();
    // An unknown flag: the real runAgent refuses it as a usage error without starting anything.
    assert.equal(await main(['agent', '--no-such-flag'], io), 2);
    assert.match(io.stderr, /no-such-flag/);
    const src = readFileSync(path.join(REPO_ROOT, 'master', 'cli', 'gov.ts'), 'utf8');
    assert.doesNotMatch(src, /from ['"][./]*agent\//);
  });
});

describe('gov binary (dist/master/cli/gov.js)', () => {
  it('--help exits 0 and lists the commands', async () => {
    const r = await runBin(['--help'], tempDir());
    assert.equal(r.code, 0, r.stderr);
    for (const name of ALL_COMMANDS) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
    assert.equal(r.stderr, '');
  });

  it('a usage error exits 2', async () => {
    const r = await runBin(['executions', '--limit', 'lots'], tempDir());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--limit "lots"/);
    assert.match(r.stderr, /usage: gov executions/);
  });

  it('gov ps against a port with nothing listening exits 1: cannot reach master', async () => {
    const cwd = tempDir();
    await initPki({ dir: path.join(cwd, 'certs') });
    const port = await closedPort();
    const r = await runBin(['ps', '--master', `127.0.0.1:${port}`], cwd);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^error: cannot reach master at 127\\.0\\.0\\.1:${port}: connection refused`),
    );
    assert.match(r.stderr, /pass --master or set GOV_MASTER/);
    assert.doesNotMatch(r.stderr, /Warning/, 'no Node warnings on stderr');
    assert.equal(r.stdout, '');
  });

  /**
   * Runs `fn` with certificates in a temp cwd and a "master" at `port` that accepts and holds every connection and
   * says nothing (a hung or SIGSTOPped master: the kernel still accepts); `held` are the connections it took.
   */
  async function withSilentMaster(
    fn: (cwd: string, port: number, held: readonly net.Socket[]) => Promise<void>,
  ): Promise<void> {
    const cwd = tempDir();
    await initPki({ dir: path.join(cwd, 'certs') });
    const held: net.Socket[] = [];
    const silent = net.createServer((sock) => void held.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      await fn(cwd, (silent.address() as net.AddressInfo).port, held);
    } finally {
      for (const sock of held) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }

  it('a master that takes the connection but never answers TLS: the binary says so and exits 1, not hangs', () =>
    withSilentMaster(async (cwd, port) => {
      for (const args of [['ps'], ['stop', 'web']]) {
        // --timeout bounds its rounds of tries (three of 5 s each by default).
        const r = await runBin([...args, '--master', `127.0.0.1:${port}`, '--timeout', '2s'], cwd);
        assert.equal(r.code, 1, `gov ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^error: (cannot reach )?master at 127\\.0\\.0\\.1:${port}`));
      }
    }));

  it('Ctrl-C ends a command that waits on a master that never answers (the signal is not swallowed)', () =>
    withSilentMaster(async (cwd, port, held) => {
      const child = spawn(process.execPath, [GOV_BIN, 'ps', '--master', `127.0.0.1:${port}`], {
        cwd,
        env: {},
        stdio: 'ignore',
      });
      const pid = child.pid!;
      trackPid(pid);
      try {
        // It is past its start-up and waiting on the master (its default tries last 15 s).
        await waitFor(() => held.length > 0, { timeoutMs: 10_000, what: 'gov ps connected' });
        process.kill(pid, 'SIGINT');
        await waitFor(() => child.exitCode !== null || child.signalCode !== null, {
          timeoutMs: 5000,
          what: 'gov ps to end on SIGINT (well within its 15 s of tries)',
        });
        assert.equal(child.signalCode, 'SIGINT');
      } finally {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }
    }));

  it('gov ps without certificates exits 1 and says how to make them', async () => {
    const r = await runBin(['ps'], tempDir());
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /cannot read CA certificate \.\/certs\/ca\.crt: no such file — run `gov certs init`/,
    );
  });
});
