/**
 * One connected agent's stream on the master: correlates commands and results by id, tracks liveness
 * with an application heartbeat, and fails every pending command when the stream ends. A result for no
 * pending command (it came after the master gave up, or is re-sent after a reconnect) is passed on as a
 * `message` for the execution log to correct its record; results are acknowledged (MasterMessage.ack)
 * once recorded, so the agent can forget them.
 */
import { AGENT_LINK_PROTOCOL } from '../../shared/proto.js';
import { EventEmitter } from 'node:events';
import type { ServerDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { AgentMessage__Output } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage } from '../../proto/generated/governor/v1/MasterMessage.js';
import type { AgentCommand } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult__Output } from '../../proto/generated/governor/v1/CommandResult.js';
import type { ExecFrame } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { Hello__Output } from '../../proto/generated/governor/v1/Hello.js';
import { timerDelay } from '../../shared/durations.js';
import { StateError, TimeoutError, type ErrorKind } from '../../shared/errors.js';
import { statusOf } from '../../shared/grpc-status.js';
import type { Logger } from '../../shared/logger.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { HeartbeatWatchdog } from '../../shared/heartbeat-watchdog.js';

export type SessionState = 'awaiting-hello' | 'connected' | 'closed';

/** The status a stream ends with (toServiceError's shape: code, details and metadata such as the leader). */
export type StreamStatus = Partial<ServiceError> & { code: number };

export interface SessionOptions {
  heartbeatIntervalMs: number;
  /** The agent counts as gone when nothing arrived for this long. */
  graceMs: number;
  metricsIntervalMs: number;
  helloTimeoutMs: number;
  logger: Logger;
  /** The heartbeat watchdog's time (tests may inject a fake). */
  clock?: Clock;
}

interface Pending {
  resolve: (r: CommandResult__Output) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** The caller acknowledges the result itself, once it is recorded (see `ack`). */
  ackByCaller: boolean;
}

export interface AgentSessionEvents {
  hello: [Hello__Output];
  message: [AgentMessage__Output];
  closed: [string];
}

export class AgentSession extends EventEmitter<AgentSessionEvents> {
  private _state: SessionState = 'awaiting-hello';
  private readonly pending = new Map<string, Pending>();
  /** Runs from the hello on: gives the agent up after `graceMs` of silence. */
  private watchdog: HeartbeatWatchdog | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  hello: Hello__Output | null = null;
  private log: Logger;

  constructor(
    private readonly call: ServerDuplexStream<AgentMessage__Output, MasterMessage>,
    /** The CN of the peer's certificate: the only id this stream may speak for. */
    readonly agentId: string,
    private readonly opts: SessionOptions,
  ) {
    super();
    this.log = opts.logger.named('session', { agent: agentId });
    call.on('data', (msg: AgentMessage__Output) => this.onMessage(msg));
    call.on('end', () => this.close('agent closed the stream'));
    call.on('error', (err) => this.close(`stream error: ${err.message}`));
    call.on('cancelled', () => this.close('stream cancelled'));
    this.helloTimer = setTimeout(
      () => this.fail('no hello within the deadline'),
      opts.helloTimeoutMs,
    ).unref();
  }

  get state(): SessionState {
    return this._state;
  }

  private setState(to: SessionState): void {
    const from = this._state;
    if (from === to) return;
    if (from === 'closed') throw new StateError(`session ${this.agentId}: cannot go from closed to ${to}`);
    this._state = to;
    this.log.debug('session state', { from, to });
  }

