/**
 * The CLI's view of the Admin service: a promise-based `AdminApi` (one method per RPC, DESIGN §6) and
 * its gRPC implementation. Every call carries a deadline; gRPC failures become `GovError`s whose
 * messages say what failed and what to do, so commands only print them.
 */
import * as grpc from '@grpc/grpc-js';
import { GovError, NotLeaderError } from '../../shared/errors.js';
import { errorFromStatus, sentByServer } from '../../shared/grpc-status.js';
import { formatDuration } from '../../shared/durations.js';
import { MAX_MESSAGE_BYTES } from '../../shared/proto.js';
import type { AdminClient } from '../../proto/generated/governor/v1/Admin.js';
import type { AgentInfo__Output } from '../../proto/generated/governor/v1/AgentInfo.js';
import type { ApplyResponse__Output } from '../../proto/generated/governor/v1/ApplyResponse.js';
import type { ClearExecutionsResponse__Output } from '../../proto/generated/governor/v1/ClearExecutionsResponse.js';
import type { ControlResponse__Output } from '../../proto/generated/governor/v1/ControlResponse.js';
import type { ExecutionStats__Output } from '../../proto/generated/governor/v1/ExecutionStats.js';
import type { ListAgentsResponse__Output } from '../../proto/generated/governor/v1/ListAgentsResponse.js';
import type { ListMastersResponse__Output } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import type { ListExecutionsRequest } from '../../proto/generated/governor/v1/ListExecutionsRequest.js';
import type { ListExecutionsResponse__Output } from '../../proto/generated/governor/v1/ListExecutionsResponse.js';
import type { ListInstancesResponse__Output } from '../../proto/generated/governor/v1/ListInstancesResponse.js';
import type { MetricsResponse__Output } from '../../proto/generated/governor/v1/MetricsResponse.js';
import type { TailLogsResponse__Output } from '../../proto/generated/governor/v1/TailLogsResponse.js';
import type { Rollout__Output } from '../../proto/generated/governor/v1/Rollout.js';
import type { ListRolloutsResponse__Output } from '../../proto/generated/governor/v1/ListRolloutsResponse.js';
import type { StartRolloutRequest } from '../../proto/generated/governor/v1/StartRolloutRequest.js';
import type { TargetSet } from '../../shared/targets.js';
import type { WatchRequest } from '../../proto/generated/governor/v1/WatchRequest.js';
import type { WatchEvent__Output } from '../../proto/generated/governor/v1/WatchEvent.js';
import type { MetricsHistoryResponse__Output } from '../../proto/generated/governor/v1/MetricsHistoryResponse.js';
import type { ListPoliciesResponse__Output } from '../../proto/generated/governor/v1/ListPoliciesResponse.js';
import type { ExecClientFrame } from '../../proto/generated/governor/v1/ExecClientFrame.js';
import type { ExecServerFrame__Output } from '../../proto/generated/governor/v1/ExecServerFrame.js';
import { AdminChannels, type MasterChannel } from './admin-channels.js';

export type { AgentInfo__Output as AgentInfo } from '../../proto/generated/governor/v1/AgentInfo.js';
export type { ApplyResponse__Output as ApplyResponse } from '../../proto/generated/governor/v1/ApplyResponse.js';
export type { ControlResponse__Output as ControlResponse } from '../../proto/generated/governor/v1/ControlResponse.js';
export type { ExecutionRecord__Output as ExecutionRecord } from '../../proto/generated/governor/v1/ExecutionRecord.js';
export type { ExecutionStats__Output as ExecutionStats } from '../../proto/generated/governor/v1/ExecutionStats.js';
export type { InstanceInfo__Output as InstanceInfo } from '../../proto/generated/governor/v1/InstanceInfo.js';
export type { ListAgentsResponse__Output as ListAgentsResponse } from '../../proto/generated/governor/v1/ListAgentsResponse.js';
export type { ListExecutionsResponse__Output as ListExecutionsResponse } from '../../proto/generated/governor/v1/ListExecutionsResponse.js';
export type { ListInstancesResponse__Output as ListInstancesResponse } from '../../proto/generated/governor/v1/ListInstancesResponse.js';
export type { MetricsResponse__Output as MetricsResponse } from '../../proto/generated/governor/v1/MetricsResponse.js';
export type { Rollout__Output as Rollout } from '../../proto/generated/governor/v1/Rollout.js';
export type { ListRolloutsResponse__Output as ListRolloutsResponse } from '../../proto/generated/governor/v1/ListRolloutsResponse.js';
export type { WatchEvent__Output as WatchEvent } from '../../proto/generated/governor/v1/WatchEvent.js';
export type { WatchRequest } from '../../proto/generated/governor/v1/WatchRequest.js';
export type { MetricsHistoryResponse__Output as MetricsHistoryResponse } from '../../proto/generated/governor/v1/MetricsHistoryResponse.js';
export type { ListPoliciesResponse__Output as ListPoliciesResponse } from '../../proto/generated/governor/v1/ListPoliciesResponse.js';
export type { AgentPolicies__Output as AgentPolicies } from '../../proto/generated/governor/v1/AgentPolicies.js';
export type { PolicyRuleState__Output as PolicyRuleState } from '../../proto/generated/governor/v1/PolicyRuleState.js';

