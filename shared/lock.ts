/** One process per data directory: an exclusive lock file holding the owner's PID and start time. */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LockedError } from './errors.js';
import { DATA_DIR_MODE, ensureDir } from './private-files.js';
import { readProcStat } from './proc.js';

export interface DirLock {
  readonly file: string;
  release(): void;
}

/** Takes `<dir>/LOCK` (the dir made private first); a stale lock (owner gone or a recycled PID) is taken over. */
export function lockDataDir(dir: string, owner: string): DirLock {
  ensureDir(dir, DATA_DIR_MODE, { followLink: true });
  const file = path.join(dir, 'LOCK');
  const me = readProcStat(process.pid);
  const content = JSON.stringify({ pid: process.pid, start_time: me?.startTime ?? '', owner });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, content);
      closeSync(fd);
      return {
        file,
        release: () => {
          try {
            const held = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
            if (held.pid === process.pid) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let held: { pid?: number; start_time?: string; owner?: string } = {};
    try {
      held = JSON.parse(readFileSync(file, 'utf8')) as typeof held;
    } catch {
      /* torn or empty lock: treat as stale */
    }
    const st = held.pid ? readProcStat(held.pid) : null;
    const alive = st !== null && st.state !== 'Z' && st.startTime === held.start_time;
    if (alive) {
      throw new LockedError(
        `data dir ${dir} is in use by another ${held.owner ?? 'governor'} process (pid ${held.pid}); ` +
          `stop it or pick another --data-dir`,
      );
    }
    try {
      unlinkSync(file);
    } catch {
      /* raced with another taker */
    }
  }
  throw new LockedError(`could not take the lock ${file}; another process keeps taking it`);
}
