/**
 * Concern: cancellation and deadlines. Turns the ambient request scope (api/request-context.ts: the
 * client's abort signal, its gRPC deadline, the request's work tally) into the explicit CallOptions
 * and signals the service acts on, so that a client that goes away or runs out of time stops the
 * waits and walks done for it. Calls made outside any request (bootstrap) pass through unchanged.
 */
import { currentRequest } from '../../api/request-context.js';
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
    return { signal: ctx.signal, deadline: ctx.deadline, work: ctx.work };
  }

  // Streaming adapters pass their own signal (it fires on the same hang-up); the scope's covers the rest.
  protected override bindSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    return signal ?? currentRequest()?.signal;
  }
}
