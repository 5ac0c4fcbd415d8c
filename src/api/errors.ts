/**
 * The one table from typed errors to transport statuses. Both adapters call `describeError`; nothing
 * else in the code base picks a status. Unknown errors become INTERNAL with a generic message, so no
 * stack trace, SQL or file path ever reaches a client; the original is handed back for logging.
 */
import { AuthzError, type ErrorCode } from '../core/errors.js';

/** gRPC status codes (numeric, from the gRPC spec) so that this table needs no transport import. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const TABLE: Record<ErrorCode, { grpc: number; http: number }> = {
  INVALID_ARGUMENT: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400 },
  NOT_FOUND: { grpc: GrpcCode.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: GrpcCode.ALREADY_EXISTS, http: 409 },
  FAILED_PRECONDITION: { grpc: GrpcCode.FAILED_PRECONDITION, http: 412 },
  ABORTED: { grpc: GrpcCode.ABORTED, http: 409 },
  OUT_OF_RANGE: { grpc: GrpcCode.OUT_OF_RANGE, http: 400 },
  UNAUTHENTICATED: { grpc: GrpcCode.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: GrpcCode.PERMISSION_DENIED, http: 403 },
  RESOURCE_EXHAUSTED: { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 429 },
  DEADLINE_EXCEEDED: { grpc: GrpcCode.DEADLINE_EXCEEDED, http: 504 },
  UNAVAILABLE: { grpc: GrpcCode.UNAVAILABLE, http: 503 },
  UNIMPLEMENTED: { grpc: GrpcCode.UNIMPLEMENTED, http: 501 },
  INTERNAL: { grpc: GrpcCode.INTERNAL, http: 500 },
};

// A write precondition that did not hold is HTTP's own 412; a schema change refused because stored
// relationships still use what it removes is a conflict with the data (409).
const HTTP_BY_REASON: Record<string, number> = {
  SCHEMA_CHANGE_ORPHANS_RELATIONSHIPS: 409,
};

export interface ErrorDescription {
  grpcCode: number;
  httpStatus: number;
  /** The stable error code (`INVALID_ARGUMENT`...) and reason (`SCHEMA_INVALID`...). */
  code: ErrorCode;
  reason: string;
  /** Safe to send to the client. */
  message: string;
  /** True when the error was not an AuthzError (or was a bug): log `cause` with its stack. */
  unexpected: boolean;
  cause: unknown;
}

export function describeError(err: unknown): ErrorDescription {
  if (err instanceof AuthzError && err.code !== 'INTERNAL') {
    const row = TABLE[err.code];
    return {
      grpcCode: row.grpc,
      httpStatus: HTTP_BY_REASON[err.reason] ?? row.http,
      code: err.code,
      reason: err.reason,
      message: err.message,
      unexpected: false,
      cause: err,
    };
  }
  return {
    grpcCode: GrpcCode.INTERNAL,
    httpStatus: 500,
    code: 'INTERNAL',
    reason: 'INTERNAL',
    message: 'internal error',
    unexpected: true,
    cause: err,
  };
}
