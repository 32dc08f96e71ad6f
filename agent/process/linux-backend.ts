/**
 * The real process backend for Linux: detached spawn under a tiny `/bin/sh` shim that records the exit
 * status to a file, identity from /proc (start time + cmdline hash), and process-group signals.
 */
import { closeSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { signalNameByNumber } from '../../shared/signals.js';
import path from 'node:path';
import {
  canonicalPath,
  DATA_DIR_MODE,
  ensureDir,
  LOG_DIR_MODE,
  openLogForAppend,
} from '../../shared/private-files.js';
import {
  childrenOf,
  hashCmdline,
  listPids,
  readCmdline,
  readCwd,
  readEnviron,
  readProcStat,
  readProcStatStrict,
  type ProcStat,
} from '../../shared/proc.js';
import type {
  ExitStatus,
  Handle,
  MainProcess,
  ProcessBackend,
  RecoverResult,
  ShimProcess,
  SpawnRequest,
  Spawned,
} from './backend.js';
import {
  SPAWN_TOKEN_ENV,
  groupMembers,
  groupSignalVerdict,
  isHandlerGroup,
  signalOwnedGroup,
} from './group-signal.js';
import { mainMismatch, recordedMain } from './main-process.js';
import {
  cgroupOwnPids,
  cgroupPids,
  cgroupPopulated,
  killCgroup,
  watchCgroupEvents,
} from './cgroup-tracking.js';
import { nativeSpawn, type LoadedSpawn } from '../native/process-spawn.js';
import { spawnDetached } from './detached-spawn.js';

/**
 * The shim stays the handler's parent: it runs the command (not exec), then records `$?` (128+N when
 * killed by signal N) to the exit file. The file is only read once the shim is gone, so a plain write
 * (no temp + rename, which would cost one more fork per exit) is never seen half-done. It traps (as
 * no-ops) every signal whose default would end or stop it — `gov signal` sends any of them to the whole
 * group — so a group signal reaches the handler while the shim survives to write the status; caught (not
 * ignored) signals are reset to default in the child. 16 is SIGSTKFLT, which dash knows only by number.
 * KILL and STOP cannot be trapped: they reach the shim too.
 */
export const SHIM_SCRIPT =
  "trap ':' HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM TERM 16 XCPU XFSZ VTALRM PROF IO PWR " +
  'SYS TSTP TTIN TTOU; f=$1; shift; "$@"; c=$?; printf \'%s\\n\' "$c" > "$f"; exit "$c"';
/** Shim scripts of earlier agents: their live shims are still found (stray-shims.ts) after an upgrade. */
const EARLIER_SHIM_SCRIPTS: readonly string[] = [
  'trap \':\' HUP INT QUIT TERM USR1 USR2 ALRM; f=$1; shift; "$@"; c=$?; printf \'%s\\n\' "$c" > "$f"; exit "$c"',
];
export const SHIM_NAME = 'gov-shim';

/** Decodes the shim's `$?`: 128+N with N a known signal means killed by that signal. */
export function decodeStatus(status: number): ExitStatus {
  if (status > 128 && status < 128 + 65) {
    const sig = signalNameByNumber(status - 128);
    if (sig) return { code: null, signal: sig };
  }
  return { code: status, signal: null };
}

/** How many words of a shim's argv are the shim's own (`/bin/sh -c SCRIPT NAME EXIT_FILE`): the command follows. */
const SHIM_ARGS = 5;

export function shimArgv(exitFile: string, command: string[]): string[] {
  return ['/bin/sh', '-c', SHIM_SCRIPT, SHIM_NAME, exitFile, ...command];
}

export class LinuxBackend implements ProcessBackend {
  /** Why shims are spawned through child_process rather than the native spawn ('' when native). */
  readonly spawnUnavailable: string;

  constructor(private readonly spawner: LoadedSpawn = nativeSpawn()) {
    this.spawnUnavailable = spawner.ok ? '' : spawner.reason;
  }

  spawn(req: SpawnRequest): Spawned {
    // Private dirs; the logs are opened here (never through a symlink, only our own regular files) and
    // handed to the handler as fds, so a handler run as another user needs no access to them.
    for (const f of [req.stdoutLog, req.stderrLog]) ensureDir(path.dirname(f), LOG_DIR_MODE);
    ensureDir(path.dirname(req.exitFile), DATA_DIR_MODE);
    rmQuiet(req.exitFile);
    const argv = shimArgv(req.exitFile, req.command);
    const token = randomUUID();
    const out = openLogForAppend(req.stdoutLog);
    let err: number;
    try {
      err = openLogForAppend(req.stderrLog);
    } catch (e) {
      closeSync(out);
      throw e;
    }
    let child;
    try {
      child = spawnDetached(
        {
          argv,
          program: req.command[0]!,
          env: { ...req.env, [SPAWN_TOKEN_ENV]: token },
          ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
          stdoutFd: out,
          stderrFd: err,
        },
        this.spawner,
      );
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const pid = child.pid;
    const st = readProcStat(pid);
    const handle: Handle = {
      pid,
      pgid: pid,
      start_time: st?.startTime ?? '',
      cmdline_hash: hashCmdline(argv),
      spawned_at: req.now,
      stdout_log: req.stdoutLog,
      stderr_log: req.stderrLog,
      exit_file: req.exitFile,
      spec_hash: req.specHash,
      spawn_token: token,
    };
    return { handle, onExit: (cb) => child.onExit(cb) };
  }

  /** Throws when /proc cannot be read (readProcStatStrict): never "gone" for want of a descriptor. */
  isRunning(handle: Handle): boolean {
    const st = readProcStatStrict(handle.pid);
    return st !== null && st.state !== 'Z' && st.state !== 'X' && st.startTime === handle.start_time;
  }

  recover(handle: Handle): RecoverResult {
    const st = readProcStatStrict(handle.pid);
    if (st === null || st.state === 'Z' || st.state === 'X') {
      return { kind: 'gone', exit: this.readExit(handle) };
    }
    if (st.startTime !== handle.start_time) {
      return {
        kind: 'mismatch',
        reason: `pid ${handle.pid} reused: start time ${st.startTime} differs from recorded ${handle.start_time}`,
      };
    }
    const argv = readCmdline(handle.pid);
    if (argv === null) return { kind: 'gone', exit: this.readExit(handle) };
    if (hashCmdline(argv) !== handle.cmdline_hash) {
      return {
        kind: 'mismatch',
        reason: `pid ${handle.pid} reused: command line differs from the recorded one`,
      };
    }
    // A process that is not in the recorded cgroup is not ours, whatever its command line.
    if (handle.cgroup !== undefined && !cgroupPids(handle.cgroup).includes(handle.pid)) {
      return { kind: 'mismatch', reason: `pid ${handle.pid} is not in its recorded cgroup ${handle.cgroup}` };
    }
    return { kind: 'alive' };
  }

  readExit(handle: Handle): ExitStatus | null {
    let text: string;
    try {
      text = readFileSync(handle.exit_file, 'utf8').trim();
    } catch {
      return null;
    }
    return /^\d+$/.test(text) ? decodeStatus(Number(text)) : null;
  }

  groupOwned(handle: Handle): boolean {
    return groupSignalVerdict(handle.pgid, handle.start_time, handle.spawn_token).ok;
  }

  signalGroup(handle: Handle, signal: NodeJS.Signals): boolean {
    return signalOwnedGroup(handle.pgid, handle.start_time, signal, handle.spawn_token);
  }

  findMain(handle: Handle): MainProcess | null {
    if (!this.isRunning(handle)) return null;
    const recorded = recordedMain(handle);
    if (recorded && mainMismatch(recorded, handle.pid, readProcStat(recorded.pid)) === null) return recorded;
    if (recorded && this.notifiedMainOk(handle, recorded)) return recorded;
    for (const pid of childrenOf(handle.pid)) {
      const st = readProcStat(pid);
      if (st && st.ppid === handle.pid && st.state !== 'Z' && st.state !== 'X')
        return { pid, start_time: st.startTime };
    }
    return null;
  }

  signalMain(handle: Handle, signal: NodeJS.Signals): boolean {
    const main = this.verifiedMain(handle);
    return main !== null && this.signalProcess(main, signal);
  }

  signalStray(handle: Handle, signal: NodeJS.Signals): boolean {
    const s = this.stray(handle);
    if (s === null) return false;
    return s.group
      ? signalOwnedGroup(s.main.pid, s.main.start_time, signal, handle.spawn_token)
      : this.signalProcess(s.main, signal);
  }

  strayAlive(handle: Handle): boolean {
    return this.stray(handle) !== null;
  }

  /**
   * What left the shim's group with the recorded main (one stat read, and a walk of /proc only when the
   * main is gone or leads a group): the group it leads or led, live and provably the handler's
   * (group-signal.ts); else the main alone, alive with its start time outside the shim's group; else null.
   */
  private stray(handle: Handle): { main: MainProcess; group: boolean } | null {
    const main = recordedMain(handle);
    if (!main || main.pid <= 1) return null;
    const st = readProcStat(main.pid);
    const lives = st !== null && live(st) && st.startTime === main.start_time;
    if (
      !(lives && st.pgid !== main.pid) &&
      groupMembers(main.pid).length > 0 &&
      groupSignalVerdict(main.pid, main.start_time, handle.spawn_token).ok
    )
      return { main, group: true };
    return lives && st.pgid !== handle.pgid ? { main, group: false } : null;
  }

  /** Sends `signal` to `p` while it is alive with its start time; false when not sent. */
  private signalProcess(p: MainProcess, signal: NodeJS.Signals): boolean {
    if (p.pid <= 1 || !this.processLives(p)) return false;
    try {
      process.kill(p.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  processLives(p: MainProcess): boolean {
    const st = readProcStat(p.pid);
    return st !== null && live(st) && st.startTime === p.start_time;
  }

  /** The recorded main when it is verified now (the rule signalMain states), else null. */
  private verifiedMain(handle: Handle): MainProcess | null {
    const main = recordedMain(handle);
    if (!main || main.pid <= 1) return null;
    const st = readProcStat(main.pid);
    if (st === null) return null;
    // The verified shim's child, or a daemon (its parent gone: not a child of the shim's PID, which a shim
    // that failed verification may still hold) that is a live member of the handle's own cgroup.
    const ours =
      (this.isRunning(handle) && mainMismatch(main, handle.pid, st) === null) ||
      (live(st) &&
        st.startTime === main.start_time &&
        st.ppid !== handle.pid &&
        this.ownMembers(handle).includes(main.pid)) ||
      this.notifiedMainOk(handle, main);
    return ours ? main : null;
  }

  /**
   * A main the handler named itself (sd_notify MAINPID=, `main_notified`): alive with its recorded start
   * time and a member of the handle's own cgroup, or without a cgroup, in the verified shim's session.
   */
  private notifiedMainOk(handle: Handle, main: MainProcess): boolean {
    if (handle.main_notified !== true || main.pid <= 1) return false;
    const st = readProcStat(main.pid);
    if (st === null || !live(st) || st.startTime !== main.start_time) return false;
    return handle.cgroup !== undefined
      ? this.ownMembers(handle).includes(main.pid)
      : this.isRunning(handle) && st.sid === handle.pid;
  }

  groupAlive(handle: Handle): boolean {
    if (!isHandlerGroup(handle.pgid)) return false; // kill(-0, 0) would probe the agent's own group
    try {
      process.kill(-handle.pgid, 0);
    } catch {
      return false;
    }
    // kill(-pgid, 0) also succeeds for a group of zombies: look for a live member.
    return groupMembers(handle.pgid).length > 0;
  }

  cgroupMembers(handle: Handle): number[] {
    if (handle.cgroup === undefined) return [];
    return cgroupPids(handle.cgroup).filter(liveProcess);
  }

  /**
   * The live processes in the handle's own cgroup, not in the groups below it: where its daemon and main
   * are. An exec session's program (its group is below the instance's) is the operator's: taken for the
   * daemon, a daemon that died went unnoticed while the session lasted, and `signal --main` reached it.
   * What stops, drains and counts as populated is still the whole tree (cgroupMembers, cgroupPids).
   */
  private ownMembers(handle: Handle): number[] {
    if (handle.cgroup === undefined) return [];
    return (cgroupOwnPids(handle.cgroup) ?? []).filter(liveProcess);
  }

  cgroupPopulated(handle: Handle): boolean {
    if (handle.cgroup === undefined) return false;
    // v1: up to the first live member, not a /proc read per member (a stop polls this; a 200-process tree
    // was 200 reads per poll, 10-130 ms on a loaded host).
    return cgroupPopulated(handle.cgroup) ?? cgroupPids(handle.cgroup).some(liveProcess);
  }

  watchCgroup(handle: Handle, onChange: () => void): (() => void) | null {
    return handle.cgroup === undefined ? null : watchCgroupEvents(handle.cgroup, onChange);
  }

  signalCgroup(
    handle: Handle,
    signal: NodeJS.Signals,
    spare: ReadonlySet<number> = new Set(),
    groupSignalled?: number,
  ): number {
    if (handle.cgroup === undefined) return 0;
    // Every PID listed, without reading each one's /proc stat first (a 200-process tree is 200 reads per
    // pass): they are ours by where they are, and a signal to one that became a zombie meanwhile does nothing.
    // Only after a group signal is each one's group read: what it reached is not signalled again.
    const members = cgroupPids(handle.cgroup);
    if (members.length === 0) return 0;
    if (signal === 'SIGKILL' && !members.some((p) => spare.has(p)) && killCgroup(handle.cgroup))
      return members.length;
    let sent = 0;
    for (const pid of members) {
      if (spare.has(pid) || pid <= 1) continue;
      if (groupSignalled !== undefined && readProcStat(pid)?.pgid === groupSignalled) continue;
      try {
        process.kill(pid, signal);
        sent++;
      } catch {
        /* exited meanwhile */
      }
    }
    return sent;
  }

  findDaemon(handle: Handle, pidFile?: string): MainProcess | null {
    const stats = this.ownMembers(handle)
      .filter((pid) => pid !== handle.pid)
      .map((pid) => ({ pid, st: readProcStat(pid) }))
      .filter((m): m is { pid: number; st: NonNullable<typeof m.st> } => m.st !== null && live(m.st));
    if (stats.length === 0) return null;
    const named = pidFile !== undefined ? readPidFile(pidFile) : null;
    const recorded = recordedMain(handle);
    const pick =
      stats.find((m) => m.pid === named) ??
      stats.find((m) => m.pid === recorded?.pid && m.st.startTime === recorded.start_time) ??
      stats.reduce((a, b) => (BigInt(b.st.startTime) < BigInt(a.st.startTime) ? b : a));
    return { pid: pick.pid, start_time: pick.st.startTime };
  }

  listShims(runDir: string): ShimProcess[] {
    const out: ShimProcess[] = [];
    for (const pid of listPids()) {
      const st = readProcStat(pid);
      // A shim leads its own session and group (spawned detached), is alive, and runs as this agent (a
      // user who copies a shim's command line into a process of their own gets neither adopted nor signalled).
      if (!st || st.pgid !== pid || st.sid !== pid || st.state === 'Z' || st.state === 'X') continue;
      if (ownerOf(pid) !== process.geteuid?.()) continue;
      const argv = readCmdline(pid);
      const key = argv && shimKey(argv, runDir);
      if (!argv || key === null) continue;
      const handle: Handle = {
        pid,
        pgid: pid,
        start_time: st.startTime,
        cmdline_hash: hashCmdline(argv),
        spawned_at: startedAtMs(st.startTime),
        stdout_log: '',
        stderr_log: '',
        exit_file: argv[4]!,
        spec_hash: '',
      };
      const env = readEnviron(pid);
      const token = env?.get(SPAWN_TOKEN_ENV);
      if (token !== undefined) handle.spawn_token = token;
      env?.delete(SPAWN_TOKEN_ENV);
      out.push({ key, handle, command: argv.slice(SHIM_ARGS), env, cwd: readCwd(pid) });
    }
    return out;
  }
}

/** The instance key when `argv` is a shim's whose exit file is `<runDir>/<key>.exit`, else null. */
export function shimKey(argv: string[], runDir: string): string | null {
  if (argv.length < 6 || argv[0] !== '/bin/sh' || argv[1] !== '-c') return null;
  if ((argv[2] !== SHIM_SCRIPT && !EARLIER_SHIM_SCRIPTS.includes(argv[2]!)) || argv[3] !== SHIM_NAME)
    return null;
  const exitFile = argv[4]!;
  if (!exitFile.endsWith('.exit')) return null;
  // The same directory, also when one of the two spellings goes through a symlink (canonicalPath).
  const dir = path.dirname(exitFile);
  if (dir !== path.resolve(runDir) && canonicalPath(dir) !== canonicalPath(runDir)) return null;
  const key = path.basename(exitFile, '.exit');
  return key.length > 0 ? key : null;
}

const CLOCK_TICKS = 100;

/** Epoch ms of a /proc start time (clock ticks since boot); now when unknown. */
function startedAtMs(startTime: string): number {
  try {
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const ageMs = uptimeS * 1000 - (Number(startTime) / CLOCK_TICKS) * 1000;
    if (Number.isFinite(ageMs)) return Math.round(Date.now() - Math.max(0, ageMs));
  } catch {
    /* no /proc/uptime */
  }
  return Date.now();
}

/**
 * Not dead: a zombie is dead once its last thread exited (a `Z` leader whose other threads still run
 * holds the process's files: a stop is not done before they are gone).
 */
function live(st: ProcStat): boolean {
  return (st.state !== 'Z' && st.state !== 'X') || (st.threads ?? 1) > 1;
}

/** `pid` is there and not dead (`live`). */
function liveProcess(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== null && live(st);
}

/** The PID a daemon wrote to its pid file, or null when absent or not a PID. */
function readPidFile(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* absent */
  }
}

/** The effective uid a process runs as (the owner of its /proc entry), or -1 when it is gone. */
function ownerOf(pid: number): number {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return -1;
  }
}
