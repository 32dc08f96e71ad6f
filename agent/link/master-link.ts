/**
 * The agent's link to the master: one dial loop (exponential backoff + jitter), a hello with the full
 * inventory on every (re)connect, commands answered by id (a repeated id gets the first answer again),
 * status/events pushed as they happen, metrics sampled every interval and pushed when they changed
 * (metrics-push.ts) together with the resource policies' report (and that report after every welcome),
 * and a heartbeat that notices a hung master.
 *
 * The execution log must end up true (DESIGN §8.10), so a command the master gave up on is either not
 * carried out or its result still reaches the master:
 * - before starting a command the agent checks that the master still waits for it: the stream it came on
 *   is still open, the agent has not been silent longer than the master's heartbeat grace (it was frozen
 *   or starved: the master has closed that stream), and the deadline (master's clock) has not passed.
 *   Otherwise the command is answered as not carried out (UNAVAILABLE / DEADLINE_EXCEEDED);
 * - every result is kept until the master acknowledges it (ResultOutbox) and sent again after each
 *   reconnect; the master then corrects the execution's record (`late`).
 */
import * as grpc from '@grpc/grpc-js';
import type { AgentMessage } from '../../proto/generated/governor/v1/AgentMessage.js';
import type { MasterMessage__Output } from '../../proto/generated/governor/v1/MasterMessage.js';
import type { AgentCommand__Output } from '../../proto/generated/governor/v1/AgentCommand.js';
import type { CommandResult } from '../../proto/generated/governor/v1/CommandResult.js';
import type { Hello } from '../../proto/generated/governor/v1/Hello.js';
import type { LocalExecution } from '../../proto/generated/governor/v1/LocalExecution.js';
import type { ExecFrame, ExecFrame__Output } from '../../proto/generated/governor/v1/ExecFrame.js';
import type { HostMetrics } from '../../proto/generated/governor/v1/HostMetrics.js';
import type { MetricsReport } from '../../proto/generated/governor/v1/MetricsReport.js';
import type { PolicyReport } from '../../proto/generated/governor/v1/PolicyReport.js';
import type { AgentLinkClient } from '../../proto/generated/governor/v1/AgentLink.js';
import { AGENT_LINK_PROTOCOL, fieldNumber, loadProtos, MAX_MESSAGE_BYTES } from '../../shared/proto.js';
import { Encoded, messageField } from '../../shared/wire-bytes.js';
import { errorFromStatus, errorKindOf } from '../../shared/grpc-status.js';
import { NotLeaderError, errorMessage } from '../../shared/errors.js';
import { MasterRotation } from '../../shared/master-rotation.js';
import type { Logger } from '../../shared/logger.js';
import { backoffDelay, type BackoffSpec } from '../../shared/backoff.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { HeartbeatWatchdog } from '../../shared/heartbeat-watchdog.js';
import { CLOCK_WINDOW_MS, ClockOffset } from './clock-offset.js';
import { MetricsPushFilter } from './metrics-push.js';
import { ResultOutbox } from './result-outbox.js';
import { SendBuffers } from './send-buffers.js';

export type LinkState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'closed';

/** What the link needs from the agent. */
export interface LinkHost {
  /** Identity and full inventory for the hello (agent_id is filled by the link). */
  inventory(): Omit<Hello, 'agent_id'>;
  /** Carries out one command; throws a domain error on failure. */
  execute(cmd: AgentCommand__Output): Promise<Omit<CommandResult, 'command_id' | 'ok'>>;
  /** The metrics report; with `{ host: false }` without the host figures (see hostMetrics). */
  metrics(opts?: { host?: boolean }): Promise<MetricsReport>;
  /**
   * The host figures, read only for a report that is pushed (most samples are held back: metrics-push.ts).
   * Absent: metrics() includes them in every sample.
   */
  hostMetrics?(): HostMetrics;
  /** Local control commands the master has not acknowledged: sent after every welcome. */
  localExecutions?(): LocalExecution[];
  /** The master recorded these local executions. */
  localAcked?(ids: readonly string[]): void;
  /**
   * A frame of an exec session; `send` writes on the stream the frame came on (dropped once it closed). An
   * `Encoded` frame (output as wire bytes) is copied before `send` returns: its parts may be written into again.
   */
  exec?(frame: ExecFrame__Output, send: (frame: ExecFrame | Encoded) => void): void;
  /** The stream exec sessions ran on is gone. */
  linkDown?(reason: string): void;
  /** The resource policies' report (sent after every welcome and with each metrics push); null: none. */
  policies?(): PolicyReport | null;
}

