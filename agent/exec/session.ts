/**
 * One exec session on the agent: its program (program.ts), output credit (it sends stdout/stderr only
 * while the master's grants exceed what it sent, pausing the program's output otherwise), stdin credit
 * (granted back as the program takes its input), an idle timer, the optional recording, and its end:
 * the program's exit is the last frame; a `close` from the master (the CLI went away) or the link going
 * down sends SIGHUP to the program's group and SIGKILL after the grace.
 */
import type { ExecFrame } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ErrorInfo } from '../../proto/generated/governor/v1/ErrorInfo.js';
import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import { formatDuration } from '../../shared/durations.js';
import { startPiped, startPty, type Program, type ProgramSpec } from './program.js';
import type { PtyModule } from './pty.js';
import type { Recording } from './recording.js';

export type SessionState = 'starting' | 'running' | 'ending' | 'ended';

/** Stdin the agent lets the master send before it granted more (bytes). */
export const STDIN_WINDOW = 256 * 1024;

/** Output read in one turn of the event loop goes out as frames of at most this many bytes. */
export const OUTPUT_FRAME_MAX = 1024 * 1024;

/**
 * Output of one stream as the pieces it was read in (`bytes` in all): encoded into a frame without joining
 * them first; `send` copies them (their memory is read into again once it returns).
 */
export interface OutputFrame {
  stream: 'stdout' | 'stderr';
  chunks: Buffer[];
  bytes: number;
}

export interface SessionSettings {
  idleMs: number;
  killGraceMs: number;
}