  private onMessage(msg: AgentMessage__Output): void {
    if (this._state === 'closed') return;
    this.watchdog?.heard();
    if (this._state === 'awaiting-hello') {
      if (msg.body !== 'hello' || !msg.hello) return this.fail('the first message must be a hello');
      if (msg.hello.agent_id !== this.agentId) {
        return this.fail(
          `certificate CN=${this.agentId} may not connect as agent ${JSON.stringify(msg.hello.agent_id)}: an agent can only speak for itself`,
          'PERMISSION_DENIED',
        );
      }
      if (msg.hello.protocol !== AGENT_LINK_PROTOCOL) {
        return this.fail(
          `agent ${this.agentId} speaks agent-link protocol ${msg.hello.protocol}; this master speaks ${AGENT_LINK_PROTOCOL}: run the same Governor release on the master and its agents`,
          'FAILED_PRECONDITION',
        );
      }
      if (this.helloTimer) clearTimeout(this.helloTimer);
      this.hello = msg.hello;
      this.setState('connected');
      this.send({
        welcome: {
          heartbeat_interval_ms: this.opts.heartbeatIntervalMs,
          metrics_interval_ms: this.opts.metricsIntervalMs,
          sent_at_ms: Date.now(),
          heartbeat_grace_ms: this.opts.graceMs,
          protocol: AGENT_LINK_PROTOCOL,
        },
      });
      this.watchdog = new HeartbeatWatchdog({
        clock: this.opts.clock ?? systemClock,
        intervalMs: this.opts.heartbeatIntervalMs,
        graceMs: this.opts.graceMs,
        beat: (now) => this.send({ heartbeat: { sent_at_ms: now } }),
        silent: (silentMs) => this.fail(`no heartbeat for ${silentMs} ms (grace ${this.opts.graceMs} ms)`),
      }).start();
      this.emit('hello', msg.hello);
      return;
    }
    if (msg.body === 'result' && msg.result) {
      const p = this.pending.get(msg.result.command_id);
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(msg.result.command_id);
        if (!p.ackByCaller) this.ack([msg.result.command_id]);
        p.resolve(msg.result);
        return;
      }
    }
    this.emit('message', msg);
  }

  private send(msg: MasterMessage): void {
    if (this._state === 'closed') return;
    this.call.write(msg);
  }

  /**
   * Sends a command and resolves with the agent's result; rejects on timeout or disconnect. The result
   * is acknowledged to the agent on receipt, or with `ackByCaller` by the caller (`ack`) once recorded.
   */
  command(
    cmd: AgentCommand & { id: string },
    timeoutMs: number,
    opts: { ackByCaller?: boolean } = {},
  ): Promise<CommandResult__Output> {
    if (this._state !== 'connected') {
      return Promise.reject(new StateError(`agent ${this.agentId} is not connected`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cmd.id);
        reject(new TimeoutError(`agent ${this.agentId} did not answer ${cmd.kind} within ${timeoutMs} ms`));
      }, timerDelay(timeoutMs)).unref(); // a longer delay would fire at once
      this.pending.set(cmd.id, { resolve, reject, timer, ackByCaller: opts.ackByCaller === true });
      this.send({ command: { ...cmd, deadline_ms: Date.now() + timeoutMs } });
    });
  }

  /** Tells the agent these results are recorded (it stops re-sending them). A closed session skips it. */
  ack(commandIds: string[]): void {
    if (commandIds.length > 0) this.send({ ack: { command_ids: commandIds } });
  }

  /** Sends a frame of an exec session (master/exec) on this stream. */
  exec(frame: ExecFrame): void {
    this.send({ exec: frame });
  }

  /** Tells the agent these local executions are recorded (agent_link.proto LocalExecutionAck). */
  ackLocal(ids: string[]): void {
    if (ids.length > 0) this.send({ local_ack: { ids } });
  }

  /** Ends the stream with the status of `kind` (shared/grpc-status.ts) and closes the session. */
  fail(reason: string, kind: ErrorKind = 'UNAVAILABLE'): void {
    this.failWith(reason, { code: statusOf(kind), details: reason, message: reason });
  }

  /** Ends the stream with `status` (code, details, metadata: see toServiceError) and closes the session. */
  failWith(reason: string, status: StreamStatus): void {
    if (this._state === 'closed') return;
    try {
      this.call.emit('error', status);
    } catch {
      /* stream already gone */
    }
    this.close(reason);
  }

  /** Closes the session: pending commands fail at once (never hang). */
  close(reason: string): void {
    if (this._state === 'closed') return;
    this.setState('closed');
    this.watchdog?.stop();
    if (this.helloTimer) clearTimeout(this.helloTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new StateError(`agent ${this.agentId} disconnected before answering (${reason})`));
      this.pending.delete(id);
    }
    try {
      this.call.end();
    } catch {
      /* already ended */
    }
    this.log.info('agent session closed', { reason });
    this.emit('closed', reason);
  }
}
