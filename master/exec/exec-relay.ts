/**
 * One exec session on the master: relays frames between the CLI's Admin.Exec call and the agent's link
 * stream, and records the execution. Flow control (agent_link.proto ExecFrame): the agent may send
 * OUTPUT_WINDOW bytes of output ahead; the master grants more only as the CLI's stream takes them
 * (`write()` true, or its 'drain'), so a slow reader slows the program and the master never holds more
 * than a window per session (an agent that sends past its credit has its session ended). Stdin goes to the agent only within the agent's grants; past them the CLI's
 * stream is paused (HTTP/2 flow control then holds the CLI back). The session ends with the program's
 * exit, an error from the agent, the CLI going away (the agent is told: SIGHUP, then SIGKILL) or the
 * agent's link going away (the CLI gets UNAVAILABLE naming the agent).
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ExecClientFrame__Output } from '../../proto/generated/governor/v1/ExecClientFrame.js';
import type { ExecServerFrame } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import type { ExecFrame, ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { ExecOpen } from '../../proto/generated/governor/v1/ExecOpen.js';
import { GovError, UnavailableError } from '../../shared/errors.js';
import { errorFromInfo, toServiceError } from '../../shared/grpc-status.js';
import type { Logger } from '../../shared/logger.js';
import { fieldNumber } from '../../shared/proto.js';
import { bytesField, retagged } from '../../shared/wire-bytes.js';
import type { ExecutionOutcome } from '../state/execution-log.js';

/**
 * Output the agent may send before the master grants more (bytes): what the master holds for a session at
 * most. Four of the agent's largest output frames (1 MiB, agent/exec/session.ts; a turn's reads make
 * ~180 KiB): at 1 MiB the agent ran out of credit while grants were on their way and stopped reading
 * (100 MB exec, interleaved at load 10-14: 44-134 MB/s at 4 MiB against 11-52 at 1 MiB).
 */
export const OUTPUT_WINDOW = 4 * 1024 * 1024;
/**
 * Grants are sent once this much is owed (a quarter of the window): at 32 KiB, below one 64 KiB pipe read,
 * every output frame cost a grant message back on the link, encoded and decoded.
 */
export const GRANT_BATCH = OUTPUT_WINDOW / 4;

export type ExecCall = ServerDuplexStream<ExecClientFrame__Output, ExecServerFrame>;

/** The agent end of a session: its id and a way to send it a frame on its link stream. */
export interface ExecAgentEnd {
  readonly agentId: string;
  send(frame: ExecFrame): void;
}

export type RelayState = 'opening' | 'open' | 'done';

export interface RelayInfo {
  session: string;
  executionId: string;
  instance: string;
  /** Completes the execution record (once); resolves when it is on disk or could not be written (logged). */
  complete(outcome: ExecutionOutcome): Promise<void>;
}

export class ExecRelay {
  private _state: RelayState = 'opening';
  /** Stdin bytes the agent still takes before it grants more. */
  private stdinCredit = 0;
  private readonly stdinQueue: Array<Buffer | 'eof'> = [];
  private cliPaused = false;
  /** Output bytes written to the CLI and not yet granted back to the agent. */
  private owed = 0;
  /** Output the agent may still send: the window and every grant, less what it sent. */
  private outputCredit = OUTPUT_WINDOW;
  private waitingDrain = false;
  private readonly log: Logger;

  constructor(
    private readonly cli: ExecCall,
    private readonly agent: ExecAgentEnd,
    private readonly info: RelayInfo,
    private readonly onDone: (r: ExecRelay) => void,
    logger: Logger,
  ) {
    this.log = logger.named('exec', { session: info.session, agent: agent.agentId });
    cli.on('data', (f: ExecClientFrame__Output) => this.fromCli(f));
    cli.on('cancelled', () => this.cliGone('the client cancelled the call'));
    cli.on('error', (err: Error) => this.cliGone(`the client's stream failed: ${err.message}`));
    cli.on('close', () => this.cliGone('the client went away'));
    cli.resume(); // paused by the handler from the start frame on, so that nothing was read unheard
  }

  get state(): RelayState {
    return this._state;
  }

  get session(): string {
    return this.info.session;
  }

  private setState(to: RelayState): void {
    if (this._state === 'done') return;
    this.log.debug('exec relay state', { from: this._state, to });
    this._state = to;
    if (to === 'done') this.onDone(this);
  }

  /** Asks the agent to open the session; nothing but the record's end when the CLI is already gone. */
  open(open: ExecOpen): void {
    // Cancelled while the session was set up (its record written): that event came before our listeners.
    if (this.cli.cancelled) return this.cliGone('the client cancelled the call');
    this.agent.send({ session: this.info.session, open: { ...open, grant: OUTPUT_WINDOW } });
  }

