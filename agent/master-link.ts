/**
 * The agent's link to the master: one dial loop (exponential backoff + jitter), a hello with the full
 * inventory on every (re)connect, commands answered by id (a repeated id gets the first answer again),
 * status/events pushed as they happen, metrics every interval, and a heartbeat that notices a hung master.
 */
import * as grpc from '@grpc/grpc-js';
import type { AgentMessage } from '../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../proto/generated/governor/v1/MasterMessage.js';
import type { AgentCommand__Output } from '../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult } from '../proto/generated/governor/v1/CommandResult.js';
import type { Hello } from '../proto/generated/governor/v1/Hello.js';
import type { MetricsReport } from '../proto/generated/governor/v1/MetricsReport.js';
import type { AgentLinkClient } from '../proto/generated/governor/v1/AgentLink.js';
import { loadProtos, MAX_MESSAGE_BYTES } from '../shared/proto.js';
import { errorKindOf } from '../shared/grpc-status.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export type LinkState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'closed';

/** What the link needs from the agent. */
export interface LinkHost {
  /** Identity and full inventory for the hello (agent_id is filled by the link). */
  inventory(): Omit<Hello, 'agent_id'>;
  /** Carries out one command; throws a domain error on failure. */
  execute(cmd: AgentCommand__Output): Promise<Omit<CommandResult, 'command_id' | 'ok'>>;
  metrics(): Promise<MetricsReport>;
}

export interface MasterLinkOptions {
  agentId: string;
  address: string;
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  logger: Logger;
  /** Reconnect backoff (named constants; jitter ±20 %). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Used until the master's welcome says otherwise. */
  heartbeatIntervalMs?: number;
  metricsIntervalMs?: number;
}

const BACKOFF_INITIAL_MS = 200;
const BACKOFF_MAX_MS = 10_000;
const BACKOFF_JITTER = 0.2;
const HEARTBEAT_MISSES = 4;
const RESULT_CACHE = 256;

export class MasterLink {
  private _state: LinkState = 'idle';
  private client: AgentLinkClient;
  private call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output> | null = null;
  private attempt = 0;
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  /** The master's clock minus ours, ms (from the welcome and every heartbeat). */
  private clockOffsetMs = 0;
  private heartbeatMs: number;
  private metricsMs: number;
  private readonly results = new Map<string, Promise<CommandResult>>();
  private readonly log: Logger;
  /** Resolvers waiting for the next `connected`. */
  private connectedWaiters: Array<() => void> = [];

  constructor(
    private readonly host: LinkHost,
    private readonly opts: MasterLinkOptions,
  ) {
    const { link } = loadProtos();
    // This dial loop is the only reconnect loop: the channel's own backoff (grpc-js: 1 s growing to
    // 120 s, failing every call at once while it waits) is held at the loop's first step, so a master
    // that is back is reached on the loop's next dial, not minutes later.
    const transportBackoffMs = opts.backoffInitialMs ?? BACKOFF_INITIAL_MS;
    this.client = new link.governor.v1.AgentLink(opts.address, opts.credentials, {
      'grpc.initial_reconnect_backoff_ms': transportBackoffMs,
      'grpc.max_reconnect_backoff_ms': transportBackoffMs,
      ...opts.channelOptions,
    });
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 2000;
    this.metricsMs = opts.metricsIntervalMs ?? 5000;
    this.log = opts.logger.named('link', { master: opts.address });
  }

  get state(): LinkState {
    return this._state;
  }

  private setState(to: LinkState): void {
    const from = this._state;
    if (from === to) return;
    this._state = to;
    this.log.info('link state', { from, to });
    if (to === 'connected') for (const w of this.connectedWaiters.splice(0)) w();
  }

  /** Starts the dial loop (idempotent: only one loop ever runs). */
  start(): void {
    if (this._state !== 'idle') return;
    this.dial();
  }

  /** Resolves once connected (tests, `gov dev`). */
  whenConnected(): Promise<void> {
    if (this._state === 'connected') return Promise.resolve();
    return new Promise((r) => this.connectedWaiters.push(r));
  }

