/**
 * The scope of one request, set by each transport adapter around everything it does for the request
 * and read by the service decorators of the composition root (server/decorators/).
 *
 * Why AsyncLocalStorage here and explicit parameters below: the request id, the transport and the
 * work tally are facts about the request that only the cross-cutting decorators need, and they have
 * to cross hono's middleware chain, grpc-js's handler plumbing and every route handler on the way.
 * Threading them through each handler and through the WardenService signature would make every
 * layer carry observability data it never uses. From the decorators down, what the service does act
 * on (the abort signal and the deadline) is an explicit CallOptions argument again, so the service
 * and the engine never read ambient state and are tested without a scope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export type Transport = 'grpc' | 'http';

export interface RequestContext {
  /** Taken from the client's `x-request-id` when well formed, generated otherwise; echoed back. */
  readonly id: string;
  readonly transport: Transport;
  /** Aborted when the client goes away; for gRPC also when its deadline passes. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds (gRPC deadlines); undefined: none. */
  readonly deadline: number | undefined;
  /** Graph dispatches made for this request so far (the engine counts into it). */
  readonly work: { dispatches: number };
  /** Set once a service call has reported this request (logged and counted it). */
  served: boolean;
}

/** The header (HTTP) and metadata key (gRPC) that carries the request id both ways. */
export const REQUEST_ID_KEY = 'x-request-id';

const storage = new AsyncLocalStorage<RequestContext>();

export function runInRequest<T>(ctx: RequestContext, f: () => T): T {
  return storage.run(ctx, f);
}

/** The request being served, or undefined outside any (bootstrap, tests, background work). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

// Printable, no spaces or quotes, bounded: safe to log and echo, and enough for UUIDs and trace ids.
const WELL_FORMED_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The client's id if it is well formed (a log line must not carry arbitrary client text), else a new one. */
export function requestIdFrom(given: string | undefined): string {
  return given !== undefined && WELL_FORMED_ID.test(given) ? given : randomUUID();
}

export function newRequestContext(transport: Transport, id: string, signal: AbortSignal, deadline?: number): RequestContext {
  return { id, transport, signal, deadline, work: { dispatches: 0 }, served: false };
}

/**
 * Told about requests that ended without reaching the service (a refused key, a body that does not
 * decode, a request too large), which the service decorators therefore never saw. `operation` is the
 * WardenService method name the request was for, or `unknown`.
 */
export interface EdgeObserver {
  unserved(ctx: RequestContext, outcome: EdgeOutcome): void;
}

export interface EdgeOutcome {
  readonly operation: string;
  /** The stable error code (`UNAUTHENTICATED`...) or `OK`. */
  readonly code: string;
  readonly reason?: string | undefined;
  readonly durationMs: number;
}

/** `CheckBulk` → `checkBulk`: gRPC method names and OpenAPI summaries name the service's methods. */
export function operationName(pascal: string): string {
  return pascal ? pascal[0]!.toLowerCase() + pascal.slice(1) : 'unknown';
}