/** One open `Admin.Watch` stream (see `AdminApi.watch`). */
export interface WatchStream {
  /**
   * Resolves when the master ends the stream (a watch without `follow`, or after a `dropped` notice) or
   * `cancel()` was called; rejects with a GovError when it failed (unreachable master, refused filter).
   */
  readonly done: Promise<void>;
  /** Ends the stream from this side; `done` then resolves. Safe to call twice. */
  cancel(): void;
}

/** One open `Admin.Exec` call (see `AdminApi.exec`). */
export interface ExecChannel {
  /** Sends a frame; false when the stream's buffer is full (wait for `onDrain`). */
  write(frame: ExecClientFrame): boolean;
  onDrain(cb: () => void): void;
  /** Stops / restarts reading the master's frames (a slow local consumer holds the master back). */
  pause(): void;
  resume(): void;
  /** Ends the call from this side (the remote program gets SIGHUP). */
  cancel(): void;
  /** Resolves when the master ends the call; rejects with a GovError when it failed. */
  readonly done: Promise<void>;
}

/** Records `gov executions` lists when no limit is given (the master's default too). */
const DEFAULT_EXECUTION_LIMIT = 50;

/** The admin channel's HTTP/2 receive window, bytes (grpc-js default: 64 KiB). */
const EXEC_RECEIVE_WINDOW = 1024 * 1024;

/** Default per-call deadline. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export type ControlAction = 'start' | 'stop' | 'restart' | 'ensure' | 'release' | 'signal';

/** What a command acts on (shared/targets.ts): a target set, or one handler name (as older commands call). */
export type Targets = TargetSet | string;

/** A filter of the read commands: a target set, or the older one-handler/one-agent fields. */
export interface ReadFilter {
  targets?: TargetSet;
  handler?: string;
  agent?: string;
}

/** `signal`: the signal name and whether only the main process gets it; `ensure`: the lease length. */
export interface SignalOptions {
  signal?: string;
  main?: boolean;
  /** ensure --hold: ms (0 or absent: no lease). */
  hold_ms?: number;
}

export interface ExecutionQuery {
  handler?: string;
  agent?: string;
  kind?: string;
  status?: string;
  /** ISO-8601 or a duration ago ("10m"). */
  since?: string;
  limit?: number;
}

/** A whole listing: every page fetched and joined (the page token is the client's business). */
type Listing<T> = Omit<T, 'next_page_token'>;

/**
 * One method per Admin RPC. Rejects with a `GovError` whose message is ready to print. Listings are
 * fetched page by page (no response can exceed the message limit) and resolve with every page joined.
 */
