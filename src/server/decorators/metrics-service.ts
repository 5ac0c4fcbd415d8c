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

  // No closure per call: this runs for every Check, where allocations show up in the profile.
  protected async around<R>(operation: Operation, run: () => Promise<R>): Promise<R> {
    const ctx = currentRequest();
    const transport = ctx?.transport ?? 'internal';
    const dispatchesBefore = ctx?.work.dispatches ?? 0;
    const started = performance.now();
    this.metrics.requestStarted(transport);
    let code = 'OK';
    try {
      return await run();
    } catch (e) {
      code = describeError(e).code;
      throw e;
    } finally {
      this.end(operation, transport, ctx, dispatchesBefore, started, code);
    }
  }

  protected aroundStream<R>(operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    const ctx = currentRequest();
    const transport = ctx?.transport ?? 'internal';
    let dispatchesBefore = 0;
    let started = 0;
    return observeStream(
      run,
      () => {
        dispatchesBefore = ctx?.work.dispatches ?? 0;
        started = performance.now();
        this.metrics.requestStarted(transport);
      },
      (how) => this.end(operation, transport, ctx, dispatchesBefore, started, streamCode(how)),
    );
  }

  private end(operation: Operation, transport: string, ctx: RequestContext | undefined, dispatchesBefore: number, started: number, code: string): void {
    this.metrics.requestEnded(transport);
    const dispatches = ctx === undefined ? undefined : ctx.work.dispatches - dispatchesBefore;
    this.metrics.observeRequest(operation, transport, code, (performance.now() - started) / 1000, dispatches);
  }
}

/** `CANCELLED` when the consumer stopped pulling: the client went away, which is not a server error. */
export function streamCode(how: StreamEnd): string {
  return how.kind === 'done' ? 'OK' : how.kind === 'failed' ? describeError(how.error).code : 'CANCELLED';
}