export interface MasterLinkOptions {
  agentId: string;
  /** The master's address (the first of `masters`), dialed with `credentials` and `channelOptions`. */
  address: string;
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /**
   * The masters of an HA cluster (default `[address]`): the dial loop tries them in order, follows a
   * follower's refusal to the leader it names, and backs off after a round in which none took the link.
   */
  masters?: string[];
  /** Credentials and options of an address other than `address` (default: `address`'s). */
  channelFor?: (address: string) => { credentials: grpc.ChannelCredentials; options?: grpc.ChannelOptions };
  logger: Logger;
  /** Reconnect backoff (named constants; jitter ±20 %). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How long a dialed master may take to welcome the link before the next is tried (WELCOME_TIMEOUT_MS). */
  welcomeTimeoutMs?: number;
  /** Used until the master's welcome says otherwise. */
  heartbeatIntervalMs?: number;
  metricsIntervalMs?: number;
  /** The heartbeat watchdog's time (tests may inject a fake). */
  clock?: Clock;
  /** The reconnect jitter's source, in [0,1). */
  random?: () => number;
  /**
   * Why a dial to `address` failed when grpc-js cannot tell (a certificate the master refused reads as
   * "Failed to connect"): shared/tls-probe.ts. Null: not a TLS problem.
   */
  explainFailure?: (address: string) => Promise<Error | null>;
}

const BACKOFF_INITIAL_MS = 200;
const BACKOFF_MAX_MS = 10_000;
const BACKOFF_JITTER = 0.2;
/**
 * Between rounds in which a master answered but none took the link (an election in progress: a new leader
 * comes within about a lease TTL, and the fleet should reach it within half a second of that; a refusal is a
 * stream on a warm connection, cheap for a follower). Wide jitter spreads a fleet's retries.
 * `npm run bench -- failover` times 500 agents through a leader kill.
 */
const FOLLOWER_BACKOFF: BackoffSpec = { initial_ms: 200, max_ms: 500, factor: 2, jitter: 0.5 };
const HEARTBEAT_MISSES = 4;
/**
 * The link's own keepalive PING interval (the shared client default, shared/tls.ts, is 5 s). On this stream the
 * heartbeat watchdog already gives up a master silent for HEARTBEAT_MISSES heartbeats (8 s at the default 2 s),
 * and the master's server keepalive still pings every 5 s from its end, so the agent's PINGs are the third
 * check of one connection: sent every 5 s they were a third of an idle agent's messages on it.
 */
const LINK_KEEPALIVE_TIME_MS = 15_000;
/**
 * How long a dialed master may hold the stream without a welcome (a master answers the hello at once, before
 * any work on it). The heartbeat watchdog starts only with the welcome: a master that takes the connection
 * but is frozen (SIGSTOP, a hung process, a partition after the handshake) held the dial until the keepalive
 * gave up, 20 s, while a new leader was up. Longer than a new leader takes to welcome a whole fleet that
 * reconnects at once (500 agents: 1.4 s, `npm run bench -- failover`).
 */
export const WELCOME_TIMEOUT_MS = 5000;
const RESULT_CACHE = 256;

