/** The one mapping between domain errors and gRPC status, used at the edges (services and clients). */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { GovError, type ErrorKind, errorMessage } from './errors.js';

const KIND_TO_STATUS: Record<ErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  INTERNAL: status.INTERNAL,
};

/** A domain error (or anything thrown) as a grpc-js ServiceError. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const code = err instanceof GovError ? KIND_TO_STATUS[err.kind] : status.INTERNAL;
  return { code, details: errorMessage(err), message: errorMessage(err), metadata: new Metadata() };
}

/** Code name for an error carried in a message (ErrorInfo.code). */
export function errorKindOf(err: unknown): ErrorKind {
  return err instanceof GovError ? err.kind : 'INTERNAL';
}

/** Rebuilds a domain error from an ErrorInfo carried in a message. */
export function errorFromInfo(info: { code?: string; message?: string } | null | undefined): GovError {
  const kind = (info?.code && info.code in KIND_TO_STATUS ? info.code : 'INTERNAL') as ErrorKind;
  return new GovError(kind, info?.message || 'unknown error');
}
