/**
 * The scope of one request, set by each transport adapter and read by the service decorators of the
 * composition root (server/decorators/).
 *
 * Why ambient state here and explicit parameters below: the request id, the transport and the work
 * tally are facts about the request that only the cross-cutting decorators need. Threading them
 * through each handler and through the WardenService signature would make every layer carry
 * observability data it never uses. From the decorators down, what the service does act on (the abort
 * signal and the deadline) is an explicit CallOptions argument again, so the service and the engine
 * never read ambient state and are tested without a scope.
 *
 * Why a synchronous slot rather than AsyncLocalStorage: ALS would carry the scope across awaits by
 * itself, but on Node 20 using it once installs a JavaScript hook on every promise the process makes
 * from then on, about 10 µs of a ~150 µs HTTP Check (a hono echo server with and without one ALS.run
 * per request). The decorators read the scope once, synchronously, when a service method is called,
 * so it only has to be current during that call: `runInRequest` makes it so for a synchronous call,
 * and an adapter that calls the service after an await (an HTTP handler once the body is read, a
 * stream's later page) enters the scope again around that call (`bindToRequest`, http's `inScope`).
 */
import { randomUUID } from 'node:crypto';

export type Transport = 'grpc' | 'http';

export interface RequestContext {
  /** Taken from the client's `x-request-id` when well formed, generated otherwise; echoed back. */
  readonly id: string;
  readonly transport: Transport;
  /**
   * Aborted when the client goes away; for gRPC also when its deadline passes. Made on first read
   * (see CancelSource): read `cancelled` instead when only the present state matters.
   */
  readonly signal: AbortSignal;
  /** Whether the client has gone, without making the signal. */
  readonly cancelled: boolean;
  /** Epoch milliseconds (gRPC deadlines); undefined: none. */
  readonly deadline: number | undefined;
  /** Graph dispatches made for this request so far (the engine counts into it). */
  readonly work: { dispatches: number };
  /** Set once a service call has reported this request (logged and counted it). */
  served: boolean;
}

/**
 * How a transport tells a request that its client went away. On Node 20 an AbortSignal costs more to
 * create (its transferable set-up, ~10 µs on the benchmark machines) than the rest of a cached Check,
 * so adapters give a cheap flag and make the signal only when something waits on it.
 */
export interface CancelSource {
  readonly cancelled: boolean;
  /** A signal that fires when the request is cancelled (already aborted if it was); called at most once. */
  makeSignal(): AbortSignal;
}

/** The header (HTTP) and metadata key (gRPC) that carries the request id both ways. */
export const REQUEST_ID_KEY = 'x-request-id';

let current: RequestContext | undefined;

/** Calls `f` with `ctx` as the current request; it stays current until `f` returns (or first awaits). */
export function runInRequest<T>(ctx: RequestContext, f: () => T): T {
  const outer = current;
  current = ctx;
  try {
    return f();
  } finally {
    current = outer;
  }
}

/** The request being served, or undefined outside any (bootstrap, tests, background work). */
export function currentRequest(): RequestContext | undefined {
  return current;
}

/** `f`, called later (after an await), in the request current now. */
export function bindToRequest<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const ctx = current;
  return ctx === undefined ? f : (...args) => runInRequest(ctx, () => f(...args));
}

// Printable, no spaces or quotes, bounded: safe to log and echo, and enough for UUIDs and trace ids.
const WELL_FORMED_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The client's id if it is well formed (a log line must not carry arbitrary client text), else a new one. */
export function requestIdFrom(given: string | undefined): string {
  return given !== undefined && WELL_FORMED_ID.test(given) ? given : newRequestId();
}

// New ids have the form of a UUID: a random prefix drawn once per process (74 random bits) and a
// counter. Unique as long as the counter does not wrap (2^48 requests); a randomUUID() per request
// cost ~2 µs of random bytes and formatting, about 1 % of an HTTP Check.
const ID_PREFIX = randomUUID().slice(0, 24);
let lastId = 0;

function newRequestId(): string {
  lastId = (lastId + 1) % 2 ** 48;
  return ID_PREFIX + lastId.toString(16).padStart(12, '0');
}

/** `cancel` is a signal (tests, callers that have one) or a CancelSource whose signal is made on first use. */
export function newRequestContext(transport: Transport, id: string, cancel: AbortSignal | CancelSource, deadline?: number): RequestContext {
  return new Scope(transport, id, cancel instanceof AbortSignal ? signalSource(cancel) : cancel, deadline);
}

class Scope implements RequestContext {
  readonly work = { dispatches: 0 };
  served = false;
  private made: AbortSignal | undefined;

  constructor(
    readonly transport: Transport,
    readonly id: string,
    private readonly source: CancelSource,
    readonly deadline: number | undefined,
  ) {}

  get signal(): AbortSignal {
    return (this.made ??= this.source.makeSignal());
  }

  get cancelled(): boolean {
    return this.made?.aborted ?? this.source.cancelled;
  }
}

function signalSource(signal: AbortSignal): CancelSource {
  return {
    get cancelled() {
      return signal.aborted;
    },
    makeSignal: () => signal,
  };
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
