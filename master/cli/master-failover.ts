/**
 * The CLI follows the leader of an HA cluster (DESIGN §9 "HA"): a call goes to one master of the
 * `--master` list at a time; when it fails, whether it is tried again elsewhere depends on what is known
 * of its fate:
 * - `refused`: a follower refused it (NotLeaderError, the leader's address in metadata): it was not carried
 *   out; the leader it names is tried next;
 * - `unreachable`: no connection could be made (the call never left this process): the next address;
 * - `lost`: the connection broke or the deadline passed after the call was sent: it may have been carried
 *   out. Only a read-only call (shared/admin-methods.ts) is repeated; a mutation fails, saying so;
 * - `answer`: the master's own answer (a refusal, a domain error): returned as it is.
 * Rounds over the list back off with jitter (shared/backoff.ts), all within the call's deadline; a TLS
 * failure drops that address for the call (retrying cannot fix a certificate), and three rounds in which
 * no address accepted a connection end it (nothing is listening). The final error names every address
 * tried and why.
 */
import * as grpc from '@grpc/grpc-js';
import { backoffDelay, type BackoffSpec } from '../../shared/backoff.js';
import { formatDuration } from '../../shared/durations.js';
import { GovError, NotLeaderError, errorMessage } from '../../shared/errors.js';
import { LEADER_METADATA_KEY, sentByServer } from '../../shared/grpc-status.js';
import { MasterRotation } from '../../shared/master-rotation.js';
import { TlsHandshakeError } from '../../shared/tls-probe.js';

export type CallFate =
  | { kind: 'refused'; leader: string }
  | { kind: 'unreachable'; tls: boolean }
  | { kind: 'lost' }
  | { kind: 'answer' };

/** Between rounds while masters answer but none leads (an election takes about a lease TTL). */
export const FOLLOWER_BACKOFF: BackoffSpec = { initial_ms: 200, max_ms: 1000, factor: 2, jitter: 0.3 };
/** Between rounds in which no master could be reached. */
export const UNREACHABLE_BACKOFF: BackoffSpec = { initial_ms: 250, max_ms: 2000, factor: 2, jitter: 0.3 };
/** Rounds in a row with no connection to any address before the call gives up. */
export const UNREACHABLE_ROUNDS = 3;
/** How long a connection may take to be made before the address counts as unreachable (a hung master). */
export const CONNECT_BUDGET_MS = 5_000;

const TLS_FAILURE = /certificate|ssl|tls|handshake|altname|self.signed|alert/i;

/**
 * What a failed gRPC call says of its fate (see the file comment). `err` is the ServiceError, or a GovError
 * whose `cause` is one (the CLI's mapped errors).
 */
export function callFate(err: unknown): CallFate {
  if (err instanceof NotLeaderError) return { kind: 'refused', leader: err.leader };
  const raw = (err instanceof GovError && err.cause ? err.cause : err) as Partial<grpc.ServiceError> | null;
  if (raw instanceof NotLeaderError) return { kind: 'refused', leader: raw.leader };
  if (raw instanceof MasterUnreachableError) return { kind: 'unreachable', tls: false };
  if (raw instanceof TlsHandshakeError) return { kind: 'unreachable', tls: true };
  if (typeof raw?.code !== 'number') return { kind: 'answer' };
  const md = raw.metadata instanceof grpc.Metadata ? raw.metadata : null;
  const leader = md?.get(LEADER_METADATA_KEY)[0];
  if (raw.code === grpc.status.UNAVAILABLE && typeof leader === 'string') return { kind: 'refused', leader };
  if (sentByServer(raw)) return { kind: 'answer' };
  const details = raw.details ?? '';
  if (raw.code === grpc.status.UNAVAILABLE) {
    // The channel's picker refused it: no connection, so no stream was ever opened.
    if (/No connection established|Name resolution failed|DNS resolution failed/i.test(details))
      return { kind: 'unreachable', tls: TLS_FAILURE.test(details) };
    return { kind: 'lost' };
  }
  if (raw.code === grpc.status.DEADLINE_EXCEEDED) {
    // Still waiting for a connection when the deadline passed: never sent.
    if (/Waiting for LB pick|waiting for name resolution/i.test(details))
      return { kind: 'unreachable', tls: false };
    return { kind: 'lost' };
  }
  return { kind: 'answer' };
}

