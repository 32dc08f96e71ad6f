/**
 * Data dirs and logs are private whatever the umask, and never written, rotated or read through a
 * symlink: a real supervisor (and master store) under umask 000, planted symlinks at log paths.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { rotateIfNeeded } from '../../agent/process/log-rotation.js';
import { Supervisor, type InstanceStatus } from '../../agent/supervisor/supervisor.js';
import { MASTER_STATE_FILE, openMasterStore } from '../../master/state/store.js';
import { EXECUTION_JOURNAL_FILE } from '../../master/state/execution-journal.js';
import { ExecutionLog } from '../../master/state/execution-log.js';
import { lockDataDir } from '../../shared/lock.js';
import { tailLines } from '../../shared/log-tail.js';
import { MAX_LOG_KEEP, parseHandler, type HandlerSpec } from '../../shared/spec.js';
import { fixture, tempDir, trackPid, waitFor } from '../helpers/common.js';

const mode = (p: string): string => (lstatSync(p).mode & 0o7777).toString(8).padStart(4, '0');

function spec(raw: Record<string, unknown>): HandlerSpec {
  return parseHandler(raw, 'handlers[0]', 'test');
}

/** A root-only file standing for /etc/shadow. */
function rootOnly(dir: string): string {
  const f = path.join(dir, 'shadow');
  writeFileSync(f, 'root:secret-hash\n', { mode: 0o600 });
  return f;
}

function ticker(name: string): HandlerSpec {
  return spec({ name, command: ['node', fixture('ticker.mjs')], start_seconds: 0 });
}

