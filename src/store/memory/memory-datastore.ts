/**
 * An in-process Datastore for tests and development: the RelationshipIndex is the data, plus the schema
 * history and a log of each revision's effective changes (for changesSince). Nothing survives the
 * process. Every write runs to completion synchronously inside one call, so batches are atomic and
 * commit order is revision order without any locking.
 */
import { randomUUID } from 'node:crypto';
import { RelationshipExistsError, UnavailableError } from '../../core/errors.js';
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import { formatRelationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import { REVISION_ZERO } from '../../core/revision.js';
import type {
  Change,
  Datastore,
  DeleteOptions,
  DeleteResult,
  ReadOptions,
  RevisionChanges,
  StoredSchema,
  WriteBatch,
} from '../datastore.js';
import { RelationshipIndex } from '../relationship-index.js';
import { assertNoDuplicates, checkLimit, checkPreconditions, checkReadable, normalizeRelationship } from '../write-checks.js';
import { importByWrites } from '../import-by-writes.js';

export interface MemoryDatastoreOptions {
  /** Defaults to a random UUID: zookies from another instance are refused. */
  storeId?: string;
}

export class MemoryDatastore implements Datastore {
  readonly storeId: string;
  /** The index the engine reads: kept current by this store at every commit, so no copy is needed. */
  readonly index = new RelationshipIndex();
  private oldest: Revision = REVISION_ZERO;
  private readonly schemas: StoredSchema[] = [];
  /** One entry per revision in (oldest, head], in order. */
  private log: RevisionChanges[] = [];
  private readonly listeners = new Set<(head: Revision) => void>();
  private closed = false;

  constructor(options: MemoryDatastoreOptions = {}) {
    this.storeId = options.storeId ?? randomUUID();
  }

  private get head(): Revision {
    return this.index.head;
  }

  async headRevision(): Promise<Revision> {
    this.assertOpen();
    return this.head;
  }

  async oldestReadableRevision(): Promise<Revision> {
    this.assertOpen();
    return this.oldest;
  }

  async readSchema(at: Revision): Promise<StoredSchema | undefined> {
    this.assertOpen();
    checkReadable(at, this.oldest, this.head);
    for (let i = this.schemas.length - 1; i >= 0; i--) if (this.schemas[i]!.revision <= at) return this.schemas[i];
    return undefined;
  }

  async writeSchema(text: string, hash: string): Promise<Revision> {
    this.assertOpen();
    const revision = this.head + 1;
    const schema: StoredSchema = Object.freeze({ text, hash, revision });
    this.schemas.push(schema);
    this.commit({ revision, changes: [], schema });
    return revision;
  }

  async write(batch: WriteBatch): Promise<Revision> {
    this.assertOpen();
    const head = this.head;
    assertNoDuplicates(batch.updates);
    checkPreconditions(batch.preconditions, (f) => this.index.hasMatch(head, f));
    const changes: Change[] = [];
    for (const u of batch.updates) {
      const relationship = normalizeRelationship(u.relationship);
      const exists = this.index.contains(relationship, head);
      if (u.operation === 'delete') {
        if (exists) changes.push({ operation: 'delete', relationship });
      } else if (!exists) {
        changes.push({ operation: 'touch', relationship });
      } else if (u.operation === 'create') {
        throw new RelationshipExistsError(formatRelationship(relationship));
      }
    }
    const revision = head + 1;
    this.commit({ revision, changes });
    return revision;
  }

  async deleteRelationships(filter: RelationshipFilter, options: DeleteOptions = {}): Promise<DeleteResult> {
    this.assertOpen();
    checkLimit(options.limit, 'delete limit');
    const head = this.head;
    checkPreconditions(options.preconditions, (f) => this.index.hasMatch(head, f));
    const limit = options.limit ?? Infinity;
    const changes: Change[] = [];
    let partial = false;
    for (const relationship of this.index.iterate(head, filter)) {
      if (changes.length >= limit) {
        partial = true;
        break;
      }
      changes.push({ operation: 'delete', relationship });
    }
    const revision = head + 1;
    this.commit({ revision, changes });
    return { revision, deleted: changes.length, partial };
  }

  async readRelationships(filter: RelationshipFilter, at: Revision, options: ReadOptions = {}): Promise<Relationship[]> {
    this.assertOpen();
    checkReadable(at, this.oldest, this.head);
    checkLimit(options.limit, 'read limit');
    return this.index.read(at, filter, options);
  }

  async countRelationships(filter: RelationshipFilter, at: Revision): Promise<number> {
    this.assertOpen();
    checkReadable(at, this.oldest, this.head);
    return this.index.count(at, filter);
  }

  importRelationships(batches: AsyncIterable<readonly Relationship[]>): Promise<Revision | undefined> {
    return importByWrites((b) => this.write(b), batches);
  }

  async changesSince(after: Revision, limit?: number): Promise<RevisionChanges[]> {
    this.assertOpen();
    checkReadable(after, this.oldest, this.head);
    checkLimit(limit, 'changes limit');
    const start = after - this.oldest;
    return this.log.slice(start, limit === undefined ? undefined : start + limit);
  }

  onCommit(listener: (head: Revision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async collectGarbage(before: Revision): Promise<number> {
    this.assertOpen();
    const horizon = Math.min(before, this.head);
    if (horizon <= this.oldest) return 0;
    const removed = this.index.collectGarbage(horizon);
    this.log = this.log.slice(horizon - this.oldest);
    // Keep the schema in force at the horizon and every later one.
    let keepFrom = 0;
    for (let i = 0; i < this.schemas.length; i++) if (this.schemas[i]!.revision <= horizon) keepFrom = i;
    this.schemas.splice(0, keepFrom);
    this.oldest = horizon;
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  private commit(rc: RevisionChanges): void {
    const frozen: RevisionChanges = Object.freeze({ ...rc, changes: Object.freeze(rc.changes) });
    this.index.apply(frozen);
    this.log.push(frozen);
    for (const listener of [...this.listeners]) {
      try {
        listener(rc.revision);
      } catch (e) {
        // A wake-up hint must not fail the write that has already committed.
        process.emitWarning(`onCommit listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('the datastore is closed');
  }
}
