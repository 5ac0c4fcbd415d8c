/**
 * Concern: metrics. Counts every call by operation, transport and outcome, times it, tracks how many
 * are in flight and how many graph dispatches each made (server/metrics.ts names the families).
 */
import { describeError } from '../../api/errors.js';
import { currentRequest, type RequestContext } from '../../api/request-context.js';
import type { WardenService } from '../../service/types.js';
import type { WardenMetrics } from '../metrics.js';
import { observeStream, ServiceDecorator, type Operation, type StreamEnd } from './service-decorator.js';

export class MetricsService extends ServiceDecorator {
  constructor(
    inner: WardenService,
    private readonly metrics: WardenMetrics,
  ) {
    super(inner);
  }

  protected async around<R>(operation: Operation, run: () => Promise<R>): Promise<R> {
    const end = this.begin(operation, currentRequest());
    try {
      const r = await run();
      end('OK');
      return r;
    } catch (e) {
      end(describeError(e).code);
      throw e;
    }
  }

  protected aroundStream<R>(operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    const ctx = currentRequest();
    let end: ((code: string) => void) | undefined;
    return observeStream(
      run,
      () => (end = this.begin(operation, ctx)),
      (how) => end?.(streamCode(how)),
    );
  }

  private begin(operation: Operation, ctx: RequestContext | undefined): (code: string) => void {
    const transport = ctx?.transport ?? 'internal';
    const dispatchesBefore = ctx?.work.dispatches ?? 0;
    const started = performance.now();
    const inFlight = this.metrics.inFlight.labels(transport);
    inFlight.inc();
    return (code) => {
      inFlight.dec();
      const dispatches = ctx === undefined ? undefined : ctx.work.dispatches - dispatchesBefore;
      this.metrics.observeRequest(operation, transport, code, (performance.now() - started) / 1000, dispatches);
    };
  }
}

/** `CANCELLED` when the consumer stopped pulling: the client went away, which is not a server error. */
export function streamCode(how: StreamEnd): string {
  return how.kind === 'done' ? 'OK' : how.kind === 'failed' ? describeError(how.error).code : 'CANCELLED';
}