/** No connection to the master was made within CONNECT_BUDGET_MS (a hung master accepts TCP, never TLS). */
export class MasterUnreachableError extends GovError {
  constructor(address: string, budgetMs: number) {
    super(
      'UNAVAILABLE',
      `cannot reach master at ${address}: no connection within ${formatDuration(budgetMs)} — is it hung or ` +
        'behind a firewall?',
    );
  }
}

export interface FailoverOptions {
  /** The call's whole deadline (absolute ms): rounds stop there. */
  deadline: number;
  /** A read-only call may be repeated after a `lost` attempt. */
  readOnly: boolean;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Not unref'd: the CLI waits here on purpose (an unref'd timer would let `gov` exit mid-call, printing nothing). */
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One call, following the leader: `attempt(address)` makes it once at an address (rejecting with the
 * CLI's GovError, its `cause` the gRPC status). `rotation` is shared by every call of one client, so the
 * next call starts at the master that answered last.
 */
export async function withFailover<T>(
  rotation: MasterRotation,
  attempt: (address: string) => Promise<T>,
  opts: FailoverOptions,
): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const started = now();
  const why = new Map<string, string>();
  const tlsFailed = new Set<string>();
  let round = 1;
  let answeredThisRound = false;
  let silentRounds = 0;
  let last: unknown = null;
  for (;;) {
    const address = rotation.current;
    let fate: CallFate;
    if (tlsFailed.has(address)) {
      fate = { kind: 'unreachable', tls: true };
    } else {
      try {
        const result = await attempt(address);
        rotation.succeeded();
        return result;
      } catch (err) {
        fate = callFate(err);
        if (fate.kind === 'answer') throw err;
        if (fate.kind === 'lost' && !opts.readOnly) throw mayHaveBeenCarriedOut(err);
        last = err;
        why.set(address, errorMessage(err));
        if (fate.kind === 'unreachable' && fate.tls) tlsFailed.add(address);
      }
    }
    if (fate.kind !== 'unreachable') answeredThisRound = true;
    const roundOver = rotation.failed(fate.kind === 'refused' ? fate.leader : undefined);
    if (rotation.addresses.every((a) => tlsFailed.has(a))) throw finalError(last, why, now() - started);
    if (!roundOver) {
      if (now() >= opts.deadline) throw finalError(last, why, now() - started);
      continue;
    }
    silentRounds = answeredThisRound ? 0 : silentRounds + 1;
    if (silentRounds >= UNREACHABLE_ROUNDS) throw finalError(last, why, now() - started);
    const delay = backoffDelay(
      answeredThisRound ? FOLLOWER_BACKOFF : UNREACHABLE_BACKOFF,
      round,
      opts.random ?? Math.random,
    );
    if (now() + delay >= opts.deadline) throw finalError(last, why, now() - started);
    await sleep(delay);
    round++;
    answeredThisRound = false;
  }
}

/** A mutation whose connection broke after it was sent: it is not repeated, and the user is told to check. */
function mayHaveBeenCarriedOut(err: unknown): GovError {
  const e = err instanceof GovError ? err : new GovError('UNAVAILABLE', errorMessage(err));
  return new GovError(
    e.kind,
    `${e.message} — the call was sent before the connection was lost, so it may have been carried out: ` +
      'check `gov executions` before repeating it',
    { cause: e.cause ?? err, fields: e.fields },
  );
}

/**
 * The error a call ends with when no master took it: with one address, that address's last error as it
 * was; with several, every address tried and its last reason.
 */
function finalError(last: unknown, why: Map<string, string>, elapsedMs: number): GovError {
  const e = last instanceof GovError ? last : new GovError('UNAVAILABLE', errorMessage(last));
  if (why.size <= 1) return e;
  const reasons = [...why].map(([address, reason]) => `${address}: ${reason}`).join('; ');
  return new GovError(
    e.kind,
    `no leader took the call (${why.size} masters tried over ${formatDuration(elapsedMs)}): ${reasons}`,
    { cause: e.cause ?? last, fields: e.fields },
  );
}
