/**
 * One process per data directory: an exclusive lock file holding the owner's PID and start time.
 *
 * The lock is never seen half-written: its content is written to a file of its own first, then linked in as
 * `LOCK` (link(2) fails when `LOCK` exists), so a reader finds the whole owner or no file. A lock whose owner
 * is gone (or whose PID was recycled) is stale and taken over — by one process at a time: the takeover runs
 * under `LOCK.takeover` (created exclusively) and looks at `LOCK` again there, so a taker never removes a
 * lock another process has just taken. A takeover mutex left by a process that died inside it is stale too
 * (same rule); the narrow race on that one remains, only when a taker died in those few microseconds.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LockedError } from './errors.js';
import { DATA_DIR_MODE, ensureDir } from './private-files.js';
import { readProcStat } from './proc.js';

export interface DirLock {
  readonly file: string;
  release(): void;
}

interface Owner {
  pid?: number;
  start_time?: string;
  owner?: string;
}

/** Takes `<dir>/LOCK` (the dir made private first); a stale lock (owner gone or a recycled PID) is taken over. */
export function lockDataDir(dir: string, owner: string): DirLock {
  ensureDir(dir, DATA_DIR_MODE, { followLink: true });
  const file = path.join(dir, 'LOCK');
  const me = readProcStat(process.pid);
  const content = JSON.stringify({ pid: process.pid, start_time: me?.startTime ?? '', owner });
  const mine = writeOwnerFile(dir, content);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryLink(mine, file)) return held(file);
      const current = readOwner(file);
      if (current === null) continue; // released meanwhile: try again
      if (alive(current)) {
        throw new LockedError(
          `data dir ${dir} is in use by another ${current.owner ?? 'governor'} process (pid ${current.pid}); ` +
            `stop it or pick another --data-dir`,
        );
      }
      if (takeOver(dir, file, mine)) return held(file);
    }
  } finally {
    unlinkQuiet(mine);
  }
  throw new LockedError(`could not take the lock ${file}; another process keeps taking it`);
}

/** The lock as held by this process: `release` removes it only while it still names this process. */
function held(file: string): DirLock {
  return {
    file,
    release: () => {
      if (readOwner(file)?.pid === process.pid) unlinkQuiet(file);
    },
  };
}

/** Replaces a stale `LOCK` with ours under the takeover mutex; false when another process got there first. */
function takeOver(dir: string, file: string, mine: string): boolean {
  const mutex = path.join(dir, 'LOCK.takeover');
  if (!tryLink(mine, mutex)) {
    const holder = readOwner(mutex);
    if (holder !== null && !alive(holder)) unlinkQuiet(mutex); // died inside a takeover
    return false;
  }
  try {
    const current = readOwner(file);
    if (current !== null && alive(current)) return false; // taken (or released and taken) meanwhile
    unlinkQuiet(file);
    return tryLink(mine, file);
  } finally {
    unlinkQuiet(mutex);
  }
}

/** A file of this process holding `content` in full, to be linked in as a lock. */
function writeOwnerFile(dir: string, content: string): string {
  const f = path.join(dir, `LOCK.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(f, 'wx', 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return f;
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The owner a lock file names; null when there is no file; `{}` when it cannot be read (torn: stale). */
function readOwner(file: string): Owner | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as Owner;
  } catch {
    return {};
  }
}

/** Whether the process a lock names still runs (same PID and start time, not a zombie). */
function alive(o: Owner): boolean {
  const st = o.pid ? readProcStat(o.pid) : null;
  return st !== null && st.state !== 'Z' && st.startTime === o.start_time;
}

function unlinkQuiet(f: string): void {
  try {
    unlinkSync(f);
  } catch {
    /* already gone */
  }
}