  private dial(): void {
    if (this._state === 'closed') return;
    this.setState('connecting');
    const call = this.client.Connect();
    this.call = call;
    let welcomed = false;
    call.on('data', (msg: MasterMessage__Output) => {
      this.lastHeard = Date.now();
      const masterTime = msg.welcome?.sent_at_ms || msg.heartbeat?.sent_at_ms;
      if (masterTime) this.clockOffsetMs = masterTime - Date.now();
      if (msg.body === 'welcome' && msg.welcome) {
        welcomed = true;
        this.attempt = 0;
        this.heartbeatMs = msg.welcome.heartbeat_interval_ms || this.heartbeatMs;
        this.metricsMs = msg.welcome.metrics_interval_ms || this.metricsMs;
        this.setState('connected');
        this.startTimers(call);
      } else if (msg.body === 'command' && msg.command) {
        void this.onCommand(call, msg.command);
      }
    });
    const onDown = (why: string) => {
      if (this.call !== call) return;
      this.call = null;
      this.clearTimers();
      if (this._state === 'closed') return;
      this.log.warn('master link down', { reason: why, welcomed });
      this.scheduleRetry();
    };
    call.on('error', (err: grpc.ServiceError) => onDown(err.details || err.message));
    call.on('end', () => onDown('stream ended'));
    this.lastHeard = Date.now();
    call.write({ hello: { ...this.host.inventory(), agent_id: this.opts.agentId } });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this._state === 'closed') return;
    this.setState('backoff');
    const base = Math.min(
      this.opts.backoffMaxMs ?? BACKOFF_MAX_MS,
      (this.opts.backoffInitialMs ?? BACKOFF_INITIAL_MS) * 2 ** this.attempt,
    );
    this.attempt++;
    const delay = Math.round(base * (1 + (Math.random() * 2 - 1) * BACKOFF_JITTER));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.dial();
    }, delay).unref();
  }

  private startTimers(call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>): void {
    this.clearTimers();
    let lastTick = Date.now();
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        // A tick that comes late means our own event loop was starved (e.g. busy spawning): what the
        // master sent meanwhile is still unread, so silence is not evidence against it this time.
        if (now - lastTick > this.heartbeatMs * 2) this.lastHeard = now;
        lastTick = now;
        if (now - this.lastHeard > this.heartbeatMs * HEARTBEAT_MISSES) {
          this.log.warn('master silent; reconnecting', { silent_ms: now - this.lastHeard });
          call.cancel();
          return;
        }
        call.write({ heartbeat: { sent_at_ms: now } });
      }, this.heartbeatMs).unref(),
      setInterval(() => void this.pushMetrics(call), this.metricsMs).unref(),
    );
  }

  private clearTimers(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private async pushMetrics(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
  ): Promise<void> {
    try {
      const metrics = await this.host.metrics();
      if (this.call === call) call.write({ metrics });
    } catch (err) {
      this.log.warn('metrics sampling failed', { error: errorMessage(err) });
    }
  }

  private async onCommand(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
    cmd: AgentCommand__Output,
  ): Promise<void> {
    let result = this.results.get(cmd.id);
    if (!result) {
      result = this.run(cmd);
      this.results.set(cmd.id, result);
      if (this.results.size > RESULT_CACHE) this.results.delete(this.results.keys().next().value as string);
    }
    const r = await result;
    if (this.call !== call) return;
    // An answer too big for one message would tear the stream down (and fail every command on it).
    if (JSON.stringify(r).length > MAX_MESSAGE_BYTES - 64 * 1024) {
      const message = `the result of ${cmd.kind} is too large to send (limit ${MAX_MESSAGE_BYTES} bytes); ask for less`;
      call.write({ result: { command_id: cmd.id, ok: false, error: { code: 'INVALID_ARGUMENT', message } } });
      return;
    }
    call.write({ result: r });
  }

  private async run(cmd: AgentCommand__Output): Promise<CommandResult> {
    // Deadlines are in the master's clock: compare in it (offset from the welcome and heartbeats).
    if (cmd.deadline_ms && Date.now() + this.clockOffsetMs > cmd.deadline_ms) {
      return {
        command_id: cmd.id,
        ok: false,
        error: { code: 'DEADLINE_EXCEEDED', message: 'command arrived after its deadline' },
      };
    }
    try {
      const out = await this.host.execute(cmd);
      return { ...out, command_id: cmd.id, ok: true };
    } catch (err) {
      return { command_id: cmd.id, ok: false, error: { code: errorKindOf(err), message: errorMessage(err) } };
    }
  }

  /** Pushes a message (status change, event) when connected; dropped otherwise (the next hello carries the full inventory). */
  push(msg: AgentMessage): void {
    if (this._state === 'connected' && this.call) this.call.write(msg);
  }

  close(): void {
    this.setState('closed');
    this.clearTimers();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.call = null;
    this.client.close();
  }
}
