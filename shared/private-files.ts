/**
 * Governor's own directories and files are private whatever the umask, and never reached through a
 * symlink. Directories are created with their mode and chmod'ed (mkdir honours the umask); an existing
 * one is tightened to the mode when it is this process's own, refused when it is a symlink (except a
 * data dir an operator gave: `followLink`), not a directory, or owned by another uid. Files Governor
 * appends to, rotates or reads on a caller's behalf (logs) are opened with O_NOFOLLOW and must be
 * regular files of this process's uid with one link; anything else is refused with the path named.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { StateError } from './errors.js';

/** A data dir (agent, master) and its private subfolders (`run/`). */
export const DATA_DIR_MODE = 0o700;
/** `<data-dir>/logs` and each instance's log folder: an operators' group may be given read access. */
export const LOG_DIR_MODE = 0o750;
export const LOG_FILE_MODE = 0o640;
/** State, lock and status files. */
export const STATE_FILE_MODE = 0o600;

const uid = (): number => process.geteuid?.() ?? 0;

/**
 * `p` absolute with its symlinks resolved, as far as it exists (the rest as written): one name per directory,
 * so that what a path identifies (a data dir's shims, its cgroup scope) does not depend on which spelling of
 * it (a symlink, a bind mount's path) an agent was given.
 */
export function canonicalPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(canonicalPath(parent), path.basename(abs));
  }
}

/**
 * Makes sure `dir` is a directory of this process's uid with exactly `mode`. Missing parents are created
 * 0700. `followLink`: `dir` itself may be a symlink to such a directory (a data dir given by an operator).
 */
export function ensureDir(dir: string, mode: number, opts: { followLink?: boolean } = {}): void {
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      mkdirSync(path.dirname(dir), { recursive: true, mode: DATA_DIR_MODE });
      return ensureDir(dir, mode, opts);
    }
    if (code !== 'EEXIST') throw err;
  }
  const st = opts.followLink ? statSync(dir) : lstatSync(dir);
  if (st.isSymbolicLink())
    throw new StateError(
      `${dir} is a symbolic link; Governor does not use its directories through one (remove it)`,
    );
  if (!st.isDirectory()) throw new StateError(`${dir} exists and is not a directory`);
  if (st.uid !== uid()) {
    throw new StateError(
      `${dir} is owned by uid ${st.uid}, not by this process (uid ${uid()}); ` +
        `refusing to use it (chown it or pick another directory)`,
    );
  }
  if ((st.mode & 0o7777) !== mode) chmodSync(dir, mode);
}

/**
 * Refuses a file that is not a regular file of this process's uid with one link (a FIFO, a device, a
 * hard link to someone else's file, a file another user planted). `action` completes "refusing to …".
 */
export function checkOwnFile(st: Stats, file: string, action: string): void {
  const why = !st.isFile()
    ? 'is not a regular file'
    : st.uid !== uid()
      ? `is owned by uid ${st.uid}, not by this process (uid ${uid()})`
      : st.nlink !== 1
        ? `has ${st.nlink} hard links`
        : '';
  if (why) throw new StateError(`${file} ${why}; refusing to ${action} it (remove it)`);
}

/** The clear error for ELOOP from an O_NOFOLLOW open; other errors pass through. */
export function symlinkRefusal(err: unknown, file: string, action: string): unknown {
  return (err as NodeJS.ErrnoException).code === 'ELOOP'
    ? new StateError(`${file} is a symbolic link; refusing to ${action} through it (remove it)`)
    : err;
}

/**
 * Opens one of Governor's own files without following a symlink (`flags` | O_NOFOLLOW; created with
 * `mode` when O_CREAT is in `flags`) and checks it is a regular file of ours (checkOwnFile). A file that
 * is not yet regular is refused before it is opened (a FIFO would block the open). With O_CREAT, its
 * mode is set to `mode` (an older, looser file is tightened).
 */
export function openOwnFile(file: string, flags: number, mode: number, action: string): number {
  try {
    const pre = lstatSync(file);
    if (!pre.isSymbolicLink()) checkOwnFile(pre, file, action);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let fd: number;
  try {
    fd = openSync(file, flags | constants.O_NOFOLLOW, mode);
  } catch (err) {
    throw symlinkRefusal(err, file, action);
  }
  try {
    const st = fstatSync(fd);
    checkOwnFile(st, file, action);
    if (flags & constants.O_CREAT && (st.mode & 0o7777) !== mode) fchmodSync(fd, mode);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A log file the agent appends a handler's output to (the fd is handed to the handler). */
export function openLogForAppend(file: string): number {
  return openOwnFile(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
    LOG_FILE_MODE,
    'write handler output to',
  );
}
