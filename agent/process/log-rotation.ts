/**
 * Size-capped log files with copy-truncate rotation: the handler keeps its O_APPEND fd, so after the
 * truncate its next write lands at offset 0 of the same file. `file.1` is the newest rotated copy.
 * Nothing here follows a symlink: the log is opened with O_NOFOLLOW and must be our own regular file
 * (shared/private-files.ts), truncated through that fd, and copied into a new `file.1` created with
 * O_EXCL | O_NOFOLLOW; renames and unlinks act on names, never on what a symlink points to.
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { checkOwnFile, LOG_FILE_MODE, openOwnFile } from '../../shared/private-files.js';
import { MAX_LOG_KEEP } from '../../shared/spec.js';

const CHUNK = 1024 * 1024;

/**
 * Rotates `file` when it is larger than `maxBytes`, keeping `keep` old copies. Returns true if rotated.
 * Throws (changing nothing) when `file` is a symlink or not our own regular file.
 */
export function rotateIfNeeded(file: string, maxBytes: number, keepAsked: number): boolean {
  // A spec stored before the bound (MAX_LOG_KEEP) still rotates in bounded time.
  const keep = Math.min(keepAsked, MAX_LOG_KEEP);
  // The common case, checked every few seconds for every log: one lstat, no open. A file that is not our own
  // regular file is refused here as the open below would; a symlink goes on to be refused by it.
  const pre = lstatSync(file, { throwIfNoEntry: false });
  if (!pre) return false;
  if (!pre.isSymbolicLink()) {
    checkOwnFile(pre, file, 'rotate');
    if (pre.size <= maxBytes) return false;
  }
  let fd: number;
  try {
    fd = openOwnFile(file, constants.O_RDWR, LOG_FILE_MODE, 'rotate');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    if (fstatSync(fd).size <= maxBytes) return false;
    if (keep > 0) {
      unlinkQuiet(`${file}.${keep}`);
      for (let i = keep - 1; i >= 1; i--) {
        try {
          renameSync(`${file}.${i}`, `${file}.${i + 1}`);
        } catch {
          /* absent */
        }
      }
      unlinkQuiet(`${file}.1`);
      copyInto(fd, `${file}.1`);
    }
    ftruncateSync(fd, 0);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Copies the whole of `fd` into a new file `to` (never an existing one, never through a symlink). */
function copyInto(fd: number, to: string): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  const out = openOwnFile(to, flags, LOG_FILE_MODE, 'write a rotated log to');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n === 0) break;
      for (let done = 0; done < n;) done += writeSync(out, buf, done, n - done);
      pos += n;
    }
  } finally {
    closeSync(out);
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* absent */
  }
}
