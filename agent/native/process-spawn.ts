/**
 * The detached spawn without fork (process-spawn.c, built with the other native helpers): vfork + exec into
 * a new session, the exit heard through a pidfd. What the handler's shim is started with, because Node's
 * child_process.spawn forks the whole agent for every start (see the C file for the cost).
 *
 * Loading never throws: when the addon did not build, does not load, or pidfd_open or waitid(P_PIDFD) is refused (Linux < 5.4,
 * a seccomp filter), `nativeSpawn()` returns the reason, and the caller spawns with child_process instead.
 */
import { loadAddon, type LoadedAddon } from './linux-sockets.js';

/** What a spawn does in the child besides the handler shim's defaults (process-spawn.c says how). */
export interface SpawnOptions {
  /** stdin from this descriptor (>= 3) instead of /dev/null. */
  stdinFd?: number;
  /** `cgroup.procs` files joined in order before the exec; the spawn fails with the first refusal. */
  procs?: string[];
  /** The identity taken (supplementary groups, then gid, then uid) after the cgroups. */
  uid?: number;
  gid?: number;
  groups?: number[];
  /** SIGKILL when the agent dies (set after the change of user; the child ends if the agent is gone). */
  pdeathsig?: boolean;
  /** The paths tried in order, as execvp's PATH search would (absent: `file`). */
  candidates?: string[];
  /** The exit watch keeps the event loop alive (default: it does not). */
  ref?: boolean;
  /** A failed exec is the program's own end: this text and the reason on its stderr, exit 127 or 126. */
  execFailure?: string;
}

export interface NativeSpawn {
  /** True when pidfd_open works here (a seccomp filter or a kernel before 5.3 refuses it). */
  pidfdUsable(): boolean;
  /**
   * Starts `file` (an absolute path) with `argv` (argv[0] included) and exactly `env` (`NAME=value`
   * strings) in a new session, stdin /dev/null, stdout and stderr on the given descriptors, in `cwd` (null:
   * the agent's); returns its PID. `onExit` is called once, on the event loop, when it exited: `code`
   * -1 when killed by signal number `signal` (0 otherwise). Throws an Error with `code` (errno name).
   */
  spawn(
    file: string,
    argv: string[],
    env: string[],
    cwd: string | null,
    stdoutFd: number,
    stderrFd: number,
    onExit: (code: number, signal: number) => void,
    options?: SpawnOptions,
  ): number;
  /**
   * A connected pair for a child's stdio, both close-on-exec: [parent's end, child's end]. A unix stream
   * socket pair, as child_process's 'pipe' stdio (same buffering, same stdio type for the program).
   */
  stdioPair(): [number, number];
  /**
   * Marks every descriptor from 3 up close-on-exec (those inherited from the agent's parent: only what a
   * spawn hands on explicitly reaches a program). Throws an Error with `code` when it could not.
   */
  cloexecInherited(): void;
}

export type LoadedSpawn = LoadedAddon<NativeSpawn>;

let loaded: LoadedSpawn | null = null;

/** The addon, loaded once, or why it is unavailable. */
export function nativeSpawn(): LoadedSpawn {
  return (loaded ??= loadAddon<NativeSpawn>(
    'process_spawn',
    (file) => `the native spawn (${file}) is unavailable`,
    (native) => {
      if (!native.pidfdUsable())
        throw new Error('pidfd_open or waitid(P_PIDFD) is refused here (Linux < 5.4, or a seccomp filter)');
    },
  ));
}
