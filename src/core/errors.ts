/**
 * Typed errors. Every error a client can see is an AuthzError with a stable `code`; api/errors.ts maps
 * the code to a gRPC status and an HTTP status in one table. Lower layers never import a transport.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

export class AuthzError extends Error {
  readonly code: ErrorCode;
  /** A short machine-readable reason, stable across versions (e.g. "SCHEMA_PARSE"). */
  readonly reason: string;
  constructor(code: ErrorCode, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.reason = reason;
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends AuthzError {
  constructor(message: string, reason = 'INVALID_ARGUMENT') {
    super('INVALID_ARGUMENT', reason, message);
  }
}

/** A relationship string or object reference that does not follow the syntax. */
export class RelationshipParseError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, 'RELATIONSHIP_SYNTAX');
  }
}

/** A relationship that the schema does not allow (unknown type or relation, subject type not allowed). */
export class InvalidRelationshipError extends AuthzError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', 'RELATIONSHIP_INVALID', message);
  }
}

export interface Diagnostic {
  /** 1-based line and column of the first character the diagnostic is about. */
  line: number;
  column: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.line}:${d.column}: ${d.message}`;
}

/** A schema text that does not parse or does not type-check; carries every diagnostic found. */
export class SchemaError extends AuthzError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super('INVALID_ARGUMENT', 'SCHEMA_INVALID', diagnostics.map(formatDiagnostic).join('\n'));
    this.diagnostics = diagnostics;
  }
}

/** The store has no schema yet, or the schema has no such definition / relation. */
export class SchemaNotFoundError extends AuthzError {
  constructor(message = 'no schema has been written yet') {
    super('FAILED_PRECONDITION', 'SCHEMA_NOT_FOUND', message);
  }
}

export class UnknownDefinitionError extends AuthzError {
  constructor(readonly type: string) {
    super('FAILED_PRECONDITION', 'UNKNOWN_DEFINITION', `object definition \`${type}\` not found in the schema`);
  }
}

export class UnknownRelationError extends AuthzError {
  constructor(
    readonly type: string,
    readonly relation: string,
  ) {
    super('FAILED_PRECONDITION', 'UNKNOWN_RELATION', `relation or permission \`${relation}\` not found on definition \`${type}\``);
  }
}

/** A write precondition (must match / must not match) did not hold; nothing was written. */
export class PreconditionFailedError extends AuthzError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', 'PRECONDITION_FAILED', message);
  }
}

/** A `create` of a relationship that already exists; nothing was written. */
export class RelationshipExistsError extends AuthzError {
  constructor(readonly relationship: string) {
    super('ALREADY_EXISTS', 'RELATIONSHIP_EXISTS', `cannot create relationship \`${relationship}\`: it already exists`);
  }
}

/** A schema change that would leave stored relationships invalid; nothing was changed. */
export class SchemaChangeRefusedError extends AuthzError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', 'SCHEMA_CHANGE_ORPHANS_RELATIONSHIPS', message);
  }
}

/** A walk that went deeper than the limit: an error, never a silent "no". */
export class MaxDepthExceededError extends AuthzError {
  constructor(readonly depth: number, path?: string) {
    super(
      'RESOURCE_EXHAUSTED',
      'MAX_DEPTH_EXCEEDED',
      `max depth of ${depth} exceeded${path ? ` at ${path}` : ''}: this usually means the data is nested too deeply or a relationship cycle`,
    );
  }
}

export class InvalidZookieError extends AuthzError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', 'ZOOKIE_INVALID', message);
  }
}

/** A revision older than the garbage-collection window, or newer than this store will reach in time. */
export class RevisionUnavailableError extends AuthzError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', 'REVISION_UNAVAILABLE', message);
  }
}

export class LimitExceededError extends AuthzError {
  constructor(message: string) {
    super('RESOURCE_EXHAUSTED', 'LIMIT_EXCEEDED', message);
  }
}

export class UnauthenticatedError extends AuthzError {
  constructor(message = 'missing or invalid preshared key: send `Authorization: Bearer <key>`') {
    super('UNAUTHENTICATED', 'UNAUTHENTICATED', message);
  }
}

export class NotSupportedError extends AuthzError {
  constructor(message: string) {
    super('UNIMPLEMENTED', 'NOT_SUPPORTED', message);
  }
}

export class UnavailableError extends AuthzError {
  constructor(message: string) {
    super('UNAVAILABLE', 'UNAVAILABLE', message);
  }
}

export class DeadlineExceededError extends AuthzError {
  constructor(message = 'the request was cancelled or its deadline passed') {
    super('DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED', message);
  }
}

/** A broken invariant inside Warden. Surfaces as INTERNAL; details are logged, never sent. */
export class BugError extends AuthzError {
  constructor(message: string) {
    super('INTERNAL', 'BUG', `BUG: ${message}`);
  }
}

export function bug(message: string): never {
  throw new BugError(message);
}