export interface AdminApi {
  apply(yaml: string, fileName: string): Promise<ApplyResponse__Output>;
  /** Deletes handlers: a set of names, --all or --selector (or one handler name). */
  deleteHandler(targets: Targets): Promise<ControlResponse__Output>;
  listAgents(): Promise<Listing<ListAgentsResponse__Output>>;
  /** The masters: who leads, since when, lease age (any master answers, a follower too). */
  listMasters(): Promise<ListMastersResponse__Output>;
  /** `unseen`: the id may be one the master has never seen (else such an id is refused, NOT_FOUND). */
  revokeAgent(agentId: string, opts?: { unseen?: boolean }): Promise<AgentInfo__Output>;
  unrevokeAgent(agentId: string): Promise<AgentInfo__Output>;
  /** Sets and removes an agent's labels (the ones handler selectors match). */
  labelAgent(agentId: string, set: Record<string, string>, remove: string[]): Promise<AgentInfo__Output>;
  listInstances(filter?: ReadFilter): Promise<Listing<ListInstancesResponse__Output>>;
  /**
   * One action over a target set (one call; the master fans out and answers every instance's outcome), or
   * over one handler name, optionally on one agent (the older form).
   */
  control(
    action: ControlAction,
    targets: Targets,
    agent?: string,
    signal?: SignalOptions,
  ): Promise<ControlResponse__Output>;
  getMetrics(filter?: ReadFilter): Promise<MetricsResponse__Output>;
  listExecutions(query?: ExecutionQuery): Promise<Listing<ListExecutionsResponse__Output>>;
  getStats(): Promise<ExecutionStats__Output>;
  clearExecutions(): Promise<ClearExecutionsResponse__Output>;
  tailLogs(req: {
    /** The one instance to tail (the master refuses a set matching several, listing them). */
    targets?: TargetSet;
    handler?: string;
    agent?: string;
    tail?: number;
    stream?: 'stdout' | 'stderr';
    /** Instance key on the agent (`web#1`); unset: the handler's first instance. */
    instance?: string;
  }): Promise<TailLogsResponse__Output>;
  /** Starts a rolling restart; unset overrides keep the spec's `update` block. */
  startRollout(req: StartRolloutRequest & { handler: string }): Promise<Rollout__Output>;
  getRollout(id: string): Promise<Rollout__Output>;
  listRollouts(handler?: string): Promise<ListRolloutsResponse__Output>;
  pauseRollout(id: string): Promise<Rollout__Output>;
  resumeRollout(id: string): Promise<Rollout__Output>;
  abortRollout(id: string): Promise<Rollout__Output>;
  /** Observes a running process by PID on an agent (never signalled); `detach` forgets it. */
  attach(agent: string, pid: number, name: string): Promise<ControlResponse__Output>;
  detach(agent: string, name: string): Promise<ControlResponse__Output>;
  /**
   * Opens `Admin.Watch` (no deadline: it lasts until the master ends it or `cancel()`); every event is
   * handed to `onEvent` in order. See master/cli/watch-follow.ts to follow across drops and reconnects.
   */
  watch(req: WatchRequest, onEvent: (event: WatchEvent__Output) => void): WatchStream;
  /** Opens an Admin.Exec call (no deadline); `onFrame` gets the master's frames in order. */
  exec(onFrame: (frame: ExecServerFrame__Output) => void): ExecChannel;
  /** Recent CPU and memory samples per instance (empty targets: every instance). */
  getMetricsHistory(targets?: TargetSet): Promise<MetricsHistoryResponse__Output>;
  /**
   * Resource policy rules as the agents last reported them (targets: their handler rules; `agentWide`:
   * also the agent-wide rules of their agents; no target names a handler: everything).
   */
  listPolicies(targets?: TargetSet, agentWide?: boolean): Promise<ListPoliciesResponse__Output>;
  /** Closes the channel; safe to call twice. */
  close(): void;
}

export interface GrpcAdminOptions {
  /** `HOST:PORT` of the master (the first of `masters`). */
  target: string;
  credentials: grpc.ChannelCredentials;
  /**
   * Every master of an HA cluster, tried in order following the leader (master-failover.ts); default
   * `[target]`. Addresses other than `target` (and leaders named by followers) get `channelFor`'s channel,
   * else `target`'s credentials and options.
   */
  masters?: string[];
  channelFor?: (address: string) => MasterChannel;
  /** Per-call deadline (default 30 s); also how long a call keeps looking for a master to take it. */
  timeoutMs?: number;
  /**
   * Deadline of the calls that wait on handlers (control actions, apply, delete), once sent: none by default.
   * The master bounds them itself (each handler's stop_timeout or start window on top of its command timeout,
   * shared/handler-waits.ts), and the channel's keepalive finds a master gone silent; a stop of a handler with
   * `stop_timeout: 60s` is not cut at 30 s and reported as a master that did not answer. An explicit
   * `--timeout` sets it.
   */
  waitTimeoutMs?: number;
  /** Extra channel options (e.g. `grpc.ssl_target_name_override`). */
  channelOptions?: grpc.ChannelOptions;
  /** Items asked for per page of a listing (default: the master's). */
  pageSize?: number;
  /** The target is an agent's local control socket (`gov --local`): errors name it, not a master. */
  localSocket?: string;
  /** Why a connection to a master failed when grpc-js cannot tell (AdminChannelsOptions.explainFailure). */
  explainFailure?: (address: string) => Promise<GovError | null>;
}

