/**
 * The one way a handler's shim is started: detached (its own session and process group), stdin closed,
 * stdout and stderr on the given descriptors, exactly the given environment; its exit reported once.
 *
 * With the native spawn (agent/native/process-spawn.c) the agent is not forked: vfork runs the child
 * on the agent's memory until it execs, and the exit comes through a pidfd. Node's child_process.spawn,
 * the fallback when the addon is unavailable, forks the agent and waits for the exec (about 5 ms of CPU and
 * 10 ms of wall time per start on a loaded host). The process made, and what the rest of the agent sees
 * of it, are the same either way.
 */
import { spawn } from 'node:child_process';
import { nativeSpawn, type LoadedSpawn } from '../native/process-spawn.js';
import { signalNameByNumber } from '../../shared/signals.js';
import type { ExitStatus } from './backend.js';

export interface DetachedSpawnRequest {
  /** argv[0] is the program, an absolute path. */
  argv: string[];
  /** What a failure names (the handler's program only: arguments may hold secrets, and errors travel). */
  program: string;
  env: Record<string, string>;
  cwd?: string;
  stdoutFd: number;
  stderrFd: number;
}

export interface DetachedChild {
  pid: number;
  /** Registers a callback for the exit (called at once, on a microtask, when it already happened). */
  onExit(cb: (exit: ExitStatus) => void): void;
}

/** Spawns `req` detached; throws when it could not be started (the program only in the message). */
export function spawnDetached(req: DetachedSpawnRequest, loaded: LoadedSpawn = nativeSpawn()): DetachedChild {
  return loaded.ok && req.argv[0]!.startsWith('/') ? viaNative(req, loaded.native) : viaNode(req);
}

function viaNative(
  req: DetachedSpawnRequest,
  native: Extract<LoadedSpawn, { ok: true }>['native'],
): DetachedChild {
  let exit: ExitStatus | null = null;
  const waiting: Array<(e: ExitStatus) => void> = [];
  let pid: number;
  try {
    pid = native.spawn(
      req.argv[0]!,
      req.argv,
      Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      req.cwd ?? null,
      req.stdoutFd,
      req.stderrFd,
      (code, signal) => {
        const e: ExitStatus =
          signal > 0
            ? { code: null, signal: signalNameByNumber(signal) ?? String(signal) }
            : { code: code >= 0 ? code : null, signal: null };
        exit = e;
        for (const cb of waiting.splice(0)) cb(e);
      },
    );
  } catch (err) {
    throw new Error(`could not spawn ${req.program}: ${(err as Error).message}`, { cause: err });
  }
  return {
    pid,
    onExit: (cb) => {
      const done = exit;
      if (done) queueMicrotask(() => cb(done));
      else waiting.push(cb);
    },
  };
}

function viaNode(req: DetachedSpawnRequest): DetachedChild {
  const child = spawn(req.argv[0]!, req.argv.slice(1), {
    detached: true,
    stdio: ['ignore', req.stdoutFd, req.stderrFd],
    cwd: req.cwd,
    env: req.env,
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${req.program}: ${spawnError ?? 'no pid'}`);
  child.unref();
  return {
    pid,
    onExit: (cb) => {
      const report = (): void => cb({ code: child.exitCode, signal: child.signalCode });
      if (child.exitCode !== null || child.signalCode !== null) queueMicrotask(report);
      else child.once('exit', report);
    },
  };
}
