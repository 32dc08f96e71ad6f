/**
 * The one mapping between domain errors and gRPC status, read both ways: a server turns what it throws
 * into a status (`toServiceError`), a client turns a status back into the same domain error
 * (`errorFromStatus`), and the agent link carries the kind by name (`errorKindOf`, `errorFromInfo`).
 * How the CLI ends for each error is `exitCodeOf` in shared/errors.ts.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { GovError, NotLeaderError, type ErrorKind, errorMessage } from './errors.js';

/** Each domain error kind and the status it travels as; a status not listed here comes back INTERNAL. */
export const ERROR_STATUS: Readonly<Record<ErrorKind, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  INTERNAL: status.INTERNAL,
};

const KIND_OF_STATUS = new Map<status, ErrorKind>(
  (Object.entries(ERROR_STATUS) as Array<[ErrorKind, status]>).map(([kind, code]) => [code, kind]),
);

/** Metadata key that carries `GovError.fields` (comma-separated field names) with a status. */
export const FIELDS_METADATA_KEY = 'governor-error-fields';
/** Metadata key that carries NotLeaderError.leader (the leader's address; empty: none known) with UNAVAILABLE. */
export const LEADER_METADATA_KEY = 'governor-leader';

/** The status a domain error kind travels as. */
export function statusOf(kind: ErrorKind): status {
  return ERROR_STATUS[kind];
}

/** The domain error kind of a status (INTERNAL for a status no domain error travels as: UNKNOWN, …). */
export function kindOfStatus(code: status): ErrorKind {
  return KIND_OF_STATUS.get(code) ?? 'INTERNAL';
}

/** A domain error (or anything thrown) as a grpc-js ServiceError: the server side of the table. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  const fields = err instanceof GovError ? err.fields : [];
  if (fields.length > 0) metadata.set(FIELDS_METADATA_KEY, fields.join(','));
  if (err instanceof NotLeaderError) metadata.set(LEADER_METADATA_KEY, err.leader);
  return {
    code: statusOf(errorKindOf(err)),
    details: errorMessage(err),
    message: errorMessage(err),
    metadata,
  };
}

/**
 * A status received by a client as the domain error it stands for: the client side of the table. The
 * message is the server's (`details`); `cause` keeps the original error.
 */
export function errorFromStatus(err: unknown): GovError {
  if (err instanceof GovError) return err;
  const e = (err ?? {}) as Partial<ServiceError>;
  const code = typeof e.code === 'number' ? (e.code as status) : status.UNKNOWN;
  const message = e.details || errorMessage(err);
  const md = e.metadata instanceof Metadata ? e.metadata : null;
  const raw = md?.get(FIELDS_METADATA_KEY)[0];
  const fields = typeof raw === 'string' && raw ? raw.split(',') : [];
  const leader = md?.get(LEADER_METADATA_KEY)[0];
  if (code === status.UNAVAILABLE && typeof leader === 'string')
    return new NotLeaderError(leader, message, { cause: err, fields });
  return new GovError(kindOfStatus(code), message, { cause: err, fields });
}

/**
 * Whether a status came from the server (its refusal, an error of its own) rather than from grpc-js on the client
 * side (no connection, a stream lost): a status the server sent comes with its response headers, one grpc-js
 * made has none.
 */
export function sentByServer(err: unknown): boolean {
  const md = (err as Partial<ServiceError> | null)?.metadata;
  return md instanceof Metadata && md.get('content-type').length > 0;
}

/** Code name for an error carried in a message (ErrorInfo.code). */
export function errorKindOf(err: unknown): ErrorKind {
  return err instanceof GovError ? err.kind : 'INTERNAL';
}

/** Rebuilds a domain error from an ErrorInfo carried in a message. */
export function errorFromInfo(info: { code?: string; message?: string } | null | undefined): GovError {
  const kind = (info?.code && Object.hasOwn(ERROR_STATUS, info.code) ? info.code : 'INTERNAL') as ErrorKind;
  return new GovError(kind, info?.message || 'unknown error');
}
