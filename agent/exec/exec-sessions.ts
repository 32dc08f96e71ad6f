/**
 * The agent's exec sessions (Admin.Exec): opens one per `open` frame from the master, in the context of
 * the instance it names (ExecTargets: cwd, environment, user, cgroup), routes the master's frames to it,
 * and ends them all when the link goes down (nobody could read them any more). Refuses, with an error
 * frame naming why: exec disabled (`--no-exec`) or unavailable (node-pty did not load), the session limit
 * reached, an unknown or observed instance, one that is not running or is frozen.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ExecFrame, ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecOpen__Output } from '../../proto/generated/governor/v1/ExecOpen.js';
import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import { errorKindOf } from '../../shared/grpc-status.js';
import { fieldNumber } from '../../shared/proto.js';
import { bytesField, fields, stringField, type Encoded } from '../../shared/wire-bytes.js';
import { ExecSession, type OutputFrame } from './session.js';
import { loadPty, type PtyModule } from './pty.js';
import { Recording } from './recording.js';
import type { DirectLaunch, ProgramSpec } from './program.js';
import { nativeSpawn, type LoadedSpawn, type NativeSpawn } from '../native/process-spawn.js';

export interface ExecSettings {
  /** False: `--no-exec` (or `exec: false` in the config file). */
  enabled: boolean;
  /** Concurrent sessions on this agent. */
  maxSessions: number;
  /** A session with no frame either way for this long is ended. */
  idleMs: number;
  /** SIGHUP → SIGKILL. */
  killGraceMs: number;
  /** The node-pty module to load (tests give a missing one). */
  ptyModule?: string;
  /** The native spawn of piped programs, or why there is none (tests); absent: the addon's. */
  spawn?: LoadedSpawn;
}

export const DEFAULT_EXEC_SETTINGS: ExecSettings = {
  enabled: true,
  maxSessions: 8,
  idleMs: 30 * 60_000,
  killGraceMs: 5_000,
};

/** Where and how a program runs in an instance's context (the supervisor answers: Supervisor.execContext). */
export interface ExecContext {
  /** The command behind the prefixes that join the cgroups, change the user and set the death signal. */
  argv: string[];
  /** The command and those steps apart, for a spawn that takes them itself (absent: `argv` only). */
  direct?: DirectLaunch;
  cwd: string | undefined;
  env: Record<string, string>;
  /** The instance's log folder (recordings go there). */
  logDir: string;
  /** Marks the instance in use while the session runs (on-demand: no idle stop or freeze); returns its end. */
  busy?: () => () => void;
  /**
   * Ends what is left of the session once its program exited and when the session ends (its own cgroup:
   * SIGHUP, SIGKILL after `graceMs`, then the group removed); a second call while one runs joins it.
   * Absent: no session group (tracking by process group).
   */
  release?: (graceMs: number) => void;
}

export type ExecTargets = (instance: string, command: string[], session: string) => ExecContext;

/**
 * Writes a frame on the link: an object, or output already as wire bytes (`outputFrame`), whose parts the
 * link copies before it returns.
 */
export type ExecSend = (frame: ExecFrame | Encoded) => void;

/**
 * A session's output as ExecFrame wire bytes, its chunks as they were read: the link copies them once, with
 * its own envelope, into the buffer it sends (../link/send-buffers.ts); they are read into again afterwards
 * (program.ts).
 */
export function outputFrame(session: string, o: OutputFrame): Encoded {
  return fields(
    stringField(fieldNumber('governor.v1.ExecFrame', 'session'), session),
    bytesField(fieldNumber('governor.v1.ExecFrame', o.stream), o.chunks, o.bytes),
  );
}

