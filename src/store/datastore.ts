/**
 * The Datastore is the source of truth: an MVCC relationship store with a stored schema and a change
 * feed. Every row carries the revision that created it and the revision that deleted it, so a read at
 * revision R sees exactly the state after the write numbered R. Async throughout so that networked
 * stores (PostgreSQL) implement the same interface as the embedded ones.
 *
 * The engine never reads a Datastore directly: it reads a GraphSnapshot (graph.ts) of the in-memory
 * relationship index, which is loaded from the store and kept current by its change feed.
 */
import type { RelationshipFilter } from '../core/filter.js';
import type { Relationship } from '../core/refs.js';
import type { Revision } from '../core/revision.js';

export type UpdateOperation = 'touch' | 'create' | 'delete';

export interface RelationshipUpdate {
  readonly operation: UpdateOperation;
  readonly relationship: Relationship;
}

export interface Precondition {
  /** `must_match`: at least one live relationship matches; `must_not_match`: none does. */
  readonly operation: 'must_match' | 'must_not_match';
  readonly filter: RelationshipFilter;
}

export interface WriteBatch {
  readonly updates: readonly RelationshipUpdate[];
  readonly preconditions?: readonly Precondition[];
}

export interface StoredSchema {
  readonly text: string;
  readonly hash: string;
  /** The revision the schema was written at. */
  readonly revision: Revision;
}

/** One committed change. `touch` means the relationship came into existence at this revision. */
export interface Change {
  readonly operation: 'touch' | 'delete';
  readonly relationship: Relationship;
}

/** Everything one revision committed, for the change feed. */
export interface RevisionChanges {
  readonly revision: Revision;
  readonly changes: readonly Change[];
  /** Set when this revision wrote the schema. */
  readonly schema?: StoredSchema;
}

export interface ReadOptions {
  /** At most this many relationships (the store may cap it). */
  readonly limit?: number;
  /** Resume after this relationship, in compareRelationships order (a page cursor). */
  readonly after?: Relationship;
}

export interface DeleteOptions {
  /** Delete at most this many; the result says whether more matched. */
  readonly limit?: number;
  readonly preconditions?: readonly Precondition[];
}

export interface DeleteResult {
  readonly revision: Revision;
  readonly deleted: number;
  /** True when `limit` stopped the delete before every match was gone. */
  readonly partial: boolean;
}

export type CommitHandler = (head: Revision, committed?: RevisionChanges) => void;

export interface Datastore {
  /** A stable id of this store (its data, not this process), carried in zookies. */
  readonly storeId: string;
  /** The newest committed revision. */
  headRevision(): Promise<Revision>;
  /** The oldest revision that can still be read; older history was garbage-collected. */
  oldestReadableRevision(): Promise<Revision>;
  /** The schema in force at `at`, if any. */
  readSchema(at: Revision): Promise<StoredSchema | undefined>;
  /** Stores a new schema text (already compiled and checked by the caller) at a new revision. */
  writeSchema(text: string, hash: string): Promise<Revision>;
  /**
   * Applies a batch atomically at one new revision: either every precondition holds and every update
   * applies, or nothing changes (PreconditionFailedError, RelationshipExistsError). A `touch` of an
   * existing relationship and a `delete` of a missing one are no-ops. Durable when the promise resolves.
   */
  write(batch: WriteBatch): Promise<Revision>;
  /** Deletes the live relationships matching `filter` at a new revision, atomically. */
  deleteRelationships(filter: RelationshipFilter, options?: DeleteOptions): Promise<DeleteResult>;
  /** One page of the relationships live at `at` that match `filter`, in compareRelationships order. */
  readRelationships(filter: RelationshipFilter, at: Revision, options?: ReadOptions): Promise<Relationship[]>;
  /** How many live relationships at `at` match `filter`. */
  countRelationships(filter: RelationshipFilter, at: Revision): Promise<number>;
  /**
   * Touches the relationships of each batch at a new revision of its own, as `write` would (each batch
   * names a relationship at most once; a later batch naming it again is a no-op), and resolves with
   * the last revision written, or undefined when there was no batch. When `batches` throws, the
   * batches it yielded before are written and the error is rethrown. A store may commit several
   * batches in one transaction (SQLite does, into an empty store): a crash then loses all of them, and
   * running the import again redoes them.
   */
  importRelationships(batches: AsyncIterable<readonly Relationship[]>): Promise<Revision | undefined>;
  /**
   * The committed revisions after `after`, oldest first, at most `limit` of them. With `maxChanges`,
   * the answer stops after the first revision that brings its changes to that many (so a caller can
   * bound its memory): an answer of fewer than `limit` revisions with fewer than `maxChanges` changes
   * is the end of the feed.
   */
  changesSince(after: Revision, limit?: number, maxChanges?: number): Promise<RevisionChanges[]>;
  /**
   * Registers a wake-up called after this store sees a new head (its own commits; a networked store also
   * other processes' commits). A hint only: readers must still call changesSince. Returns an unsubscribe.
   * `committed`, when given, is what this process just committed at `head` (the store's own write or
   * schema write, not a delete by filter): applying it to an index at `head - 1` gives the same state as
   * applying the feed's entry for `head`, so a follower may skip reading it back.
   */
  onCommit(listener: CommitHandler): () => void;
  /** Drops history (deleted rows, old schemas) no longer visible at revisions >= `before`. Returns rows removed. */
  collectGarbage(before: Revision): Promise<number>;
  close(): Promise<void>;
}
