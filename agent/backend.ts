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
  /** The handler's whole environment: nothing of the agent's own is added (handler-launch.ts). */
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
  /** Starts the command detached (own session), stdin closed, output to the log files. Throws on failure. */
  spawn(req: SpawnRequest): Spawned;
  /** True while the handle's process is alive (not a zombie) and still the same process (start time). */
  isRunning(handle: Handle): boolean;
  /** Proves identity before adoption: alive with the same start time and cmdline, gone, or a different process. */
  recover(handle: Handle): RecoverResult;
  /** The exit status the shim recorded, or null when none was recorded. */
  readExit(handle: Handle): ExitStatus | null;
  /** Sends `signal` to the handle's whole process group; false when the group is gone. */
  signalGroup(handle: Handle, signal: NodeJS.Signals): boolean;
  /** True while any non-zombie process remains in the handle's process group. */
  groupAlive(handle: Handle): boolean;
}
