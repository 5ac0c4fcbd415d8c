/**
 * How the HTTP adapter reports failures: every error leaves as `{error: {code, reason, message}}`.
 * Service errors take their status from api/errors.ts; only failures that exist at the HTTP level alone
 * (no route, body too large, wrong media type, malformed JSON) pick their status here, because gRPC has
 * no such thing and the shared table should not grow HTTP-only rows.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { describeError } from '../errors.js';
import './context-vars.js';
import type { ErrorCode } from '../../core/errors.js';

export interface ErrorBody {
  error: { code: string; reason: string; message: string };
}

/** An error of the HTTP transport itself, carrying its own status, code and reason. */
export class HttpTransportError extends HTTPException {
  readonly code: ErrorCode;
  readonly reason: string;
  constructor(status: ContentfulStatusCode, code: ErrorCode, reason: string, message: string) {
    super(status, { message });
    this.code = code;
    this.reason = reason;
  }
}

// Exceptions that hono and @hono/zod-openapi throw by themselves (malformed JSON, the media-type gate)
// carry only a status; these give them a stable code and a clearer message.
const BY_STATUS: Partial<Record<number, { code: ErrorCode; reason: string; message?: string }>> = {
  400: { code: 'INVALID_ARGUMENT', reason: 'BAD_REQUEST' },
  401: { code: 'UNAUTHENTICATED', reason: 'UNAUTHENTICATED' },
  404: { code: 'NOT_FOUND', reason: 'NOT_FOUND' },
  413: { code: 'RESOURCE_EXHAUSTED', reason: 'REQUEST_TOO_LARGE' },
  415: {
    code: 'INVALID_ARGUMENT',
    reason: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'unsupported media type: send the body as JSON with `Content-Type: application/json`',
  },
};

export interface DescribedHttpError {
  status: ContentfulStatusCode;
  body: ErrorBody;
  /** Set when the error is a bug or an unknown failure: log it, never send it. */
  unexpected?: unknown;
}

export function describeHttpError(err: unknown): DescribedHttpError {
  if (err instanceof HttpTransportError) {
    return { status: err.status as ContentfulStatusCode, body: errorBody(err.code, err.reason, err.message) };
  }
  if (err instanceof HTTPException && err.status < 500) {
    const row = BY_STATUS[err.status] ?? { code: 'INVALID_ARGUMENT' as const, reason: 'BAD_REQUEST' };
    const message = row.message ?? (lowerFirst(err.message) || 'bad request');
    return { status: err.status as ContentfulStatusCode, body: errorBody(row.code, row.reason, message) };
  }
  const d = describeError(err);
  return {
    status: d.httpStatus as ContentfulStatusCode,
    body: errorBody(d.code, d.reason, d.message),
    ...(d.unexpected ? { unexpected: d.cause } : {}),
  };
}

export function errorBody(code: string, reason: string, message: string): ErrorBody {
  return { error: { code, reason, message } };
}

/** Sends any error as the JSON error body; the single exit for failures before a stream has started. */
export function errorResponse(c: Context, err: unknown): Response {
  const d = describeHttpError(err);
  if (d.unexpected !== undefined) logUnexpected(c.req.method, c.req.path, d.unexpected);
  if (d.status === 401) c.header('WWW-Authenticate', 'Bearer');
  if (hasBody(c) && c.get('bodyConsumed') === undefined && !isMalformedJson(err)) {
    // Refused before its body was read (401, 413, a bad import line...): the rest of the body is still
    // on the wire, and @hono/node-server may cut such a connection later, under the client's next
    // request. Closing it now, and saying so, lets the client open a fresh one.
    c.header('Connection', 'close');
  }
  return c.json(d.body, d.status);
}

/** Records that the request's body has been read to its end, so that an error may keep the connection. */
export function markBodyConsumed(c: Context): void {
  c.set('bodyConsumed', true);
}

// hono's validator throws this only after reading the whole body.
function isMalformedJson(err: unknown): boolean {
  return err instanceof HTTPException && err.status === 400 && /malformed json/i.test(err.message);
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return length !== undefined ? length !== '0' : c.req.header('transfer-encoding') !== undefined;
}

export function logUnexpected(method: string, path: string, err: unknown): void {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`warden http: ${method} ${path} failed: ${detail}\n`);
}

/** The validation hook of every route: a zod failure becomes a 400 naming each bad field. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: ZodError }),
  c: Context,
): Response | undefined {
  // The validator has parsed the whole body by now, whatever the outcome.
  if (result.target === 'json') markBodyConsumed(c);
  if (result.success) return undefined;
  const root = result.target === 'json' ? 'body' : result.target;
  return c.json(errorBody('INVALID_ARGUMENT', 'INVALID_REQUEST', formatZodError(result.error, root)), 400);
}

const MAX_REPORTED_ISSUES = 8;

/** `resource: expected a string, got a number; updates[1].operation: expected one of ...` */
export function formatZodError(error: ZodError, root = 'body'): string {
  const issues = error.issues;
  const parts = issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => `${formatPath(issue.path, root)}: ${issueMessage(issue)}`);
  if (issues.length > MAX_REPORTED_ISSUES) parts.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
  return parts.join('; ');
}

function formatPath(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

type Issue = ZodError['issues'][number];

function issueMessage(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // zod puts what it saw only in the default message ("..., received undefined").
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      const expected = `expected ${withArticle(issue.expected)}`;
      if (received === 'undefined') return `required, ${expected}`;
      return received ? `${expected}, got ${withArticle(received)}` : expected;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return lowerFirst(issue.message);
  }
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
  undefined: 'nothing',
  NaN: 'NaN',
};

function withArticle(type: string): string {
  return ARTICLE[type] ?? type;
}

function lowerFirst(s: string): string {
  return s ? s[0]!.toLowerCase() + s.slice(1) : s;
}
