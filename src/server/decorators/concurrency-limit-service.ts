/**
 * Concern: back-pressure. At most `maxInFlight` calls are served at once; one more fails at once with
 * RESOURCE_EXHAUSTED (HTTP 429), which tells a client to back off, instead of queueing without bound
 * while every request's latency grows and memory with it. A stream (export, watch) holds its place
 * until it ends, since it holds resources as long; size the limit above the number of watchers.
 */
import { LimitExceededError } from '../../core/errors.js';
import { observeStream, ServiceDecorator, type Operation } from './service-decorator.js';
import type { WardenService } from '../../service/types.js';

export class ConcurrencyLimitService extends ServiceDecorator {
  private inFlight = 0;

  /** `maxInFlight` 0 means no limit. */
  constructor(
    inner: WardenService,
    private readonly maxInFlight: number,
  ) {
    super(inner);
  }

  protected async around<R>(_operation: Operation, run: () => Promise<R>): Promise<R> {
    this.acquire();
    try {
      return await run();
    } finally {
      this.inFlight--;
    }
  }

  protected aroundStream<R>(_operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R> {
    // Taken at the first pull, so that a refusal is an error of the stream, which both adapters report
    // with its status, rather than a throw out of the call that starts it.
    return observeStream(
      run,
      () => this.acquire(),
      () => this.inFlight--,
    );
  }

  private acquire(): void {
    if (this.maxInFlight > 0 && this.inFlight >= this.maxInFlight) {
      throw new LimitExceededError(`the server is serving its limit of ${this.maxInFlight} concurrent requests: retry with backoff`);
    }
    this.inFlight++;
  }
}