/** What an exec session id may be (the master makes UUIDs). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class ExecSessions {
  private readonly sessions = new Map<string, ExecSession>();
  private readonly pty: PtyModule | null;
  /** Starts piped programs without forking the agent; null: child_process and the prefix chain. */
  private readonly spawner: NativeSpawn | null = null;
  /** Why exec is refused on this agent ('' when available). */
  readonly unavailable: string;
  private readonly log: Logger;

  constructor(
    private readonly targets: ExecTargets,
    private readonly settings: ExecSettings,
    logger: Logger,
  ) {
    this.log = logger.named('exec');
    if (!settings.enabled) {
      this.pty = null;
      this.unavailable = 'exec is disabled on this agent (--no-exec or exec: false)';
    } else {
      const load = loadPty(settings.ptyModule);
      this.pty = 'pty' in load ? load.pty : null;
      this.unavailable =
        'unavailable' in load ? `exec is unavailable on this agent: ${load.unavailable}` : '';
      if (this.unavailable) this.log.warn('exec unavailable', { reason: this.unavailable });
      const spawn = settings.spawn ?? nativeSpawn();
      if (spawn.ok) this.spawner = spawn.native;
      else
        this.log.warn('exec programs are spawned through child_process (the agent is forked per session)', {
          reason: spawn.reason,
        });
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  /** PIDs of the running programs (tests, diagnostics). */
  pids(): number[] {
    return [...this.sessions.values()].map((s) => s.pid).filter((p) => p > 0);
  }

  /** A frame from the master; `send` writes on the stream it came on. */
  onFrame(f: ExecFrame__Output, send: ExecSend): void {
    const id = f.session;
    if (!id) return;
    if (f.body === 'open' && f.open) return this.open(id, f.open, send);
    this.sessions.get(id)?.onFrame(f);
  }

  private open(id: string, open: ExecOpen__Output, send: ExecSend): void {
    const refuse = (code: string, message: string) => {
      this.log.warn('exec refused', { session: id, instance: open.instance, reason: message });
      send({ session: id, error: { code, message } });
    };
    if (this.unavailable) return refuse('UNAVAILABLE', this.unavailable);
    // The id names the session's cgroup directory: nothing but a plain token.
    if (!SESSION_ID.test(id)) return refuse('INVALID_ARGUMENT', `bad exec session id ${JSON.stringify(id)}`);
    if (this.sessions.has(id)) return refuse('INVALID_ARGUMENT', `exec session ${id} is already open`);
    if (this.sessions.size >= this.settings.maxSessions)
      return refuse(
        'FAILED_PRECONDITION',
        `this agent already runs ${this.sessions.size} exec sessions, its limit (--exec-max-sessions ${this.settings.maxSessions}); end one first`,
      );
    if (open.command.length === 0) return refuse('INVALID_ARGUMENT', 'exec needs a command');
    let ctx: ExecContext;
    try {
      ctx = this.targets(open.instance, open.command, id);
    } catch (err) {
      return refuse(errorKindOf(err), errorMessage(err));
    }
    const window = { rows: open.window?.rows || 24, cols: open.window?.cols || 80 };
    const term = open.term || 'xterm-256color';
    const tty = open.tty ? { ...window, term } : null;
    const spec: ProgramSpec = {
      argv: ctx.argv,
      direct: this.spawner && ctx.direct ? { ...ctx.direct, spawner: this.spawner } : null,
      cwd: ctx.cwd,
      env: open.tty ? { ...ctx.env, TERM: term } : ctx.env,
      tty,
      stdin: open.stdin,
    };
    let recording: Recording | null = null;
    if (open.record) {
      try {
        mkdirSync(ctx.logDir, { recursive: true, mode: 0o750 });
        recording = new Recording(Recording.fileIn(ctx.logDir, id), {
          ...window,
          command: open.command,
          term,
          issuedBy: open.issued_by,
        });
      } catch (err) {
        ctx.release?.(0);
        return refuse('FAILED_PRECONDITION', `cannot record into ${ctx.logDir}: ${errorMessage(err)}`);
      }
    }
    const notBusy = ctx.busy?.();
    const session = new ExecSession(
      id,
      spec,
      open.grant || 0,
      (frame) => send('chunks' in frame ? outputFrame(id, frame) : { ...frame, session: id }),
      this.settings,
      recording,
      (s) => {
        this.sessions.delete(s.id);
        notBusy?.();
        ctx.release?.(this.settings.killGraceMs);
      },
      this.log,
      // What the program left running ends with it, as systemd ends a service's leftovers when its main
      // process exits: a daemon holding the output would otherwise keep the session open.
      () => ctx.release?.(this.settings.killGraceMs),
    );
    this.sessions.set(id, session);
    session.start(this.pty);
    // After the start (its `opened` frame sent): the line is no part of the session's round trip.
    this.log.info('exec session', {
      session: id,
      instance: open.instance,
      issued_by: open.issued_by,
      command: open.command.join(' ').slice(0, 200),
      tty: open.tty,
      ...(session.pid > 0 ? { pid: session.pid } : {}),
    });
  }

  /** The link went down: every session is ended (SIGHUP, then SIGKILL after the grace). */
  linkDown(reason: string): void {
    for (const s of this.sessions.values()) s.end(`the master link went down (${reason})`);
  }
}

/** `<data-dir>/logs/<instance key>` */
export function instanceLogDir(dataDir: string, key: string): string {
  return path.join(dataDir, 'logs', key);
}
