/**
 * The program of an exec session behind one small interface, whether it runs on pipes (stdout and stderr
 * apart, stdin a pipe or closed) or on a pseudo-terminal from node-pty (one output stream, a size). Either
 * way it leads its own process group (pipes: `detached`, a pty: its session), so a signal reaches
 * everything it started, and its sources can be paused (flow control: session.ts).
 *
 * Pipes are started by the native spawn when the agent has it (`direct`): vfork + exec, the child joining
 * the instance's cgroups, taking its user and setting its death signal itself, its stdio on socket pairs
 * as libuv's (the parent's ends wrapped in net.Socket here: the same pause, resume and 'drain'). Node's child_process instead forks the agent, then execs `sh` (the cgroups), `setpriv` (the user),
 * `setpriv` (the death signal) and the program: about 10 ms of spawn and three more execs per session on
 * a loaded host. Without the addon that chain (`argv`) is the way, and a pty's (node-pty forks too).
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Identity } from '../instance/launch.js';
import type { NativeSpawn } from '../native/process-spawn.js';
import type { PtyModule } from './pty.js';
import { ReadArena } from './read-arena.js';

/** An exec'd program's context as steps, for a spawn that takes them itself (exec-context.ts). */
export interface DirectLaunch {
  /** The program and its arguments; a name without `/` is looked up on the environment's PATH. */
  command: string[];
  /** `cgroup.procs` files joined, in order, before the exec. */
  procs: string[];
  /** The instance's user; null: the agent's own. */
  identity: Identity | null;
}

export interface ProgramSpec {
  /** The program behind the prefixes of its context (child_process, node-pty). */
  argv: string[];
  /** The same context for the native spawn of pipes; null or absent: `argv` through child_process. */
  direct?: (DirectLaunch & { spawner: NativeSpawn }) | null;
  cwd: string | undefined;
  env: Record<string, string>;
  /** A pseudo-terminal of this size and TERM; null: pipes. */
  tty: { rows: number; cols: number; term: string } | null;
  /** Keep stdin open for input (pipes; a pty always has one). */
  stdin: boolean;
}

export interface ProgramEvents {
  /** Output read: `chunk` is valid until `Program.outputCopied()`. */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /**
   * The program's own process exited; what it left holding its output (a daemon) may keep `exit` waiting,
   * and is ended with the session's group (exec-context.ts).
   */
  gone(): void;
  /** The program ended and all its output was read. */
  exit(code: number, signal: string): void;
  /** It could not be started. */
  failed(err: Error): void;
}

export interface Program {
  readonly pid: number;
  /** Writes stdin; `drained` runs once the bytes are taken (for the stdin credit). */
  write(chunk: Buffer, drained: () => void): void;
  endInput(): void;
  /** Drops input not yet taken and takes no more (the session is ending). */
  discardInput(): void;
  resize(rows: number, cols: number): void;
  /** Sends `signal` to the program's process group (never throws). */
  signal(signal: NodeJS.Signals): void;
  pause(): void;
  resume(): void;
  /**
   * The output chunks given so far were copied (into their frames, or held): their memory may be read into
   * again (pipes of the native spawn read into reused buffers, read-arena.ts).
   */
  outputCopied(): void;
}

const signalNumber = (name: string): number =>
  (os.constants.signals as Record<string, number | undefined>)[name] ?? 0;
const signalName = (n: number): string =>
  Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;

/**
 * The program's group only: the program leads it (setsid, or a pty's session) and cannot leave it, so while it
 * lives this reaches it. Never its PID alone: once it exited it was reaped at once, and that number may be
 * another process's by then (a group's number is not reused while anything is left in it).
 */
function groupKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* nothing left in the group */
  }
}

export function startPiped(spec: ProgramSpec, on: ProgramEvents): Program | null {
  return spec.direct ? startDirect(spec, spec.direct, on) : startForked(spec, on);
}

/**
 * The paths execvp would try for `name`: a path (or an empty name) only itself — still a candidate, so a
 * script without `#!` named by its path runs through /bin/sh as execvp runs it — else each PATH entry.
 */