const REACH_HINT = 'is `gov master` running? pass --master or set GOV_MASTER';

/** grpc-js wraps transport errors: `No connection established. Last error: Error: X. Resolution note: `. */
function cleanDetails(text: string): string {
  return text
    .replace(/^No connection established\.\s*Last error:\s*/i, '')
    .replace(/\.?\s*Resolution note:\s*$/i, '')
    .replace(/^(Error:\s*)+/, '')
    .trim();
}

/** The CLI flag that sets each request field an API error may name (`GovError.fields`). */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  agent: '--agent',
  handler: '--handler',
  instance: '--instance',
  kind: '--kind',
  limit: '--limit',
  name: '--name',
  pid: '--pid',
  since: '--since',
  unseen: '--unseen',
  status: '--status',
};

/**
 * A server message in the CLI's words: each field it names (in order, the first time it appears as a
 * word of its own) becomes the flag that sets it, e.g. `pid 1 is not a process id` → `--pid 1 …`.
 */
export function inFlagWords(message: string, fields: readonly string[]): string {
  let out = '';
  let rest = message;
  for (const field of fields) {
    const flag = FLAG_OF_FIELD[field];
    if (!flag) continue;
    const at = new RegExp(`(?<![\\w.-])${field}(?![\\w-])`).exec(rest);
    if (!at) continue;
    out += rest.slice(0, at.index) + flag;
    rest = rest.slice(at.index + field.length);
  }
  return out + rest;
}

/**
 * Turns a gRPC status error into the domain error it stands for (shared/grpc-status.ts), with a message
 * that says what failed and what to do, in the CLI's words.
 */
export function mapGrpcError(
  err: unknown,
  target: string,
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  localSocket?: string,
): GovError {
  if (err instanceof GovError) return err;
  if (localSocket !== undefined) return mapLocalError(err, localSocket, timeoutMs);
  const domain = errorFromStatus(err);
  const code = (err as Partial<grpc.ServiceError> | null)?.code;
  const details = cleanDetails(domain.message);
  const make = (message: string) => new GovError(domain.kind, message, { cause: err, fields: domain.fields });
  if (domain instanceof NotLeaderError)
    return new NotLeaderError(domain.leader, `master at ${target}: ${details}`, { cause: err });
  switch (typeof code === 'number' ? code : grpc.status.UNKNOWN) {
    case grpc.status.UNAVAILABLE: {
      // The master itself refused the call (its disk full, its store out of reach, fenced): it was reached.
      if (sentByServer(err)) return make(`master at ${target}: ${details}`);
      if (/ECONNREFUSED/i.test(details))
        return make(`cannot reach master at ${target}: connection refused — ${REACH_HINT}`);
      if (/ENOTFOUND|EAI_AGAIN|DNS resolution failed|Name resolution failed/i.test(details))
        return make(`cannot reach master at ${target}: host not found — pass --master or set GOV_MASTER`);
      if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i.test(details))
        return make(`cannot reach master at ${target}: ${details} — ${REACH_HINT}`);
      if (/certificate|ssl|tls|handshake|altname|self.signed|alert/i.test(details))
        return make(
          `TLS handshake with master at ${target} failed: ${details} — check --ca/--cert/--key ` +
            '(GOV_CA, GOV_CERT, GOV_KEY) and that the master certificate names this host',
        );
      return make(`cannot reach master at ${target}: ${details} — ${REACH_HINT}`);
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return make(
        `master at ${target} did not answer within ${formatDuration(timeoutMs)}${details && details !== 'Deadline exceeded' ? ` (${details})` : ''} — is it overloaded or hung?`,
      );
    case grpc.status.UNAUTHENTICATED:
      return make(`master at ${target} refused the client certificate: ${details} — check --cert/--key/--ca`);
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.NOT_FOUND:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.FAILED_PRECONDITION:
      return make(inFlagWords(details, domain.fields));
    case grpc.status.RESOURCE_EXHAUSTED:
      // A message over the size limit, or a limit of the master's (the watches a caller may hold).
      return make(
        /larger than max|too large/i.test(details)
          ? `request or response too large: ${details}`
          : `master at ${target}: ${details}`,
      );
    case grpc.status.UNIMPLEMENTED:
      return make(`master at ${target} does not support this call (${details}) — is it an older version?`);
    default:
      return make(`master at ${target} failed: ${details}`);
  }
}