describe('private data dirs and logs', () => {
  const sups: Supervisor[] = [];
  afterEach(async () => {
    for (const sup of sups.splice(0)) {
      for (const s of sup.status()) if (s.pgid) trackPid(s.pgid, true);
      await sup.shutdown();
    }
  });
  async function supervisor(dataDir: string): Promise<Supervisor> {
    const sup = await Supervisor.create({ dataDir, pollIntervalMs: 50, random: () => 0.5 });
    sups.push(sup);
    return sup;
  }
  const one = (sup: Supervisor, name: string): InstanceStatus => sup.status(name)[0]!;

  it('under umask 000 the agent makes its data dir 0700, logs 0750, log files 0640, state and lock 0600', async () => {
    const dataDir = path.join(tempDir(), 'var', 'agent');
    const old = process.umask(0o000);
    let sup: Supervisor;
    let lock;
    try {
      lock = lockDataDir(dataDir, 'test agent');
      sup = await supervisor(dataDir);
      const [st] = await sup.applySpecs([ticker('w')]);
      assert.equal(st?.state, 'running');
    } finally {
      process.umask(old);
    }
    try {
      const logs = path.join(dataDir, 'logs');
      assert.deepEqual(
        {
          data: mode(dataDir),
          lock: mode(path.join(dataDir, 'LOCK')),
          state: mode(path.join(dataDir, 'state.json')),
          logs: mode(logs),
          instanceLogs: mode(path.join(logs, 'w')),
          stdout: mode(path.join(logs, 'w', 'stdout.log')),
          stderr: mode(path.join(logs, 'w', 'stderr.log')),
          run: mode(path.join(dataDir, 'run')),
        },
        {
          data: '0700',
          lock: '0600',
          state: '0600',
          logs: '0750',
          instanceLogs: '0750',
          stdout: '0640',
          stderr: '0640',
          run: '0700',
        },
      );
      assert.equal(mode(path.dirname(dataDir)), '0700', 'a missing parent is created private too');
    } finally {
      lock.release();
    }
  });

  it('under umask 000 the master makes its data dir 0700 and its state, execution journal and lock 0600', async () => {
    const dataDir = path.join(tempDir(), 'master');
    const old = process.umask(0o000);
    try {
      const store = await openMasterStore(dataDir);
      await store.update(() => {});
      const journal = path.join(dataDir, EXECUTION_JOURNAL_FILE);
      const log = new ExecutionLog(store);
      const journalModes = [mode(journal)]; // created
      await log.beginDurably({ kind: 'restart', handler: 'web', agent: 'edge-1', issued_by: 'admin' });
      journalModes.push(mode(journal)); // appended to
      await log.clear();
      journalModes.push(mode(journal)); // rewritten
      assert.deepEqual(
        [mode(dataDir), mode(path.join(dataDir, MASTER_STATE_FILE)), mode(path.join(dataDir, 'LOCK'))],
        ['0700', '0600', '0600'],
      );
      assert.deepEqual(journalModes, ['0600', '0600', '0600']);
      await store.close();
    } finally {
      process.umask(old);
    }
  });

  it('existing data dirs and log files that are too open are tightened; a dir of another user is refused', async () => {
    const dataDir = tempDir();
    const logDir = path.join(dataDir, 'logs', 'w');
    mkdirSync(logDir, { recursive: true });
    chmodSync(dataDir, 0o777);
    chmodSync(path.join(dataDir, 'logs'), 0o777);
    chmodSync(logDir, 0o777);
    writeFileSync(path.join(logDir, 'stdout.log'), 'old line\n', { mode: 0o666 });
    chmodSync(path.join(logDir, 'stdout.log'), 0o666);
    const sup = await supervisor(dataDir);
    await sup.applySpecs([ticker('w')]);
    assert.deepEqual(
      [mode(dataDir), mode(path.join(dataDir, 'logs')), mode(logDir), mode(path.join(logDir, 'stdout.log'))],
      ['0700', '0750', '0750', '0640'],
    );
    assert.match(
      readFileSync(path.join(logDir, 'stdout.log'), 'utf8'),
      /^old line\n/,
      'appended, not replaced',
    );

    const foreign = tempDir();
    chownSync(foreign, 65534, 65534);
    await assert.rejects(
      Supervisor.create({ dataDir: foreign }),
      new RegExp(`${foreign} is owned by uid 65534, not by this process \\(uid 0\\); refusing to use it`),
    );
  });

  it('a symlink planted at a handler log path is never written to: the start is refused naming the path', async () => {
    const dir = tempDir();
    const shadow = rootOnly(dir);
    const dataDir = path.join(dir, 'data');
    const logDir = path.join(dataDir, 'logs', 'w');
    mkdirSync(logDir, { recursive: true });
    symlinkSync(shadow, path.join(logDir, 'stdout.log'));
    const sup = await supervisor(dataDir);
    const [st] = await sup.applySpecs([ticker('w')]);
    assert.equal(st?.state, 'fatal');
    const ev = st!.events.find((e) => e.type === 'SPAWN_FAILED');
    assert.match(
      ev?.message ?? '',
      new RegExp(
        `${path.join(logDir, 'stdout.log')} is a symbolic link; refusing to write handler output to`,
      ),
    );
    assert.equal(readFileSync(shadow, 'utf8'), 'root:secret-hash\n');
    assert.equal(mode(shadow), '0600');

    // A symlinked log folder is refused too (O_NOFOLLOW guards only the last component).
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(dataDir, 'logs', 'v'));
    const [sv] = await sup.applySpecs([ticker('v')]);
    assert.equal(sv?.state, 'fatal');
    assert.match(one(sup, 'v').events.at(-1)?.message ?? '', /logs\/v is a symbolic link/);
    assert.equal(existsSync(path.join(elsewhere, 'stdout.log')), false);
  });

  it('a log file of another user (or a hard link) is refused, not appended to', async () => {
    const dataDir = tempDir();
    const logDir = path.join(dataDir, 'logs', 'w');
    mkdirSync(logDir, { recursive: true });
    const log = path.join(logDir, 'stderr.log');
    writeFileSync(log, '');
    chownSync(log, 65534, 65534);
    const sup = await supervisor(dataDir);
    const [st] = await sup.applySpecs([ticker('w')]);
    assert.equal(st?.state, 'fatal');
    assert.match(st!.events.at(-1)?.message ?? '', new RegExp(`${log} is owned by uid 65534`));
  });

  it('rotation never truncates or copies what a symlink at the log path points to', () => {
    const dir = tempDir();
    const shadow = rootOnly(dir);
    const log = path.join(dir, 'stdout.log');
    symlinkSync(shadow, log);
    assert.throws(
      () => rotateIfNeeded(log, 4, 2),
      /stdout\.log is a symbolic link; refusing to rotate through it/,
    );
    assert.equal(readFileSync(shadow, 'utf8'), 'root:secret-hash\n', 'not truncated');
    assert.equal(existsSync(`${log}.1`), false, 'not copied next to the logs');

    // A symlink at the rotated name is replaced, never written through.
    const real = path.join(dir, 'real.log');
    writeFileSync(real, 'x'.repeat(100));
    symlinkSync(shadow, `${real}.1`);
    assert.equal(rotateIfNeeded(real, 10, 1), true);
    assert.equal(readFileSync(shadow, 'utf8'), 'root:secret-hash\n');
    assert.equal(readFileSync(`${real}.1`, 'utf8'), 'x'.repeat(100));
    assert.equal(lstatSync(`${real}.1`).isFile(), true);
    assert.equal(statSync(real).size, 0);
  });

  it('a keep stored before its bound (a spec of an older master) rotates at most MAX_LOG_KEEP files: one rotation, not hours of renames', () => {
    const dir = tempDir();
    const log = path.join(dir, 'big.log');
    writeFileSync(log, 'x'.repeat(100));
    writeFileSync(`${log}.${MAX_LOG_KEEP}`, 'oldest kept');
    assert.equal(rotateIfNeeded(log, 10, 4_294_967_295), true); // 4e9 renames one by one before
    assert.equal(readFileSync(`${log}.1`, 'utf8'), 'x'.repeat(100));
    assert.equal(existsSync(`${log}.${MAX_LOG_KEEP + 1}`), false, 'nothing kept past the bound');
  });

  it('the log tail never reads through a symlink', async () => {
    const dir = tempDir();
    const shadow = rootOnly(dir);
    const log = path.join(dir, 'stdout.log');
    symlinkSync(shadow, log);
    await assert.rejects(tailLines(log, 10), /stdout\.log is a symbolic link; refusing to read through it/);
  });

  it('a running handler whose log is swapped for a symlink is not rotated into the target', async () => {
    const dir = tempDir();
    const shadow = rootOnly(dir);
    const dataDir = path.join(dir, 'data');
    const sup = await supervisor(dataDir);
    await sup.applySpecs([ticker('w')]);
    const log = path.join(dataDir, 'logs', 'w', 'stdout.log');
    await waitFor(() => existsSync(log), { what: 'log' });
    rmSync(log);
    symlinkSync(shadow, log);
    assert.throws(() => rotateIfNeeded(log, 1, 1), /symbolic link/);
    assert.equal(readFileSync(shadow, 'utf8'), 'root:secret-hash\n');
  });
});