  /** A frame from the agent for this session. */
  fromAgent(f: ExecFrame__Output): void {
    if (this._state === 'done') return;
    switch (f.body) {
      case 'opened':
        if (this._state !== 'opening') return;
        this.stdinCredit = f.opened?.grant ?? 0;
        this.setState('open');
        this.cli.write({
          started: {
            execution_id: this.info.executionId,
            agent: this.agent.agentId,
            instance: this.info.instance,
            recording: f.opened?.recording ?? '',
          },
        });
        this.flushStdin();
        return;
      case 'stdout':
      case 'stderr': {
        const chunk = (f.body === 'stdout' ? f.stdout : f.stderr) as Buffer;
        // The agent sends while its credit is above 0 (a chunk may overshoot it): past that, it ignores
        // flow control, and relaying would make this master hold whatever it sends.
        if (this.outputCredit <= 0) {
          const why = `agent ${this.agent.agentId} sent exec output past the credit the master granted`;
          this.agent.send({ session: this.info.session, close: why });
          this.fail(new GovError('INTERNAL', `${why}; the session is ended`));
          return;
        }
        this.outputCredit -= chunk.length;
        // As wire bytes, not through fromObject, encode and finish: the received frame's own bytes, its
        // field's tag rewritten in place (a small chunk is copied once, by the serializer).
        const to = fieldNumber('governor.v1.ExecServerFrame', f.body);
        const frame =
          retagged(chunk, fieldNumber('governor.v1.ExecFrame', f.body), to) ??
          bytesField(to, [chunk], chunk.length);
        const ok = this.cli.write(frame as ExecServerFrame);
        this.owed += chunk.length;
        if (ok) this.grantOwed(false);
        else this.awaitDrain();
        return;
      }
      case 'grant':
        this.stdinCredit += f.grant ?? 0;
        this.flushStdin();
        return;
      case 'exit': {
        const code = f.exit?.code ?? 0;
        const signal = f.exit?.signal ?? '';
        const result = signal ? `exit code ${code} (${signal})` : `exit code ${code}`;
        this.setState('done');
        // The exit reaches the CLI once its record is on disk (DESIGN §4: a returned result is recorded).
        void this.info
          .complete(
            code === 0
              ? { status: 'success', result }
              : { status: 'error', result, error: `the program ended with ${result}` },
          )
          .finally(() => {
            try {
              this.cli.write({ exit: { code, signal } });
              this.cli.end();
            } catch (err) {
              this.log.debug('exec call already gone', { err });
            }
          });
        return;
      }
      case 'error':
        this.fail(errorFromInfo(f.error));
        return;
      default:
        return;
    }
  }

  private grantOwed(force: boolean): void {
    if (this.owed === 0 || (!force && this.owed < GRANT_BATCH)) return;
    this.agent.send({ session: this.info.session, grant: this.owed });
    this.outputCredit += this.owed;
    this.owed = 0;
  }

  private awaitDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    this.cli.once('drain', () => {
      this.waitingDrain = false;
      if (this._state !== 'done') this.grantOwed(true);
    });
  }

  private fromCli(f: ExecClientFrame__Output): void {
    if (this._state === 'done') return;
    const session = this.info.session;
    switch (f.body) {
      case 'stdin':
        this.stdinQueue.push(f.stdin as Buffer);
        this.flushStdin();
        return;
      case 'stdin_eof':
        this.stdinQueue.push('eof');
        this.flushStdin();
        return;
      case 'resize':
        this.agent.send({ session, resize: { rows: f.resize?.rows ?? 0, cols: f.resize?.cols ?? 0 } });
        return;
      case 'signal':
        this.agent.send({ session, signal: f.signal ?? '' });
        return;
      default:
        return;
    }
  }

  /** Sends queued stdin within the agent's credit; pauses the CLI's stream while it is spent. */
  private flushStdin(): void {
    const session = this.info.session;
    // Before the agent opened the session it has granted nothing: all is queued (and the CLI paused).
    while (this._state === 'open' && this.stdinQueue.length > 0) {
      const next = this.stdinQueue[0]!;
      if (next === 'eof') {
        this.agent.send({ session, stdin_eof: true });
      } else {
        if (this.stdinCredit <= 0) break;
        this.agent.send({ session, stdin: next });
        this.stdinCredit -= next.length;
      }
      this.stdinQueue.shift();
    }
    const blocked = this.stdinQueue.length > 0;
    if (blocked && !this.cliPaused) {
      this.cliPaused = true;
      this.cli.pause();
    } else if (!blocked && this.cliPaused) {
      this.cliPaused = false;
      this.cli.resume();
    }
  }

  /** The CLI went away: the agent ends the program (SIGHUP, then SIGKILL after its grace). */
  private cliGone(reason: string): void {
    if (this._state === 'done') return;
    this.log.info('exec client gone; ending the program', { reason });
    this.agent.send({ session: this.info.session, close: reason });
    void this.info.complete({ status: 'error', error: `${reason}; the program was sent SIGHUP` });
    this.setState('done');
  }

  /** The agent's link went away mid-session. */
  agentGone(reason: string): void {
    this.fail(
      new UnavailableError(
        `agent ${this.agent.agentId} disconnected during the exec session (${reason}); the session is lost`,
      ),
    );
  }

  /** Ends the CLI's call with `err` (a refusal from the agent, or the agent gone). */
  fail(err: GovError): void {
    if (this._state === 'done') return;
    this.log.info('exec session failed', { reason: err.message });
    // Done first: emitting the error also reaches our own 'error' listener, which must not take it for
    // the CLI going away.
    this.setState('done');
    void this.info.complete({ status: 'error', error: err.message });
    try {
      this.cli.emit('error', toServiceError(err));
    } catch (e) {
      this.log.debug('exec call already gone', { err: e });
    }
  }
}
