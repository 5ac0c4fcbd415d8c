/**
 * The request scope of every HTTP request (request-context.ts): a request id taken from the
 * `x-request-id` header or generated, echoed in the response's `x-request-id`; the request's abort
 * signal, which @hono/node-server fires when the client closes the connection early. It runs first,
 * before the key check and the body limit, so that refused requests have an id too and reach the edge
 * observer.
 */
import { ServerResponse } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ErrorCode } from '../../core/errors.js';
import {
  newRequestContext,
  operationName,
  REQUEST_ID_KEY,
  requestIdFrom,
  runInRequest,
  type CancelSource,
  type EdgeObserver,
} from '../request-context.js';
import './context-vars.js';
import { describeHttpError } from './http-errors.js';

// Responses that hono or a validation hook make without an error object carry only their status.
const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'RESOURCE_EXHAUSTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function requestScope(app: OpenAPIHono, observer: EdgeObserver | undefined): MiddlewareHandler {
  let operations: Map<string, string> | undefined;
  // Built on first use: the routes are registered after this middleware.
  const operationOf = (method: string, path: string) => (operations ??= operationTable(app)).get(`${method.toLowerCase()} ${path}`) ?? 'unknown';
  return async (c, next) => {
    const started = performance.now();
    const ctx = newRequestContext('http', requestIdFrom(c.req.header(REQUEST_ID_KEY)), cancelSourceOf(c));
    c.set('requestScope', ctx);
    await runInRequest(ctx, next);
    try {
      c.res.headers.set(REQUEST_ID_KEY, ctx.id);
    } catch {
      // A response with immutable headers (none of ours) goes without the echo rather than failing.
    }
    // Probes, scrapes and docs are not API requests: only /v1 is reported.
    if (ctx.served || !observer || !c.req.path.startsWith('/v1/')) return;
    const { code, reason } = outcomeOf(c);
    observer.unserved(ctx, { operation: operationOf(c.req.method, c.req.path), code, reason, durationMs: performance.now() - started });
  };
}

/**
 * Calls `f` (a service call) in the request's scope. Route handlers run after an await (the body is
 * read first), when the scope is no longer current (request-context.ts says why it does not follow
 * awaits by itself): every service call of a route goes through this.
 */
export function inScope<T>(c: Context, f: () => T): T {
  const ctx = c.get('requestScope');
  return ctx === undefined ? f() : runInRequest(ctx, f);
}

/**
 * Cancellation read off the Node response: the client went away if it closed before the answer was
 * written. @hono/node-server aborts `c.req.raw.signal` on the same condition, but reading that signal
 * makes it (request-context.ts says why that is worth avoiding); here the signal is made only when a
 * wait asks for it. The check lane uses it too.
 */
export class NodeResponseCancelSource implements CancelSource {
  constructor(private readonly res: ServerResponse) {}

  get cancelled(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  makeSignal(): AbortSignal {
    const ac = new AbortController();
    if (this.cancelled) ac.abort();
    else this.res.once('close', () => this.res.writableFinished || ac.abort());
    return ac.signal;
  }
}

/** Without a Node response (app.request() in tests, HTTP/2), the web request's signal is the source. */
function cancelSourceOf(c: Context): CancelSource | AbortSignal {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? new NodeResponseCancelSource(outgoing) : c.req.raw.signal;
}

function outcomeOf(c: Context): { code: string; reason?: string } {
  if (c.error !== undefined) {
    const { code, reason } = describeHttpError(c.error).body.error;
    return { code, reason };
  }
  const status = c.res.status;
  return { code: status < 400 ? 'OK' : (CODE_BY_STATUS[status] ?? 'UNKNOWN') };
}

/** `post /v1/permissions/check` → `check`, from the OpenAPI summaries, which name the service's methods. */
function operationTable(app: OpenAPIHono): Map<string, string> {
  const table = new Map<string, string>();
  for (const d of app.openAPIRegistry.definitions) {
    if (d.type === 'route' && d.route.summary) table.set(`${d.route.method} ${d.route.path}`, operationName(d.route.summary));
  }
  return table;
}
