/**
 * The common shape of the WardenService decorators: one per cross-cutting concern (request binding,
 * concurrency limit, metrics, logs), each wrapping another WardenService, composed in one function
 * (decorate.ts). A concern says what happens around a call answered by one promise and around a
 * streamed answer; this base routes every operation through those two, so no concern repeats the
 * fourteen methods, and an operation added to the interface is a compile error here rather than an
 * operation some concern silently misses.
 *
 * Liveness and readiness pass straight through: probes are not requests.
 */
import type * as T from '../../service/types.js';

/** The WardenService method names: the `operation` label of metrics and logs. */
export type Operation = Exclude<keyof T.WardenService, 'limits' | 'health' | 'ready'>;

export abstract class ServiceDecorator implements T.WardenService {
  constructor(protected readonly inner: T.WardenService) {}

  /** Around a call answered by one promise. */
  protected abstract around<R>(operation: Operation, run: () => Promise<R>): Promise<R>;

  /**
   * Around a stream, from its first pull to its end (or until the consumer stops pulling). Called when
   * the operation is called, inside the request's scope; the returned iterable does the work lazily.
   */
  protected abstract aroundStream<R>(operation: Operation, run: () => AsyncIterable<R>): AsyncIterable<R>;

  /** The call options passed on; a concern that supplies them overrides this. */
  protected bind(call: T.CallOptions | undefined): T.CallOptions | undefined {
    return call;
  }

  /** The signal passed on to streaming operations; a concern that supplies it overrides this. */
  protected bindSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    return signal;
  }

  get limits(): T.Limits {
    return this.inner.limits;
  }
  check(req: T.CheckRequest, call?: T.CallOptions) {
    return this.around('check', () => this.inner.check(req, this.bind(call)));
  }
  checkBulk(req: T.CheckBulkRequest, call?: T.CallOptions) {
    return this.around('checkBulk', () => this.inner.checkBulk(req, this.bind(call)));
  }
  expand(req: T.ExpandRequest, call?: T.CallOptions) {
    return this.around('expand', () => this.inner.expand(req, this.bind(call)));
  }
  lookupResources(req: T.LookupResourcesRequest, call?: T.CallOptions) {
    return this.around('lookupResources', () => this.inner.lookupResources(req, this.bind(call)));
  }
  lookupSubjects(req: T.LookupSubjectsRequest, call?: T.CallOptions) {
    return this.around('lookupSubjects', () => this.inner.lookupSubjects(req, this.bind(call)));
  }
  writeRelationships(req: T.WriteRelationshipsRequest, call?: T.CallOptions) {
    return this.around('writeRelationships', () => this.inner.writeRelationships(req, this.bind(call)));
  }
  deleteRelationships(req: T.DeleteRelationshipsRequest, call?: T.CallOptions) {
    return this.around('deleteRelationships', () => this.inner.deleteRelationships(req, this.bind(call)));
  }
  readRelationships(req: T.ReadRelationshipsRequest, call?: T.CallOptions) {
    return this.around('readRelationships', () => this.inner.readRelationships(req, this.bind(call)));
  }
  importRelationships(lines: AsyncIterable<string>, signal?: AbortSignal) {
    return this.around('importRelationships', () => this.inner.importRelationships(lines, this.bindSignal(signal)));
  }
  exportRelationships(req: T.ExportRequest, signal?: AbortSignal) {
    return this.aroundStream('exportRelationships', () => this.inner.exportRelationships(req, this.bindSignal(signal)));
  }
  watch(req: T.WatchRequest, signal: AbortSignal) {
    return this.aroundStream('watch', () => this.inner.watch(req, this.bindSignal(signal) ?? signal));
  }
  writeSchema(req: T.WriteSchemaRequest, call?: T.CallOptions) {
    return this.around('writeSchema', () => this.inner.writeSchema(req, this.bind(call)));
  }
  readSchema(req: T.ReadSchemaRequest, call?: T.CallOptions) {
    return this.around('readSchema', () => this.inner.readSchema(req, this.bind(call)));
  }
  health() {
    return this.inner.health();
  }
  ready() {
    return this.inner.ready();
  }
}

/** How a stream ended, for the concerns that report it. */
export type StreamEnd = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'cancelled' };

/**
 * Runs `source` lazily, calling `begin` at the first pull (it may throw to refuse the stream) and
 * `end` exactly once however it stops: completed, failed, or abandoned by its consumer (`return()`).
 */
export async function* observeStream<R>(source: () => AsyncIterable<R>, begin: () => void, end: (how: StreamEnd) => void): AsyncGenerator<R> {
  begin();
  let how: StreamEnd = { kind: 'cancelled' };
  try {
    for await (const item of source()) yield item;
    how = { kind: 'done' };
  } catch (error) {
    how = { kind: 'failed', error };
    throw error;
  } finally {
    end(how);
  }
}
