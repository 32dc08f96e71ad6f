/**
 * Domain errors. Code inside Governor throws these; the gRPC edge maps them to status codes and back in
 * one place (shared/grpc-status.ts), and the CLI maps them to exit codes here (`exitCodeOf`).
 */

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export interface GovErrorOptions {
  cause?: unknown;
  /**
   * The request fields the message names, in the order it names them, each by its bare field name
   * (`agent`, `pid`): an API error speaks of fields, and a client that has flags (the CLI) shows its
   * flag in their place. They travel with the status (shared/grpc-status.ts).
   */
  fields?: readonly string[];
}

export class GovError extends Error {
  readonly kind: ErrorKind;
  readonly fields: readonly string[];
  constructor(kind: ErrorKind, message: string, options: GovErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.fields = options.fields ?? [];
    this.name = new.target.name;
  }
}

/** Bad input from a user: config, flags, request fields. */
export class ValidationError extends GovError {
  constructor(message: string, options?: GovErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** Bad flags or arguments on a command line: the CLI prints it with the usage and exits 2. */
export class UsageError extends ValidationError {}

export class NotFoundError extends GovError {
  constructor(message: string, options?: GovErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** The request is valid but the object is in a state where it cannot be done (e.g. stop an observed process). */
export class StateError extends GovError {
  constructor(message: string, options?: GovErrorOptions) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export class PermissionError extends GovError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

export class UnavailableError extends GovError {
  constructor(message: string, options?: GovErrorOptions) {
    super('UNAVAILABLE', message, options);
  }
}

/**
 * HA (DESIGN §9): this master is not the leader. `leader` is the leader's address (`HOST:PORT`), '' while
 * none is known; clients (the CLI, the agent's dial loop) follow it. Travels as UNAVAILABLE with the
 * address in metadata (shared/grpc-status.ts LEADER_METADATA_KEY).
 */
export class NotLeaderError extends UnavailableError {
  readonly leader: string;
  constructor(leader: string, message?: string, options?: GovErrorOptions) {
    super(
      message ??
        (leader
          ? `this master is a follower; the leader is ${leader}`
          : 'this master is a follower and no leader is elected yet; try again shortly'),
      options,
    );
    this.leader = leader;
  }
}

export class TimeoutError extends GovError {
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** Another process already holds the data directory. */
export class LockedError extends GovError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exit codes of `gov` and the daemons (DESIGN §6). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * How the CLI ends for an error: a usage error (raised by the CLI itself) exits 2, and so does the
 * master's refusal of a command's TARGET words (an unknown name or agent, a name that matches no instance
 * or several where one is needed: NOT_FOUND or INVALID_ARGUMENT naming the field `targets`) or of an agent
 * it has never seen (NOT_FOUND naming `agent_id`, the ID of `gov agents revoke|unrevoke|label`, or `agent`,
 * the `--agent` of `gov attach|detach`), or of a rollout ID it does not hold (NOT_FOUND naming `id`), since
 * nothing was done and the command line is what must change.
 * Every other failure, whatever its kind or status, exits 1 ("the operation failed").
 */
export function exitCodeOf(err: unknown): typeof EXIT_FAILED | typeof EXIT_USAGE {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (!(err instanceof GovError)) return EXIT_FAILED;
  const named = (f: string) => err.fields.includes(f);
  if ((err.kind === 'NOT_FOUND' || err.kind === 'INVALID_ARGUMENT') && named('targets')) return EXIT_USAGE;
  if (err.kind === 'NOT_FOUND' && (named('agent_id') || named('agent') || named('id'))) return EXIT_USAGE;
  return EXIT_FAILED;
}