export class MasterLink {
  private _state: LinkState = 'idle';
  /** One client per master address, made on first dial. */
  private readonly clients = new Map<string, AgentLinkClient>();
  private readonly rotation: MasterRotation;
  /** A master answered (refused the link as a follower) in the current round of the dial loop. */
  private roundAnswered = false;
  private call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output> | null = null;
  private attempt = 0;
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly dialBackoff: BackoffSpec;
  /** What exec output is copied into on its way (send-buffers.ts). */
  private readonly sendBuffers = new SendBuffers();
  /** Gives up a master silent for HEARTBEAT_MISSES heartbeats (while connected). */
  private watchdog: HeartbeatWatchdog | null = null;
  /** When we last wrote to the master (the master counts our silence from its last read). */
  private lastWrote = 0;
  /** The master's clock (from the welcome and every heartbeat), for command deadlines. */
  private readonly clock = new ClockOffset();
  private heartbeatMs: number;
  /** The master's heartbeat grace (from the welcome; until then its default, 3 heartbeats). */
  private graceMs: number;
  private metricsMs: number;
  private readonly results = new Map<string, Promise<CommandResult>>();
  private readonly outbox: ResultOutbox;
  private readonly log: Logger;
  /** Resolvers waiting for the next `connected`. */
  private connectedWaiters: Array<() => void> = [];
  /** The TLS refusal logged last (logged again only when it changes or after a welcome). */
  private lastTlsProblem = '';

  constructor(
    private readonly host: LinkHost,
    private readonly opts: MasterLinkOptions,
  ) {
    // This dial loop is the only reconnect loop: the channel's own backoff (grpc-js: 1 s growing to
    // 120 s, failing every call at once while it waits) is held at the loop's first step, so a master
    // that is back is reached on the loop's next dial, not minutes later.
    this.dialBackoff = {
      initial_ms: opts.backoffInitialMs ?? BACKOFF_INITIAL_MS,
      max_ms: opts.backoffMaxMs ?? BACKOFF_MAX_MS,
      factor: 2,
      jitter: BACKOFF_JITTER,
    };
    this.rotation = new MasterRotation(opts.masters?.length ? opts.masters : [opts.address]);
    this.heartbeatMs = opts.heartbeatIntervalMs ?? 2000;
    this.graceMs = this.heartbeatMs * 3;
    this.metricsMs = opts.metricsIntervalMs ?? 5000;
    this.log = opts.logger.named('link');
    this.outbox = new ResultOutbox(undefined, (id) =>
      this.log.warn('unacknowledged result dropped (outbox full)', { command: id }),
    );
  }

  get state(): LinkState {
    return this._state;
  }

  /** The master dialed last (the one connected to while `connected`). */
  get master(): string {
    return this.rotation.current;
  }

  /** The gRPC client of `address`, made on first use. */
  private clientFor(address: string): AgentLinkClient {
    let client = this.clients.get(address);
    if (client) return client;
    const { link } = loadProtos();
    const ch =
      address === this.opts.address
        ? { credentials: this.opts.credentials, options: this.opts.channelOptions }
        : (this.opts.channelFor?.(address) ?? {
            credentials: this.opts.credentials,
            options: this.opts.channelOptions,
          });
    const transportBackoffMs = this.dialBackoff.initial_ms;
    client = new link.governor.v1.AgentLink(address, ch.credentials, {
      'grpc.initial_reconnect_backoff_ms': transportBackoffMs,
      'grpc.max_reconnect_backoff_ms': transportBackoffMs,
      ...ch.options,
      'grpc.keepalive_time_ms': LINK_KEEPALIVE_TIME_MS,
    });
    this.clients.set(address, client);
    return client;
  }