function pathCandidates(name: string, pathVar: string | undefined): string[] {
  if (name === '' || name.includes('/')) return [name];
  // glibc's default when PATH is unset; an empty entry is the current directory.
  return (pathVar ?? '/bin:/usr/bin').split(':').map((dir) => (dir ? `${dir}/${name}` : name));
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* closed */
  }
}

function startDirect(spec: ProgramSpec, d: NonNullable<ProgramSpec['direct']>, on: ProgramEvents): Program {
  const name = d.command[0]!;
  const made: number[] = [];
  // [the agent's end, the program's]
  const pipe = (): [number, number] => {
    const p = d.spawner.stdioPair();
    made.push(...p);
    return p;
  };
  let exit: { code: number; signal: number } | null = null;
  let open = 0;
  const settle = (): void => {
    if (!exit || open > 0) return;
    if (exit.signal > 0) on.exit(128 + exit.signal, signalName(exit.signal));
    else on.exit(exit.code < 0 ? 0 : exit.code, '');
  };
  let stdin: net.Socket | null = null;
  let pid: number;
  let out: [number, number], err: [number, number], inp: [number, number] | null;
  try {
    out = pipe();
    err = pipe();
    inp = spec.stdin ? pipe() : null;
    const candidates = pathCandidates(name, spec.env.PATH);
    pid = d.spawner.spawn(
      name,
      d.command,
      Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      spec.cwd ?? null,
      out[1],
      err[1],
      (code, signal) => {
        exit = { code, signal };
        stdin?.destroy(); // as child_process does: nobody takes input any more
        on.gone();
        settle();
      },
      {
        ...(inp ? { stdinFd: inp[1] } : {}),
        procs: d.procs,
        ...(d.identity ?? {}),
        // Killed when the agent process dies (kill -9 included), so no session outlives its agent.
        pdeathsig: true,
        candidates,
        execFailure: `governor: failed to execute ${name}: `,
        ref: true, // its output may end before its exit is heard
      },
    );
  } catch (e) {
    for (const fd of made) closeQuiet(fd);
    throw e;
  }
  // The child's ends are its own now (a copy of each stays open in the parent otherwise: no EOF).
  closeSync(out[1]);
  closeSync(err[1]);
  if (inp) closeSync(inp[1]);
  const arenas: ReadArena[] = [];
  const source = (fd: number, stream: 'stdout' | 'stderr'): net.Socket => {
    const arena = new ReadArena();
    arenas.push(arena);
    // Node's Socket takes `onread` with an fd too (net.Socket's constructor), though @types/node has it only for connect.
    const opts: net.SocketConstructorOpts & { onread: net.OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer: () => arena.space(),
        callback: (n) => {
          on.output(stream, arena.take(n));
          return true; // pausing is the session's, through pause()
        },
      },
    };
    const s = new net.Socket(opts);
    open++;
    s.on('error', () => {});
    s.on('close', () => {
      open--;
      settle();
    });
    return s;
  };
  const stdout = source(out[0], 'stdout');
  const stderr = source(err[0], 'stderr');
  if (inp) {
    stdin = new net.Socket({ fd: inp[0], readable: false, writable: true });
    stdin.on('error', () => {}); // EPIPE when the program stopped reading
  }
  return piped(
    pid,
    () => stdin,
    stdout,
    stderr,
    () => {
      for (const a of arenas) a.reset();
    },
  );
}

/** A program on pipes: input written to `stdin()` (null: none), output read from `stdout` and `stderr`. */
function piped(
  pid: number,
  stdin: () => Writable | null,
  stdout: Readable,
  stderr: Readable,
  outputCopied: () => void = () => {},
): Program {
  return {
    pid,
    outputCopied,
    write(chunk, drained) {
      const s = stdin();
      if (!s || s.destroyed) return drained();
      if (s.write(chunk)) drained();
      else s.once('drain', drained);
    },
    endInput: () => stdin()?.end(),
    discardInput: () => stdin()?.destroy(),
    resize: () => {},
    signal: (s) => groupKill(pid, s),
    pause() {
      stdout.pause();
      stderr.pause();
    },
    resume() {
      stdout.resume();
      stderr.resume();
    },
  };
}

