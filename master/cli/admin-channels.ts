/**
 * The admin client's connections to the masters of its `--master` list (one lazily made gRPC client per
 * address) and how a call or stream is made on them following the leader (master-failover.ts):
 * - `unary`: one call, tried where it is safe to;
 * - `openStream`: a stream (Watch, Exec) is opened again at the next master while nothing has come back
 *   on it yet and its fate allows (a refusal, no connection; a lost read-only stream too); once the master
 *   answered, a failure is the stream's own (the caller resumes, e.g. watch-follow.ts), and the next
 *   stream starts at the master the failure points to.
 */
import * as grpc from '@grpc/grpc-js';
import { READ_ONLY_ADMIN_METHODS } from '../../shared/admin-methods.js';
import { GovError } from '../../shared/errors.js';
import { MasterRotation } from '../../shared/master-rotation.js';
import { loadProtos } from '../../shared/proto.js';
import type { AdminClient } from '../../proto/generated/governor/v1/Admin.js';
import { CONNECT_BUDGET_MS, MasterUnreachableError, callFate, withFailover } from './master-failover.js';

/** How to reach one address: its gRPC target, credentials and channel options. */
export interface MasterChannel {
  target: string;
  credentials: grpc.ChannelCredentials;
  options?: grpc.ChannelOptions;
}

export interface AdminChannelsOptions {
  /** The addresses, in the order they are tried first. */
  masters: string[];
  /** The channel of an address (a listed one, or a leader named by a follower). */
  channelFor: (address: string) => MasterChannel;
  /** Options every channel gets (message limits, flow-control window), below `channelFor`'s. */
  baseOptions: grpc.ChannelOptions;
  /** No failover: a single local socket (`gov --local`). */
  single?: boolean;
  /** Turns a gRPC status into the CLI's error for `address`. */
  mapError: (err: unknown, address: string) => GovError;
  /**
   * Why a connection to `address` failed, when grpc-js cannot tell (a client certificate the master refused
   * reads as "Failed to connect"): shared/tls-probe.ts. Null: the call goes on and fails in its own words.
   */
  explainFailure?: (address: string) => Promise<GovError | null>;
}

type Method = { path?: string } & ((...args: never[]) => unknown);

export class AdminChannels {
  private readonly clients = new Map<string, AdminClient>();
  readonly rotation: MasterRotation;
  private closed = false;

  constructor(private readonly opts: AdminChannelsOptions) {
    this.rotation = new MasterRotation(opts.masters);
  }

  /** The client of `address` (made on first use). */
  client(address: string): AdminClient {
    if (this.closed) throw new GovError('FAILED_PRECONDITION', 'admin client is closed');
    let c = this.clients.get(address);
    if (!c) {
      const { admin } = loadProtos();
      const ch = this.opts.channelFor(address);
      c = new admin.governor.v1.Admin(ch.target, ch.credentials, {
        ...this.opts.baseOptions,
        ...ch.options,
      }) as AdminClient;
      this.clients.set(address, c);
    }
    return c;
  }

  /** The first address's client (for calls that need no failover). */
  get first(): AdminClient {
    return this.client(this.opts.masters[0]!);
  }

  /**
   * Runs `attempt(client, address)` following the leader until `deadline`. `method` (the RPC's client
   * function) says whether the call only reads.
   */
  unary<T>(
    method: Method,
    deadline: number,
    attempt: (client: AdminClient, address: string) => Promise<T>,
  ): Promise<T> {
    const run = async (address: string) => {
      const client = this.client(address);
      await this.connected(client, address, deadline);
      return attempt(client, address);
    };
    if (this.opts.single) return run(this.opts.masters[0]!);
    return withFailover(this.rotation, run, { deadline, readOnly: isReadOnly(method) });
  }

  /**
   * Opens a stream following the leader (see the file comment): `open(client, address)` starts it and
   * resolves when it ends, rejecting with the gRPC error; it calls `answered()` when the master's first
   * message arrives. Resolves/rejects like the stream that finally ran.
   */
  async stream(
    method: Method,
    deadline: number,
    open: (client: AdminClient, address: string, answered: () => void) => Promise<void>,
  ): Promise<void> {
    let answered = false;
    const run = async (address: string): Promise<void> => {
      const client = this.client(address);
      await this.connected(client, address, deadline);
      try {
        await open(client, address, () => (answered = true));
      } catch (err) {
        const mapped = this.opts.mapError(err, address);
        if (!answered) throw mapped;
        // The master answered: this failure is the stream's own, not repeated here (no cause: final), but
        // the next stream starts where it points.
        const fate = callFate(mapped);
        if (fate.kind === 'refused') this.rotation.failed(fate.leader);
        else if (fate.kind !== 'answer') this.rotation.failed();
        throw new GovError(mapped.kind, mapped.message, { fields: mapped.fields });
      }
    };
    if (this.opts.single) return run(this.opts.masters[0]!);
    return withFailover(this.rotation, run, { deadline, readOnly: isReadOnly(method) });
  }

  /**
   * Waits until the channel to `address` is connected, or has failed (the call then fails at once with
   * the transport's reason), within CONNECT_BUDGET_MS: a master that accepts TCP but never completes the
   * handshake (stopped, hung) is unreachable, not a call that was sent.
   */
  private connected(client: AdminClient, address: string, deadline: number): Promise<void> {
    const channel = client.getChannel();
    const until = Math.min(deadline, Date.now() + CONNECT_BUDGET_MS);
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) {
          resolve();
          return;
        }
        if (state === grpc.connectivityState.TRANSIENT_FAILURE) {
          const explain = this.opts.explainFailure;
          if (!explain) resolve();
          else explain(address).then((e) => (e ? reject(e) : resolve()), resolve);
          return;
        }
        if (state === grpc.connectivityState.SHUTDOWN) {
          reject(new GovError('FAILED_PRECONDITION', 'admin client is closed'));
          return;
        }
        channel.watchConnectivityState(state, until, (err) => {
          if (!err) check();
          else if (until < deadline) reject(new MasterUnreachableError(address, CONNECT_BUDGET_MS));
          else resolve(); // the call's own deadline: let the call report it
        });
      };
      check();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients.values()) c.close();
  }
}

function isReadOnly(method: Method): boolean {
  return typeof method.path === 'string' && READ_ONLY_ADMIN_METHODS.has(method.path);
}
