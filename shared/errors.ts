/**
 * Domain errors. Code inside Governor throws these; the gRPC edge maps them to status codes in one place
 * (shared/grpc-status.ts), and the CLI maps them to exit codes.
 */

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL';

export class GovError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** Bad input from a user: config, flags, request fields. */
export class ValidationError extends GovError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

export class NotFoundError extends GovError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** The request is valid but the object is in a state where it cannot be done (e.g. stop an observed process). */
export class StateError extends GovError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

export class PermissionError extends GovError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

export class UnavailableError extends GovError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
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