  private setState(to: LinkState): void {
    const from = this._state;
    if (from === to) return;
    this._state = to;
    this.log.info('link state', { from, to, master: this.rotation.current });
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
    const call = this.clientFor(this.rotation.current).Connect();
    this.call = call;
    let welcomed = false;
    const welcomeMs = this.opts.welcomeTimeoutMs ?? WELCOME_TIMEOUT_MS;
    const noWelcome = setTimeout(() => {
      if (this.call !== call || welcomed) return;
      this.log.warn('master took the link but sent no welcome; trying the next', {
        master: this.rotation.current,
        waited_ms: welcomeMs,
      });
      call.cancel();
    }, welcomeMs).unref();
    call.on('data', (msg: MasterMessage__Output) => {
      const now = Date.now();
      // Measured before anything is written in answer: how long the master has not heard from us.
      const silentMs = now - this.lastWrote;
      this.watchdog?.heard();
      const masterTime = msg.welcome?.sent_at_ms || msg.heartbeat?.sent_at_ms;
      if (masterTime) this.clock.sample(masterTime, now);
      if (msg.body === 'welcome' && msg.welcome) {
        if (msg.welcome.protocol !== AGENT_LINK_PROTOCOL) {
          this.log.error('master speaks another agent-link protocol: run the same Governor release on both', {
            protocol: msg.welcome.protocol,
            ours: AGENT_LINK_PROTOCOL,
          });
          call.cancel();
          return;
        }
        welcomed = true;
        clearTimeout(noWelcome);
        this.lastTlsProblem = '';
        this.attempt = 0;
        this.rotation.succeeded();
        this.warmStandby();
        this.heartbeatMs = msg.welcome.heartbeat_interval_ms || this.heartbeatMs;
        this.graceMs = msg.welcome.heartbeat_grace_ms || this.heartbeatMs * 3;
        // A freeze up to the grace (a longer silence is refused before deadlines are judged) must leave a
        // sample read on time in the clock's window.
        this.clock.windowMs = Math.max(CLOCK_WINDOW_MS, 2 * (this.graceMs + this.heartbeatMs));
        this.metricsMs = msg.welcome.metrics_interval_ms || this.metricsMs;
        this.setState('connected');
        this.startTimers(call);
        // Results the master may never have received (the stream they went out on was dying).
        for (const result of this.outbox.pending()) this.send(call, { result });
        for (const local_execution of this.host.localExecutions?.() ?? [])
          this.send(call, { local_execution });
        const policies = this.host.policies?.();
        if (policies) this.send(call, { policies });
      } else if (msg.body === 'command' && msg.command) {
        void this.onCommand(call, msg.command, silentMs);
      } else if (msg.body === 'ack' && msg.ack) {
        this.outbox.ack(msg.ack.command_ids);
      } else if (msg.body === 'local_ack' && msg.local_ack) {
        this.host.localAcked?.(msg.local_ack.ids);
      } else if (msg.body === 'exec' && msg.exec && welcomed) {
        this.host.exec?.(msg.exec, (exec) => {
          if (this.call !== call) return;
          if (exec instanceof Encoded)
            this.sendCopy(call, messageField(fieldNumber('governor.v1.AgentMessage', 'exec'), exec));
          else this.send(call, { exec });
        });
      }
    });
    const onDown = (why: string, err?: grpc.ServiceError) => {
      if (this.call !== call) return;
      this.call = null;
      clearTimeout(noWelcome);
      this.clearTimers();
      this.host.linkDown?.(why);
      if (this._state === 'closed') return;
      const master = this.rotation.current;
      // A follower refuses the link naming the leader ('' while none is elected): dial it next.
      const refusal = err ? errorFromStatus(err) : null;
      const leader = refusal instanceof NotLeaderError ? refusal.leader : undefined;
      if (leader !== undefined) this.roundAnswered = true;
      this.log.warn('master link down', { reason: why, welcomed, master, ...(leader ? { leader } : {}) });
      if (!welcomed && err?.code === grpc.status.UNAVAILABLE && /No connection established/i.test(why))
        this.explainFailure(master);
      const roundOver = this.rotation.failed(leader);
      this.scheduleRetry(roundOver || welcomed);
    };
    call.on('error', (err: grpc.ServiceError) => onDown(err.details || err.message, err));
    call.on('end', () => onDown('stream ended'));
    this.send(call, {
      hello: { ...this.host.inventory(), agent_id: this.opts.agentId, protocol: AGENT_LINK_PROTOCOL },
    });
  }