export class ExecSession {
  private _state: SessionState = 'starting';
  private program: Program | null = null;
  /** Output bytes the master still lets us send. */
  private credit: number;
  private paused = false;
  /**
   * Output that came while the credit was spent, sent once the master grants more. A paused source can
   * still yield a chunk: Node resumes a child's pipes when it exits (child_process flushStdio), so the
   * credit is enforced here and the source paused again at once; this holds a chunk or two, not a stream.
   */
  private readonly held: Array<{ stream: 'stdout' | 'stderr'; chunk: Buffer }> = [];
  /**
   * Output within the credit, sent at the end of this turn of the event loop: the pipe reads of one turn
   * (64 KiB each) go out as one frame per stream run, not a frame each — every frame costs an encode, a
   * gRPC message and a relay on the master, whatever its size.
   */
  private readonly outgoing: Array<{ stream: 'stdout' | 'stderr'; chunk: Buffer }> = [];
  private flushing = false;
  /** The program's exit, sent after the held output. */
  private exit: { code: number; signal: string } | null = null;
  private idle: NodeJS.Timeout | null = null;
  private kill: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    private readonly spec: ProgramSpec,
    initialCredit: number,
    private readonly send: (f: Omit<ExecFrame, 'session'> | OutputFrame) => void,
    private readonly settings: SessionSettings,
    private readonly recording: Recording | null,
    private readonly onEnded: (s: ExecSession) => void,
    logger: Logger,
    /** The program's own process exited (its output may still be coming). */
    private readonly onProgramGone?: () => void,
  ) {
    this.credit = initialCredit;
    this.log = logger.named('exec', { session: id });
  }

  get state(): SessionState {
    return this._state;
  }

  private setState(to: SessionState): void {
    const from = this._state;
    if (from === to || from === 'ended') return;
    this._state = to;
    this.log.debug('exec session state', { from, to });
    if (to === 'ended') {
      if (this.idle) clearTimeout(this.idle);
      if (this.kill) clearTimeout(this.kill);
      this.recording?.close();
      this.onEnded(this);
    }
  }

  get pid(): number {
    return this.program?.pid ?? 0;
  }

  start(pty: PtyModule | null): void {
    const events = {
      output: (stream: 'stdout' | 'stderr', chunk: Buffer) => this.output(stream, chunk),
      gone: () => this.onProgramGone?.(),
      exit: (code: number, signal: string) => this.exited(code, signal),
      failed: (err: Error) =>
        this.fail('FAILED_PRECONDITION', `cannot run ${this.spec.argv.join(' ')}: ${errorMessage(err)}`),
    };
    try {
      this.program = this.spec.tty && pty ? startPty(pty, this.spec, events) : startPiped(this.spec, events);
    } catch (err) {
      this.fail('FAILED_PRECONDITION', `cannot run ${this.spec.argv.join(' ')}: ${errorMessage(err)}`);
      return;
    }
    if (!this.program) return; // `failed` follows
    this.setState('running');
    this.send({
      opened: { grant: STDIN_WINDOW, pid: this.program.pid, recording: this.recording?.file ?? '' },
    });
    this.idle = setTimeout(() => this.idleOut(), this.settings.idleMs).unref();
  }

  /** A frame from the master. */
  onFrame(f: ExecFrame__Output): void {
    if (this._state === 'ended') return;
    this.idle?.refresh();
    const p = this.program;
    switch (f.body) {
      case 'grant':
        this.credit += f.grant ?? 0;
        this.sendHeld();
        if (this.paused && this.credit > 0 && this.held.length === 0) {
          this.paused = false;
          p?.resume();
        }
        return;
      case 'stdin': {
        const chunk = f.stdin as Buffer;
        if (p) p.write(chunk, () => this.send({ grant: chunk.length }));
        return;
      }
      case 'stdin_eof':
        p?.endInput();
        return;
      case 'resize': {
        const rows = f.resize?.rows || 24;
        const cols = f.resize?.cols || 80;
        p?.resize(rows, cols);
        this.recording?.resize(rows, cols);
        return;
      }
      case 'signal':
        if (/^SIG[A-Z0-9]+$/.test(f.signal ?? '')) p?.signal(f.signal as NodeJS.Signals);
        return;
      case 'close':
        this.end(f.close || 'the client went away');
        return;
      default:
        return;
    }
  }

  private output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.idle?.refresh();
    this.recording?.output(chunk);
    if (this._state === 'ending') return; // nobody reads it any more
    if (this.credit <= 0) {
      this.held.push({ stream, chunk: Buffer.from(chunk) }); // a copy: the chunk's memory is read into again
      this.program?.pause();
      return;
    }
    this.sendOutput(stream, chunk);
  }

  private sendOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.outgoing.push({ stream, chunk });
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flushOutput());
    }
    this.credit -= chunk.length;
    if (this.credit <= 0 && !this.paused) {
      this.paused = true;
      this.program?.pause();
    }
  }

  /** Sends the output of this turn: consecutive chunks of a stream as one frame (up to OUTPUT_FRAME_MAX). */
  private flushOutput(): void {
    this.flushing = false;
    const out = this.outgoing;
    while (out.length > 0) {
      const stream = out[0]!.stream;
      let n = 0;
      let bytes = 0;
      while (
        n < out.length &&
        out[n]!.stream === stream &&
        (n === 0 || bytes + out[n]!.chunk.length <= OUTPUT_FRAME_MAX)
      )
        bytes += out[n++]!.chunk.length;
      this.send({ stream, chunks: out.splice(0, n).map((o) => o.chunk), bytes });
    }
    this.program?.outputCopied(); // `send` copied them (held chunks are copies)
  }

  /** Sends held output within the credit, then the exit once nothing is held. */
  private sendHeld(): void {
    while (this.held.length > 0 && this.credit > 0) {
      const { stream, chunk } = this.held.shift()!;
      this.sendOutput(stream, chunk);
    }
    if (this.held.length === 0 && this.exit) this.finish(this.exit.code, this.exit.signal);
  }

  private exited(code: number, signal: string): void {
    if (this._state !== 'ending' && this.held.length > 0) {
      this.exit = { code, signal }; // the master reads the held output first
    } else {
      this.finish(code, signal);
    }
    // Once the exit is on its way: the line is no part of the session's round trip.
    this.log.info('exec session ended', { pid: this.pid, code, signal });
  }

  private finish(code: number, signal: string): void {
    if (this._state !== 'ending') {
      this.flushOutput(); // the exit comes after all output
      this.send({ exit: { code, signal } });
    }
    this.setState('ended');
  }

  private idleOut(): void {
    this.fail(
      'DEADLINE_EXCEEDED',
      `the exec session was idle for ${formatDuration(this.settings.idleMs)} (the agent's exec idle timeout); its program was sent SIGHUP`,
    );
  }

  /** Refused or failed: the error is the session's last frame; a running program is ended. */
  private fail(code: string, message: string): void {
    if (this._state === 'ended' || this._state === 'ending') return;
    const err: ErrorInfo = { code, message };
    this.flushOutput(); // what the program printed comes before the error
    this.send({ error: err });
    if (this.program) this.end(message);
    else this.setState('ended');
  }

  /**
   * The other side went away: SIGHUP to the program's group (as a terminal hang-up does), SIGKILL after the
   * grace; the session ends when the program has exited.
   */
  end(reason: string): void {
    if (this._state === 'ended' || this._state === 'ending') return;
    if (!this.program) return this.setState('ended');
    this.setState('ending');
    this.log.info('exec session closing', { pid: this.pid, reason });
    const p = this.program;
    p.discardInput(); // nobody is typing any more: what was not taken never reaches it (or anything else)
    p.resume(); // a paused program could block on a full pipe and never see the hang-up
    this.paused = false;
    this.credit = Number.POSITIVE_INFINITY;
    this.held.length = 0;
    this.outgoing.length = 0; // nobody reads it any more
    if (this.exit) return this.setState('ended'); // it had exited; only its output was held
    p.signal('SIGHUP');
    this.kill = setTimeout(() => p.signal('SIGKILL'), this.settings.killGraceMs).unref();
  }
}
