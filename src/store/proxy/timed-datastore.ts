/**
 * A Datastore decorator that times every query and write, whatever the store behind it. It reports to a
 * small interface, so the store layer stays free of any metrics library: the composition root decides
 * where the timings go (server/metrics.ts feeds a Prometheus histogram).
 */
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import type { CommitHandler, Datastore, DeleteOptions, DeleteResult, ReadOptions, RevisionChanges, StoredSchema, WriteBatch } from '../datastore.js';

export interface DatastoreTimer {
  /** One finished call: the Datastore method, its duration and whether it succeeded. */
  observe(method: string, seconds: number, ok: boolean): void;
}

export class TimedDatastore implements Datastore {
  constructor(
    private readonly inner: Datastore,
    private readonly timer: DatastoreTimer,
  ) {}

  get storeId(): string {
    return this.inner.storeId;
  }

  headRevision(): Promise<Revision> {
    return this.time('headRevision', () => this.inner.headRevision());
  }
  oldestReadableRevision(): Promise<Revision> {
    return this.time('oldestReadableRevision', () => this.inner.oldestReadableRevision());
  }
  readSchema(at: Revision): Promise<StoredSchema | undefined> {
    return this.time('readSchema', () => this.inner.readSchema(at));
  }
  writeSchema(text: string, hash: string): Promise<Revision> {
    return this.time('writeSchema', () => this.inner.writeSchema(text, hash));
  }
  write(batch: WriteBatch): Promise<Revision> {
    return this.time('write', () => this.inner.write(batch));
  }
  deleteRelationships(filter: RelationshipFilter, options?: DeleteOptions): Promise<DeleteResult> {
    return this.time('deleteRelationships', () => this.inner.deleteRelationships(filter, options));
  }
  readRelationships(filter: RelationshipFilter, at: Revision, options?: ReadOptions): Promise<Relationship[]> {
    return this.time('readRelationships', () => this.inner.readRelationships(filter, at, options));
  }
  countRelationships(filter: RelationshipFilter, at: Revision): Promise<number> {
    return this.time('countRelationships', () => this.inner.countRelationships(filter, at));
  }
  importRelationships(batches: AsyncIterable<readonly Relationship[]>): Promise<Revision | undefined> {
    return this.time('importRelationships', () => this.inner.importRelationships(batches));
  }
  changesSince(after: Revision, limit?: number, maxChanges?: number): Promise<RevisionChanges[]> {
    return this.time('changesSince', () => this.inner.changesSince(after, limit, maxChanges));
  }
  onCommit(listener: CommitHandler): () => void {
    return this.inner.onCommit(listener);
  }
  collectGarbage(before: Revision): Promise<number> {
    return this.time('collectGarbage', () => this.inner.collectGarbage(before));
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private async time<T>(method: string, f: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const r = await f();
      ok = true;
      return r;
    } finally {
      this.timer.observe(method, (performance.now() - start) / 1000, ok);
    }
  }
}
