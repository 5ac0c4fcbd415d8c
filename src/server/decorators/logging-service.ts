/**
 * Concern: request logs. One structured line per call when it finishes: request id, transport,
 * operation, outcome code (and reason and message on failure), duration, graph dispatches, and the
 * zookie of the answer when it has one. Never a request body or a header: a body may be megabytes and
 * holds the caller's data, and headers hold the preshared key.
 *
 * A gRPC LookupResources, LookupSubjects or ReadRelationships stream is served as one call per page, so
 * it logs a line per page, all with the request's id.
 */
import type { Logger } from 'pino';
import { describeError } from '../../api/errors.js';
import { currentRequest, type RequestContext } from '../../api/request-context.js';
import type { WardenService } from '../../service/types.js';
import { observeStream, ServiceDecorator, type Operation, type StreamEnd } from './service-decorator.js';

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

/** Writes one request line; shared with the edge observer, so every request reads the same. */
export function logRequest(log: Logger, ctx: RequestContext | undefined, line: RequestLine): void {
  const fields = {
    requestId: ctx?.id,
    transport: ctx?.transport ?? 'internal',
    ...line,
    durationMs: Math.round(line.durationMs * 100) / 100,
  };
  // An internal error is a bug or an outage, worth an alert; anything else is the client's business.
  if (line.code === 'INTERNAL') log.error(fields, 'request');
  else log.info(fields, 'request');
}

export class LoggingService extends ServiceDecorator {
  constructor(
    inner: WardenService,
    private readonly log: Logger,
  ) {
    super(inner);
  }

  protected async around<R>(operation: Operation, run: () => Promise<R>): Promise<R> {
    const finish = this.begin(operation, currentRequest());
    try {
      const r = await run();
      finish({ kind: 'done' }, zookieOf(r));
      return r;
    } catch (error) {
      finish({ kind: 'failed', error });
      throw error;
    }
  }

  protected aroundStream<R>(operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    const finish = this.begin(operation, currentRequest());
    return observeStream(run, () => {}, finish);
  }

  private begin(operation: Operation, ctx: RequestContext | undefined): (how: StreamEnd, zookie?: string) => void {
    // Marked here, the outermost concern: the edge observer must not log this request a second time.
    if (ctx) ctx.served = true;
    const started = performance.now();
    const dispatchesBefore = ctx?.work.dispatches ?? 0;
    return (how, zookie) => {
      const failure = how.kind === 'failed' ? describeError(how.error) : undefined;
      logRequest(this.log, ctx, {
        operation,
        code: failure?.code ?? (how.kind === 'cancelled' ? 'CANCELLED' : 'OK'),
        reason: failure?.reason,
        error: failure?.message,
        durationMs: performance.now() - started,
        dispatches: ctx === undefined ? undefined : ctx.work.dispatches - dispatchesBefore,
        zookie,
      });
    };
  }
}

function zookieOf(r: unknown): string | undefined {
  const z = (r as { zookie?: unknown } | undefined)?.zookie;
  return typeof z === 'string' ? z : undefined;
}