  /**
   * A dial that made no connection: says why when it was the TLS handshake (a certificate refused by either
   * side), once per distinct reason, so the log names the files to fix rather than a master that seems down.
   */
  private explainFailure(master: string): void {
    void this.opts.explainFailure?.(master).then(
      (problem) => {
        if (!problem || problem.message === this.lastTlsProblem || this._state === 'closed') return;
        this.lastTlsProblem = problem.message;
        this.log.error('TLS handshake with master refused', { master, reason: problem.message });
      },
      () => {}, // the probe itself failed: the link's own reason stands
    );
  }

  /**
   * Connects (TLS included) to the other masters while this link is up, opening no stream: when the leader
   * dies, the dial to the next one is a stream on a ready connection, not a handshake that a whole fleet
   * would make with the new leader at the same moment.
   */
  private warmStandby(): void {
    for (const address of this.rotation.addresses) {
      if (address !== this.rotation.current) this.clientFor(address).getChannel().getConnectivityState(true);
    }
  }

  /** Every write to the master goes through here (the silence measure above depends on it). */
  private send(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
    msg: AgentMessage | Encoded,
    written?: (err: Error | null | undefined) => void,
  ): void {
    this.lastWrote = Date.now();
    call.write(msg as AgentMessage, written); // an Encoded one is sent as it is (shared/proto.ts's serializer)
  }

  /**
   * Sends a message given as wire bytes whose parts are written into again once this returns (exec output
   * read into reused buffers): copied once, into a buffer reused once grpc-js copied it in turn.
   */
  private sendCopy(call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>, msg: Encoded): void {
    const bytes = this.sendBuffers.copy(msg);
    this.send(call, new Encoded([bytes], bytes.length), (err) => {
      if (!err) this.sendBuffers.release(bytes);
    });
  }

