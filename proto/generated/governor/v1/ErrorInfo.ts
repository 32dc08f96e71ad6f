// Original file: proto/governor/v1/common.proto


/**
 * An error carried inside a message (not a gRPC status).
 */
export interface ErrorInfo {
  /**
   * gRPC-style code name (shared/errors.ts ErrorKind): INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
   * FAILED_PRECONDITION, PERMISSION_DENIED, UNAUTHENTICATED, UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL.
   */
  'code'?: (string);
  /**
   * What failed and what to do.
   */
  'message'?: (string);
}

/**
 * An error carried inside a message (not a gRPC status).
 */
export interface ErrorInfo__Output {
  /**
   * gRPC-style code name (shared/errors.ts ErrorKind): INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
   * FAILED_PRECONDITION, PERMISSION_DENIED, UNAUTHENTICATED, UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL.
   */
  'code': (string);
  /**
   * What failed and what to do.
   */
  'message': (string);
}
