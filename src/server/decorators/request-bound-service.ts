/**
 * Concern: cancellation and deadlines. Turns the ambient request scope (api/request-context.ts: the
 * client's abort signal, its gRPC deadline, the request's work tally) into the explicit CallOptions
 * and signals the service acts on, so that a client that goes away or runs out of time stops the
 * waits and walks done for it. Calls made outside any request (bootstrap) pass through unchanged.
 */
import { currentRequest, type RequestContext } from '../../api/request-context.js';
import type { CallOptions } from '../../service/types.js';
import { ServiceDecorator, type Operation } from './service-decorator.js';

export class RequestBoundService extends ServiceDecorator {
  protected around<R>(_operation: Operation, run: () => Promise<R>): Promise<R> {
    return run();
  }

  protected aroundStream<R>(_operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    return run();
  }

  protected override bind(call: CallOptions | undefined): CallOptions | undefined {
    const ctx = currentRequest();
    if (call !== undefined || ctx === undefined) return call;
    return new ScopedCall(ctx);
  }

  // Streaming adapters pass their own signal (it fires on the same hang-up); the scope's covers the rest.
  protected override bindSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    return signal ?? currentRequest()?.signal;
  }
}

/** The scope's options, read through: its signal is made only if the service reads it (to wait). */
class ScopedCall implements CallOptions {
  constructor(private readonly ctx: RequestContext) {}

  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  get aborted(): boolean {
    return this.ctx.cancelled;
  }

  get deadline(): number | undefined {
    return this.ctx.deadline;
  }

  get work(): { dispatches: number } {
    return this.ctx.work;
  }
}