/** Why a hop to an agent's local socket failed, in words that name the socket and what to do. */
function mapLocalError(err: unknown, socket: string, timeoutMs: number): GovError {
  const domain = errorFromStatus(err);
  const code = (err as Partial<grpc.ServiceError> | null)?.code;
  const details = cleanDetails(domain.message);
  const make = (message: string) => new GovError(domain.kind, message, { cause: err, fields: domain.fields });
  switch (typeof code === 'number' ? code : grpc.status.UNKNOWN) {
    case grpc.status.UNAVAILABLE: {
      if (/EACCES|EPERM/i.test(details))
        return make(
          `cannot connect to the agent socket ${socket}: permission denied — only its owner and group may ` +
            '(gov agent --socket-group); read-only access goes through a read-only socket (--read-only-socket)',
        );
      if (/ECONNREFUSED/i.test(details))
        return make(
          `cannot connect to the agent socket ${socket}: connection refused — is gov agent running?`,
        );
      if (/ENOENT/i.test(details))
        return make(`cannot connect to the agent socket ${socket}: no such file — is gov agent running?`);
      return make(`cannot connect to the agent socket ${socket}: ${details}`);
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return make(`the agent at ${socket} did not answer within ${formatDuration(timeoutMs)}`);
    case grpc.status.UNIMPLEMENTED:
      return make(details);
    default:
      return make(inFlagWords(details, domain.fields));
  }
}

type Unary<Req, Res> = (
  req: Req,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<Res>,
) => grpc.ClientUnaryCall;

/**
 * Creates the gRPC-backed `AdminApi`. Channels connect lazily on the first call; with several `masters`
 * every call and stream follows the leader (admin-channels.ts, master-failover.ts).
 */
export function createGrpcAdminApi(opts: GrpcAdminOptions): AdminApi {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const same: MasterChannel = {
    target: opts.target,
    credentials: opts.credentials,
    options: opts.channelOptions ?? {},
  };
  const channels = new AdminChannels({
    masters: opts.masters?.length ? opts.masters : [opts.target],
    channelFor: (address) =>
      address === opts.target ? same : (opts.channelFor?.(address) ?? { ...same, target: address }),
    baseOptions: {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // HTTP/2 receive window per stream: exec output (and big listings) need more than 64 KiB in flight
      // to keep a loopback stream busy; the master still holds at most an exec window per session.
      'grpc-node.flow_control_window': EXEC_RECEIVE_WINDOW,
    },
    single: opts.localSocket !== undefined,
    mapError: (err, address) => mapGrpcError(err, address, timeoutMs, opts.localSocket),
    ...(opts.explainFailure ? { explainFailure: opts.explainFailure } : {}),
  });
  // Its methods are the RPCs' functions (shared by every address's client): `call(client.X, …)`.
  const client: AdminClient = channels.first;
  let closed = false;

  /** One unary call; `waits`: it waits on handlers (see `waitTimeoutMs`). */
  function call<Req, Res>(method: Unary<Req, Res>, req: Req, waits = false): Promise<Res> {
    if (closed) return Promise.reject(new GovError('FAILED_PRECONDITION', 'admin client is closed'));
    const deadline = Date.now() + timeoutMs;
    const callTimeoutMs = waits ? (opts.waitTimeoutMs ?? Infinity) : timeoutMs;
    const callDeadline = Date.now() + callTimeoutMs;
    return channels.unary(
      method,
      deadline,
      (c, address) =>
        new Promise<Res>((resolve, reject) => {
          method.call(c, req, new grpc.Metadata(), { deadline: callDeadline }, (err, res) => {
            if (err) {
              reject(mapGrpcError(err, address, callTimeoutMs, opts.localSocket));
              return;
            }
            if (res === undefined) {
              reject(new GovError('INTERNAL', `master at ${address} returned an empty response`));
              return;
            }
            resolve(res);
          });
        }),
    );
  }

  const pageSize = opts.pageSize ?? 0;

  /** Calls a listing RPC page after page until it has no next page; `fetch` gets the token to send. */
  async function allPages<Res extends { next_page_token: string }>(
    fetch: (pageToken: string) => Promise<Res>,
    join: (all: Res, page: Res) => void,
    enough: (all: Res) => boolean = () => false,
  ): Promise<Res> {
    const all = await fetch('');
    const seen = new Set<string>();
    for (let token = all.next_page_token; token && !enough(all);) {
      if (seen.has(token))
        throw new GovError('INTERNAL', `master at ${opts.target} returned the same page token twice`);
      seen.add(token);
      const page = await fetch(token);
      join(all, page);
      token = page.next_page_token;
    }
    all.next_page_token = '';
    return all;
  }

  return {
    apply: (yaml, fileName) => call(client.Apply, { yaml, file_name: fileName }, true),
    deleteHandler: (t) =>
      call(client.DeleteHandler, typeof t === 'string' ? { handler: t } : { targets: t }, true),
    listAgents: () =>
      allPages<ListAgentsResponse__Output>(
        (page_token) => call(client.ListAgents, { page_size: pageSize, page_token }),
        (all, page) => all.agents.push(...page.agents),
      ),
    listMasters: () => call(client.ListMasters, {}),
    revokeAgent: (agentId, o = {}) =>
      call(client.RevokeAgent, { agent_id: agentId, ...(o.unseen ? { unseen: true } : {}) }),
    unrevokeAgent: (agentId) => call(client.UnrevokeAgent, { agent_id: agentId }),
    labelAgent: (agentId, set, remove) => call(client.LabelAgent, { agent_id: agentId, set, remove }),
    listInstances: (f = {}) =>
      allPages<ListInstancesResponse__Output>(
        (page_token) =>
          call(client.ListInstances, {
            handler: f.handler ?? '',
            agent: f.agent ?? '',
            ...(f.targets ? { targets: f.targets } : {}),
            page_size: pageSize,
            page_token,
          }),
        (all, page) => all.instances.push(...page.instances),
      ),
    control: (action, t, agent, sig = {}) =>
      call(
        client.Control,
        {
          action,
          ...(typeof t === 'string' ? { handler: t, agent: agent ?? '' } : { targets: t }),
          signal: sig.signal ?? '',
          main: sig.main ?? false,
          ...(sig.hold_ms ? { hold_ms: sig.hold_ms } : {}),
        },
        true,
      ),
    getMetrics: (f = {}) =>
      call(client.GetMetrics, {
        handler: f.handler ?? '',
        agent: f.agent ?? '',
        ...(f.targets ? { targets: f.targets } : {}),
      }),
    listExecutions: (q = {}) => {
      const limit = q.limit || DEFAULT_EXECUTION_LIMIT;
      let got = 0;
      const req = (page_token: string): ListExecutionsRequest => ({
        handler: q.handler ?? '',
        agent: q.agent ?? '',
        kind: q.kind ?? '',
        status: q.status ?? '',
        since: q.since ?? '',
        limit: limit - got, // the limit is over the whole listing: each page asks for what is left
        page_size: pageSize,
        page_token,
      });
      return allPages<ListExecutionsResponse__Output>(
        async (token) => {
          const page = await call<ListExecutionsRequest, ListExecutionsResponse__Output>(
            client.ListExecutions,
            req(token),
          );
          got += page.records.length;
          return page;
        },
        (all, page) => {
          all.records.push(...page.records);
          all.count = all.records.length;
        },
        () => got >= limit,
      );
    },
    getStats: () => call(client.GetStats, {}),
    clearExecutions: () => call(client.ClearExecutions, {}),
    tailLogs: (r) =>
      call(client.TailLogs, {
        handler: r.handler ?? '',
        agent: r.agent ?? '',
        ...(r.targets ? { targets: r.targets } : {}),
        tail: r.tail ?? 0,
        stream: r.stream ?? 'stdout',
        instance: r.instance ?? '',
      }),
    startRollout: (r) => call(client.StartRollout, r),
    getRollout: (id) => call(client.GetRollout, { id }),
    listRollouts: (handler) => call(client.ListRollouts, { handler: handler ?? '' }),
    pauseRollout: (id) => call(client.PauseRollout, { id }),
    resumeRollout: (id) => call(client.ResumeRollout, { id }),
    abortRollout: (id) => call(client.AbortRollout, { id }),
    attach: (agent, pid, name) => call(client.Attach, { agent, pid, name }),
    detach: (agent, name) => call(client.Detach, { agent, name }),
    watch: (req, onEvent) => {
      if (closed) {
        return {
          done: Promise.reject(new GovError('FAILED_PRECONDITION', 'admin client is closed')),
          cancel: () => {},
        };
      }
      let cancelled = false;
      let stream: grpc.ClientReadableStream<WatchEvent__Output> | null = null;
      const done = channels.stream(
        client.Watch,
        Date.now() + timeoutMs,
        (c, _address, answered) =>
          new Promise<void>((resolve, reject) => {
            if (cancelled) {
              resolve();
              return;
            }
            const s = c.Watch(req);
            stream = s;
            s.on('data', (e: WatchEvent__Output) => {
              answered();
              if (!cancelled) onEvent(e);
            });
            s.on('end', () => resolve());
            s.on('error', (err: grpc.ServiceError) => {
              if (cancelled || err.code === grpc.status.CANCELLED) resolve();
              else reject(err);
            });
          }),
      );
      return {
        done,
        cancel: () => {
          if (cancelled) return;
          cancelled = true;
          stream?.cancel();
        },
      };
    },
    exec: (onFrame) => {
      if (closed) throw new GovError('FAILED_PRECONDITION', 'admin client is closed');
      // Frames written before the master's first one are kept: a session refused by a follower (or never
      // connected) is opened again at the leader with them. After that, nothing is repeated.
      const early: ExecClientFrame[] = [];
      let answered = false;
      let cancelled = false;
      let paused = false;
      let stream: grpc.ClientDuplexStream<ExecClientFrame, ExecServerFrame__Output> | null = null;
      const drainWaiters: Array<() => void> = [];
      const done = channels.stream(
        client.Exec,
        Date.now() + timeoutMs,
        (c, _address, answer) =>
          new Promise<void>((resolve, reject) => {
            if (cancelled) {
              resolve();
              return;
            }
            const s = c.Exec();
            stream = s;
            s.on('data', (f: ExecServerFrame__Output) => {
              answered = true;
              early.length = 0;
              answer();
              onFrame(f);
            });
            s.on('drain', () => {
              for (const w of drainWaiters.splice(0)) w();
            });
            s.on('end', () => resolve());
            s.on('error', (err: grpc.ServiceError) => {
              if (cancelled && err.code === grpc.status.CANCELLED) resolve();
              else reject(err);
            });
            if (paused) s.pause();
            for (const f of early) s.write(f);
          }),
      );
      return {
        write: (frame) => {
          if (!answered) early.push(frame);
          return stream ? stream.write(frame) : true;
        },
        onDrain: (cb) => void drainWaiters.push(cb),
        pause: () => {
          paused = true;
          stream?.pause();
        },
        resume: () => {
          paused = false;
          stream?.resume();
        },
        cancel: () => {
          cancelled = true;
          stream?.cancel();
        },
        done,
      };
    },
    getMetricsHistory: (targets) => call(client.GetMetricsHistory, targets ? { targets } : {}),
    listPolicies: (targets, agentWide = false) =>
      call(client.ListPolicies, { ...(targets ? { targets } : {}), agent_wide: agentWide }),
    close: () => {
      if (closed) return;
      closed = true;
      channels.close();
    },
  };
}
