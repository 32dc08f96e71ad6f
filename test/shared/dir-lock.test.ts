/** The data-dir lock: one holder at a time, also when processes race for it and take over stale locks. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LockedError } from '../../shared/errors.js';
import { lockDataDir } from '../../shared/lock.js';
import { fixture, tempDir } from '../helpers/common.js';

const run = promisify(execFile);
const LOCK_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'lock.js');

describe('data-dir lock', () => {
  it('two processes racing for it, again and again: never both hold it (a half-written lock is never read as stale)', async () => {
    const dir = tempDir();
    const hammer = () => run(process.execPath, [fixture('lock-hammer.mjs'), dir, LOCK_MODULE, '1500']);
    const results = (await Promise.all([hammer(), hammer()])).map(
      (r) => JSON.parse(r.stdout) as { held: number; lost: number },
    );
    assert.ok(
      results.every((r) => r.held > 0),
      `each took it: ${JSON.stringify(results)}`,
    );
    assert.deepEqual(
      results.map((r) => r.lost),
      [0, 0],
      `a lock taken away while held: ${JSON.stringify(results)}`,
    );
    assert.deepEqual(readdirSync(dir), [], 'nothing left behind');
  });

  it('a stale lock (its owner gone) is taken over; a live one is refused naming its owner', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 1, start_time: '1', owner: 'x' }));
    const lock = lockDataDir(dir, 'test');
    assert.throws(
      () => lockDataDir(dir, 'other'),
      (e: Error) => {
        assert.ok(e instanceof LockedError);
        assert.match(e.message, new RegExp(`in use by another test process \\(pid ${process.pid}\\)`));
        return true;
      },
    );
    lock.release();
    assert.equal(existsSync(path.join(dir, 'LOCK')), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});
