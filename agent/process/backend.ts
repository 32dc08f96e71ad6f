/**
 * The process backend seam (spawn / inspect / signal / recover). The supervisor only talks to processes
 * through this interface; `linux-backend.ts` is the real one, tests may inject a fake.
 */

/** Everything needed to find a spawned handler again and prove it is still the same process. */
export interface Handle {
  pid: number;
  pgid: number;
  /** /proc/PID/stat field 22 (clock ticks since boot). */
  start_time: string;
  cmdline_hash: string;
  /** Epoch ms. */
  spawned_at: number;
  stdout_log: string;
  stderr_log: string;
  /** Where the shim parent records the exit status. */
  exit_file: string;
  spec_hash: string;
  /**
   * A random token set as GOV_SPAWN in the spawn's environment: proves a process belongs to this spawn
   * once the shim (the group leader) is gone. Absent in handles written by older agents.
   */
  spawn_token?: string;
  /**
   * The handler's main process (the shim's child, main-process.ts) and its /proc start time: what is
   * reported as the instance's pid and what `SIGNAL --main` reaches. Absent until found, and in handles
   * written by older agents (then found again on adoption).
   */
  main_pid?: number;
  main_start_time?: string;
  /**
   * The main was named by the handler itself (sd_notify MAINPID=, agent/notify): verified as a live member
   * of the handle's own cgroup (not an exec session's below it; or, without one, of the shim's session)
   * with its start time, not as the shim's child. Absent otherwise.
   */
  main_notified?: boolean;
  /**
   * The handler's tracking cgroup directory (cgroup-tracking.ts): every process of the spawn is in it,
   * whatever its process group. Absent without tracking, and in handles written by older agents (then the
   * process group is all there is).
   */
  cgroup?: string;
}