function startForked(spec: ProgramSpec, on: ProgramEvents): Program | null {
  const [file, ...args] = spec.argv;
  const child = spawn(file!, args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let failed = false;
  child.on('error', (err) => {
    if (failed || child.pid !== undefined) return;
    failed = true;
    on.failed(err);
  });
  if (child.pid === undefined) {
    // 'error' comes on the next tick with the reason.
    return null;
  }
  const pid = child.pid;
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stdout.on('data', (c: Buffer) => on.output('stdout', c));
  stderr.on('data', (c: Buffer) => on.output('stderr', c));
  child.stdin?.on('error', () => {}); // EPIPE when the program stopped reading
  child.on('exit', () => on.gone());
  child.on('close', (code, signal) => {
    if (signal) on.exit(128 + signalNumber(signal), signal);
    else on.exit(code ?? 0, '');
  });
  return piped(pid, () => child.stdin, stdout, stderr);
}

export function startPty(pty: PtyModule, spec: ProgramSpec, on: ProgramEvents): Program {
  const [file, ...args] = spec.argv;
  const tty = spec.tty!;
  const p = pty.spawn(file!, args, {
    name: tty.term,
    rows: tty.rows,
    cols: tty.cols,
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    env: spec.env,
    encoding: null,
  });
  p.onData((d: string | Buffer) => on.output('stdout', typeof d === 'string' ? Buffer.from(d) : d));
  // node-pty queues what the pty does not take yet, with no return value and no 'drain' event: input
  // counts as taken (its stdin credit given back) only once that queue is empty, so a program that reads
  // nothing holds the master to one window instead of the agent queueing all it is sent.
  const input = ptyInput(p);
  p.onExit(({ exitCode, signal }) => {
    input.discard();
    on.gone();
    if (signal) on.exit(128 + signal, signalName(signal));
    else on.exit(exitCode, '');
  });
  return {
    pid: p.pid,
    write(chunk, drained) {
      p.write(chunk);
      input.whenTaken(drained);
    },
    endInput: () => p.write('\x04'),
    discardInput: () => input.discard(),
    resize: (rows, cols) => {
      try {
        p.resize(cols, rows);
      } catch {
        /* exited */
      }
    },
    signal: (s) => groupKill(p.pid, s),
    pause: () => p.pause(),
    resume: () => p.resume(),
    outputCopied: () => {}, // node-pty's chunks are its own
  };
}

/** How often a pty's input queue is looked at while it holds bytes (ms). */
const PTY_INPUT_POLL_MS = 5;

/**
 * Calls back once node-pty has written everything queued to the pty (node-pty 1.x keeps it in
 * `_writeStream._writeQueue`; without that queue, at once, as node-pty would have it). `discard` empties
 * that queue: node-pty goes on writing it to the pty's fd NUMBER after the program exited, and once the fd
 * is closed that number may be the next session's pty — input of one session typed into another's.
 */
function ptyInput(p: object): { whenTaken(cb: () => void): void; discard(): void } {
  const stream = (p as { _writeStream?: { _writeQueue?: unknown[]; dispose?: () => void } })._writeStream;
  const queue = stream?._writeQueue;
  const waiting: Array<() => void> = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const check = (): void => {
    timer = null;
    if (stopped) return;
    if ((queue?.length ?? 0) > 0) {
      timer = setTimeout(check, PTY_INPUT_POLL_MS).unref();
      return;
    }
    for (const cb of waiting.splice(0)) cb();
  };
  return {
    whenTaken(cb) {
      waiting.push(cb);
      if (!timer) check();
    },
    discard() {
      stopped = true;
      if (timer) clearTimeout(timer);
      waiting.length = 0;
      if (queue) queue.length = 0;
      stream?.dispose?.();
    },
  };
}
