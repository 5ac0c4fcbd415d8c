/**
 * Concern: request logs. One structured line per call when it finishes: request id, transport,
 * operation, outcome code (and reason and message on failure), duration, graph dispatches, and the
 * zookie of the answer when it has one. Never a request body or a header: a body may be megabytes and
 * holds the caller's data, and headers hold the preshared key.
 *
 * Levels: a call that succeeded in time is `debug`; a failed one, or one slower than `slowMs`, is
 * `info`; an internal error is `error`. At the default level (info) an authorization server therefore
 * writes what needs attention rather than a line per Check: at tens of thousands of Checks a second,
 * formatting and writing those lines cost more than answering the Checks (bench/RESULTS.md).
 *
 * A gRPC LookupResources, LookupSubjects or ReadRelationships stream is served as one call per page, so
 * it logs a line per page, all with the request's id.
 */
import type { Logger } from 'pino';
import { describeError } from '../../api/errors.js';
import { currentRequest, type RequestContext } from '../../api/request-context.js';
import type { WardenService } from '../../service/types.js';
import { observeStream, ServiceDecorator, type Operation, type StreamEnd } from './service-decorator.js';

/** Past this duration a successful request is logged at info, with `slow: true`. */
export const DEFAULT_SLOW_REQUEST_MS = 1_000;

export interface RequestLine {
  readonly operation: string;
  readonly code: string;
  readonly reason?: string | undefined;
  /** The error's client-safe message (never an internal error's details). */
  readonly error?: string | undefined;
  readonly durationMs: number;
  readonly dispatches?: number | undefined;
  readonly zookie?: string | undefined;
}

export type RequestLevel = 'error' | 'info' | 'debug';

/** The level of a request's line (see the file comment). `CANCELLED`: the client left a stream, no failure. */
export function requestLevel(code: string, durationMs: number, slowMs: number): RequestLevel {
  if (code === 'INTERNAL') return 'error';
  if (code !== 'OK' && code !== 'CANCELLED') return 'info';
  return durationMs >= slowMs ? 'info' : 'debug';
}

/** Writes one request line; shared with the edge observer, so every request reads the same. */
export function logRequest(log: Logger, ctx: RequestContext | undefined, line: RequestLine, slowMs = DEFAULT_SLOW_REQUEST_MS): void {
  const level = requestLevel(line.code, line.durationMs, slowMs);
  if (!log.isLevelEnabled(level)) return;
  const slow = level === 'info' && (line.code === 'OK' || line.code === 'CANCELLED');
  const fields = {
    requestId: ctx?.id,
    transport: ctx?.transport ?? 'internal',
    ...line,
    durationMs: Math.round(line.durationMs * 100) / 100,
    ...(slow ? { slow: true } : {}),
  };
  log[level](fields, 'request');
}

const DONE: StreamEnd = { kind: 'done' };

export class LoggingService extends ServiceDecorator {
  constructor(
    inner: WardenService,
    private readonly log: Logger,
    private readonly slowMs = DEFAULT_SLOW_REQUEST_MS,
  ) {
    super(inner);
  }

  // No closure per call: this runs for every Check, where allocations show up in the profile.
  protected async around<R>(operation: Operation, run: () => Promise<R>): Promise<R> {
    const ctx = this.mark();
    const started = performance.now();
    const dispatchesBefore = ctx?.work.dispatches ?? 0;
    try {
      const r = await run();
      this.write(operation, ctx, started, dispatchesBefore, DONE, r);
      return r;
    } catch (error) {
      this.write(operation, ctx, started, dispatchesBefore, { kind: 'failed', error });
      throw error;
    }
  }

  protected aroundStream<R>(operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    const ctx = this.mark();
    const started = performance.now();
    const dispatchesBefore = ctx?.work.dispatches ?? 0;
    return observeStream(run, () => {}, (how) => this.write(operation, ctx, started, dispatchesBefore, how));
  }

  /** Marked here, the outermost concern: the edge observer must not log this request a second time. */
  private mark(): RequestContext | undefined {
    const ctx = currentRequest();
    if (ctx) ctx.served = true;
    return ctx;
  }

  private write(operation: Operation, ctx: RequestContext | undefined, started: number, dispatchesBefore: number, how: StreamEnd, answer?: unknown): void {
    const durationMs = performance.now() - started;
    const failure = how.kind === 'failed' ? describeError(how.error) : undefined;
    const code = failure?.code ?? (how.kind === 'cancelled' ? 'CANCELLED' : 'OK');
    // The cheap test first: most lines are below the level and cost no more than this.
    if (!this.log.isLevelEnabled(requestLevel(code, durationMs, this.slowMs))) return;
    logRequest(
      this.log,
      ctx,
      {
        operation,
        code,
        reason: failure?.reason,
        error: failure?.message,
        durationMs,
        dispatches: ctx === undefined ? undefined : ctx.work.dispatches - dispatchesBefore,
        zookie: zookieOf(answer),
      },
      this.slowMs,
    );
  }
}

function zookieOf(r: unknown): string | undefined {
  const z = (r as { zookie?: unknown } | undefined)?.zookie;
  return typeof z === 'string' ? z : undefined;
}