/** The identity of a handler's main process (main-process.ts). */
export interface MainProcess {
  pid: number;
  /** /proc/PID/stat field 22. */
  start_time: string;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface SpawnRequest {
  name: string;
  /** The argv run under the shim, launch prefix included (`setpriv … --` for a spec with `user:`). */
  command: string[];
  cwd?: string;
  /** The handler's whole environment: nothing of the agent's own is added (instance/launch.ts). */
  env: Record<string, string>;
  stdoutLog: string;
  stderrLog: string;
  exitFile: string;
  specHash: string;
  /** Epoch ms to record as spawned_at. */
  now: number;
}

export interface Spawned {
  handle: Handle;
  /** Registers a callback for when this process (our own child) exits; adopted processes are polled. */
  onExit(cb: (shimExit: ExitStatus) => void): void;
}

export type RecoverResult =
  { kind: 'alive' } | { kind: 'gone'; exit: ExitStatus | null } | { kind: 'mismatch'; reason: string };

export interface ProcessBackend {
  /** Set when a slower way of spawning is in use, and why (the agent says so once at start). */
  readonly spawnUnavailable?: string;
  /** Starts the command detached (own session), stdin closed, output to the log files. Throws on failure. */
  spawn(req: SpawnRequest): Spawned;
  /** True while the handle's process is alive (not a zombie) and still the same process (start time). */
  isRunning(handle: Handle): boolean;
  /** Proves identity before adoption: alive with the same start time and cmdline, gone, or a different process. */
  recover(handle: Handle): RecoverResult;
  /** The exit status the shim recorded, or null when none was recorded. */
  readExit(handle: Handle): ExitStatus | null;
  /**
   * True when the handle's process group is provably still ours, so a group signal may be sent
   * (`group-signal.ts`): its leader is the recorded process, or the leader is gone and the group still has
   * live members (a PGID cannot be reused while any process holds it).
   */
  groupOwned(handle: Handle): boolean;
  /**
   * Sends `signal` to the handle's whole process group, whoever leads it, only when `groupOwned`; false
   * when not sent (not provably ours, gone, refused).
   */
  signalGroup(handle: Handle, signal: NodeJS.Signals): boolean;
  /**
   * The handle's main process, verified now: the recorded one while it is alive with its start time and the
   * verified shim as parent, else the shim's live child; null when the shim is not the recorded one or has
   * no live child. Never a process that is not the shim's child.
   */
  findMain(handle: Handle): MainProcess | null;
  /**
   * Sends `signal` to the recorded main process only, its identity (alive, start time, parent = the
   * verified shim) checked right before the kill; false when not sent.
   */
  signalMain(handle: Handle, signal: NodeJS.Signals): boolean;
  /**
   * Sends `signal` to what of the handler left the shim's process group with its main (setsid): the group the
   * recorded main leads, while the group rule (group-signal.ts) proves it ours — led by the main with its
   * recorded start time, or leaderless with a member carrying the spawn token; else the main itself while it
   * lives with its start time outside the shim's group. False when nothing was sent (the usual case: the
   * main is in the shim's group).
   */
  signalStray(handle: Handle, signal: NodeJS.Signals): boolean;
  /** True while anything signalStray would reach is alive. */
  strayAlive(handle: Handle): boolean;
  /** True while `p` is alive (not a zombie) with its start time. */
  processLives(p: MainProcess): boolean;
  /** True while any non-zombie process remains in the handle's process group. */
  groupAlive(handle: Handle): boolean;
  /** The live (non-zombie) processes in the handle's cgroup; [] without one. */
  cgroupMembers(handle: Handle): number[];
  /**
   * True while anything of the handle's cgroup still runs: v2 `cgroup.events` "populated 1" (a process
   * whose leader is gone from cgroup.procs while its last threads exit, holding its files, still counts),
   * v1 a live member; false without a cgroup.
   */
  cgroupPopulated(handle: Handle): boolean;
  /**
   * Calls `onChange` whenever the handle's cgroup may have emptied (v2: a change of `cgroup.events`), until
   * the returned function is called; null when nothing can be watched (no cgroup, v1): then poll.
   */
  watchCgroup?(handle: Handle, onChange: () => void): (() => void) | null;
  /**
   * Sends `signal` to every process listed in the handle's cgroup except `spare` (SIGKILL through v2
   * `cgroup.kill` when nothing is spared and the kernel has it; a zombie still listed gets it and ignores
   * it); returns how many were signalled. `groupSignalled`: the process group just sent `signal` (killpg):
   * its members are not sent it twice (a second SIGTERM or SIGINT is "quit now" to many programs).
   */
  signalCgroup(
    handle: Handle,
    signal: NodeJS.Signals,
    spare?: ReadonlySet<number>,
    groupSignalled?: number,
  ): number;
  /**
   * A `type: forking` handler's main process: the PID in `pidFile` when it is a live member of the handle's
   * own cgroup, else the recorded main while it is a live member with its start time, else the member started
   * first; null when that group is empty (or the handle has none). Members of the groups below it (exec
   * sessions') are never the daemon: with only those left, the daemon is gone.
   */
  findDaemon(handle: Handle, pidFile?: string): MainProcess | null;
  /**
   * The live shims whose exit file lies directly in `runDir` (session and group leaders whose command line
   * is the shim's), as handles read from /proc, with the instance key their exit file names. How a restarted
   * agent finds handlers an earlier agent spawned but died before recording (`stray-shims.ts`).
   */
  listShims(runDir: string): ShimProcess[];
}

/**
 * A live shim found in /proc: its handle (logs unknown: empty), the instance key of its exit file, and how it
 * was launched (what an adopting instance compares with what its spec launches).
 */
export interface ShimProcess {
  key: string;
  handle: Handle;
  /** The command the shim runs (its argv after the shim's own words): the launch prefix and the spec's command. */
  command: string[];
  /** The environment it was started with, its spawn token left out; null when unreadable. */
  env: ReadonlyMap<string, string> | null;
  /** Its working directory (the handler's, as spawned); null when unreadable. */
  cwd: string | null;
}