  /**
   * The next dial: at once while the round goes on (the next master, or the leader a follower named), after
   * a backoff once every master failed in a row (or a link that was up went down).
   */
  private scheduleRetry(backOff: boolean): void {
    if (this.retryTimer || this._state === 'closed') return;
    this.setState('backoff');
    let delay = 0;
    if (backOff) {
      this.attempt++;
      const spec = this.roundAnswered
        ? { ...FOLLOWER_BACKOFF, max_ms: Math.min(FOLLOWER_BACKOFF.max_ms, this.dialBackoff.max_ms) }
        : this.dialBackoff;
      delay = backoffDelay(spec, this.attempt, this.opts.random ?? Math.random);
      this.roundAnswered = false;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.dial();
    }, delay).unref();
  }

  private startTimers(call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>): void {
    this.clearTimers();
    this.watchdog = new HeartbeatWatchdog({
      clock: this.opts.clock ?? systemClock,
      intervalMs: this.heartbeatMs,
      graceMs: this.heartbeatMs * HEARTBEAT_MISSES,
      beat: (now) => this.send(call, { heartbeat: { sent_at_ms: now } }),
      silent: (silentMs) => {
        this.log.warn('master silent; reconnecting', { silent_ms: silentMs });
        call.cancel();
      },
    }).start();
    const filter = new MetricsPushFilter(); // per stream: the first report on a new stream is always pushed
    this.timers.push(setInterval(() => void this.pushMetrics(call, filter), this.metricsMs).unref());
  }

  private clearTimers(): void {
    this.watchdog?.stop();
    this.watchdog = null;
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private async pushMetrics(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
    filter: MetricsPushFilter,
  ): Promise<void> {
    try {
      const hostLater = this.host.hostMetrics !== undefined;
      const metrics = await this.host.metrics(hostLater ? { host: false } : undefined);
      if (this.call === call && filter.admit(metrics)) {
        if (hostLater) metrics.host = this.host.hostMetrics!(); // the filter compares instances only
        this.send(call, { metrics });
        const policies = this.host.policies?.();
        if (policies) this.send(call, { policies });
      }
    } catch (err) {
      this.log.warn('metrics sampling failed', { err });
    }
  }

  private async onCommand(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
    cmd: AgentCommand__Output,
    silentMs: number,
  ): Promise<void> {
    let result = this.results.get(cmd.id);
    if (!result) {
      result = this.admit(call, cmd, silentMs).then((refused) => refused ?? this.run(cmd));
      this.results.set(cmd.id, result);
      if (this.results.size > RESULT_CACHE) this.results.delete(this.results.keys().next().value as string);
    }
    let r = await result;
    // An answer too big for one message would tear the stream down (and fail every command on it).
    if (JSON.stringify(r).length > MAX_MESSAGE_BYTES - 64 * 1024) {
      const message = `the result of ${cmd.kind} is too large to send (limit ${MAX_MESSAGE_BYTES} bytes); ask for less`;
      r = { command_id: cmd.id, ok: false, error: { code: 'INVALID_ARGUMENT', message } };
    }
    this.outbox.add({ ...r, command_id: cmd.id });
    // On the stream now open, which may be a newer one than the command came on (the master matches
    // results by id, not by stream); with none, the next welcome sends it.
    if (this._state === 'connected' && this.call) this.send(this.call, { result: r });
  }

  /**
   * Whether the master still waits for `cmd`: null when it may start, otherwise the answer "not carried
   * out". `silentMs` is how long we had not written to the master when the command was read.
   */
  private async admit(
    call: grpc.ClientDuplexStream<AgentMessage, MasterMessage__Output>,
    cmd: AgentCommand__Output,
    silentMs: number,
  ): Promise<CommandResult | null> {
    // The end of the stream may have been read together with the command (after a freeze): let its
    // events run first.
    await new Promise((r) => setImmediate(r));
    const refuse = (code: string, why: string): CommandResult => {
      this.log.warn('command not carried out', { command: cmd.id, kind: cmd.kind, reason: why });
      return { command_id: cmd.id, ok: false, error: { code, message: `not carried out: ${why}` } };
    };
    if (this.call !== call || this._state === 'closed') {
      return refuse('UNAVAILABLE', 'the stream it came on closed before it could start');
    }
    if (silentMs > this.graceMs) {
      return refuse(
        'UNAVAILABLE',
        `this agent had been silent for ${silentMs} ms (frozen or starved), longer than the master's ` +
          `heartbeat grace of ${this.graceMs} ms, so the master has given up on it`,
      );
    }
    // Deadlines are in the master's clock: compare in it.
    const late = cmd.deadline_ms ? this.clock.masterNow(Date.now()) - cmd.deadline_ms : 0;
    if (late > 0) {
      return refuse('DEADLINE_EXCEEDED', `its deadline passed ${Math.round(late)} ms before it could start`);
    }
    return null;
  }

  private async run(cmd: AgentCommand__Output): Promise<CommandResult> {
    try {
      const out = await this.host.execute(cmd);
      return { ...out, command_id: cmd.id, ok: true };
    } catch (err) {
      return { command_id: cmd.id, ok: false, error: { code: errorKindOf(err), message: errorMessage(err) } };
    }
  }

  /** Pushes a message (status change, event) when connected; dropped otherwise (the next hello carries the full inventory). */
  push(msg: AgentMessage): void {
    if (this._state === 'connected' && this.call) this.send(this.call, msg);
  }

  close(): void {
    this.setState('closed');
    this.clearTimers();
    this.host.linkDown?.('the agent is shutting down');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.call = null;
    for (const client of this.clients.values()) client.close();
  }
}
