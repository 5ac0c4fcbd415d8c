/**
 * This process's view of the store: the in-memory relationship index the engine reads, the schema
 * history, and the follower that keeps both current from the store's change feed.
 *
 * At start the index is loaded with the state at one revision and the feed is applied from there:
 * reads at older revisions are refused (`loadedAt`). By default that revision is the oldest the store
 * keeps, so every revision in the GC window stays exact (what replicas over PostgreSQL need, where a
 * client may take a zookie from one replica to another). A store that can read its head in one pass
 * (SQLite: `snapshot`) starts there instead: a million relationships imported in a thousand
 * revisions then load in one scan rather than a thousand feed reads, and history starts at the start.
 *
 * The feed lists every committed revision, empty ones included, so the applied head only ever moves to
 * a revision whose changes were applied, in order, none skipped. This process's own commits are handed
 * over by the store as they commit (onCommit's `committed`) and applied without reading them back when
 * they are next in line; anything else (other processes, deletes by filter, a gap) is read from the
 * feed. A lost wake-up loses nothing: the next catch-up reads from the applied head, and
 * `waitForRevision` polls the store while it waits.
 */
import { compileSchemaOrThrow } from '../schema/compiler.js';
import type { CompiledSchema } from '../schema/compiled.js';
import { DeadlineExceededError, RevisionUnavailableError } from '../core/errors.js';
import type { Revision } from '../core/revision.js';
import type { Relationship } from '../core/refs.js';
import type { Datastore, RevisionChanges } from '../store/datastore.js';
import type { GraphSnapshot } from '../store/graph.js';
import { readAllRelationships } from '../store/read-all.js';

/** The part of the in-memory index the replica drives. */
export interface FollowedIndex {
  readonly head: Revision;
  /** Relationships live at the head (for the relationship-count metric). */
  readonly liveCount: number;
  apply(changes: RevisionChanges): void;
  /** Bulk-loads the state at `at` into an empty index. */
  load(relationships: Iterable<Relationship>, at: Revision): number;
  snapshot(revision: Revision): GraphSnapshot;
}

/** Every relationship live at one revision, page by page: what start-up loads. */
export interface StartSnapshot {
  readonly revision: Revision;
  readonly pages: Iterable<readonly Relationship[]> | AsyncIterable<readonly Relationship[]>;
}

export interface SchemaVersion {
  readonly revision: Revision;
  readonly text: string;
  readonly hash: string;
  readonly schema: CompiledSchema;
}

export interface ReplicaOptions {
  /** True when the datastore itself updates `index` on commit (the memory store): only follow the schema. */
  sharedIndex?: boolean;
  /**
   * The state start-up loads (SQLite reads its head in one pass over its table). By default: keyset
   * pages of readRelationships at the oldest revision the store keeps.
   */
  snapshot?: () => StartSnapshot | Promise<StartSnapshot>;
  /** How many revisions to read from the change feed per round trip. */
  batchRevisions?: number;
  /** How many changes at most to hold from one read of the feed (an import's revisions are large). */
  batchChanges?: number;
  /** Told about a background catch-up that failed (it is retried at the next wake-up). */
  onError?: (error: unknown) => void;
}

/** Hand-overs kept while the feed is behind them; past this the feed is read instead. */
const MAX_HANDED = 64;

export class Replica {
  private readonly schemas: SchemaVersion[] = [];
  private readonly compiled = new Map<string, CompiledSchema>();
  private appliedHead: Revision = 0;
  private startRevision: Revision = 0;
  private catching: Promise<void> | undefined;
  private again = false;
  private readonly waiters = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  /** Revisions this process committed, handed over by the store, not applied yet. */
  private readonly handed = new Map<Revision, RevisionChanges>();
  /** The newest head the store announced. */
  private knownHead: Revision = 0;
  /** Set when the next catch-up must read the feed even if the hand-overs fill every known gap. */
  private feedWanted = false;
  /** Wake-ups wait until start-up has loaded the index (apply before load would be refused). */
  private loaded = false;

  constructor(
    readonly datastore: Datastore,
    readonly index: FollowedIndex,
    private readonly options: ReplicaOptions = {},
  ) {}

  /** Loads the start-up state (see the file's comment), then catches up with the feed. */
  async start(): Promise<void> {
    this.unsubscribe = this.datastore.onCommit((head, committed) => this.committed(head, committed));
    if (this.options.sharedIndex) {
      const oldest = await this.datastore.oldestReadableRevision();
      await this.startAt(oldest);
    } else {
      const snapshot = await (this.options.snapshot?.() ?? this.readSnapshot());
      await this.startAt(snapshot.revision);
      this.index.load([], snapshot.revision);
      for await (const page of snapshot.pages) this.index.load(page, snapshot.revision);
    }
    this.loaded = true;
    await this.catchUp();
  }

  private async readSnapshot(): Promise<StartSnapshot> {
    const revision = await this.datastore.oldestReadableRevision();
    return { revision, pages: readAllRelationships(this.datastore, {}, revision) };
  }

  private async startAt(revision: Revision): Promise<void> {
    if (revision > 0) {
      const schema = await this.datastore.readSchema(revision);
      if (schema) this.addSchema(schema.revision, schema.text, schema.hash);
    }
    this.appliedHead = this.startRevision = revision;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.handed.clear();
    for (const w of this.waiters) w();
  }

  /** The newest revision this process has applied: reads at or below it are answered from memory. */
  get head(): Revision {
    return this.appliedHead;
  }

  /** The revision the index was loaded at when this process started: older reads are refused. */
  get loadedAt(): Revision {
    return this.startRevision;
  }

  private committed(head: Revision, committed: RevisionChanges | undefined): void {
    if (head > this.knownHead) this.knownHead = head;
    if (committed !== undefined && !this.options.sharedIndex && committed.revision > this.appliedHead) {
      if (this.handed.size >= MAX_HANDED) this.handed.clear();
      this.handed.set(committed.revision, committed);
    }
    if (this.loaded) this.catchUpInBackground(false);
  }

  /**
   * A wake-up's catch-up: a failure (the database is unreachable) is reported and left for the next
   * wake-up or wait to retry, never an unhandled rejection that would end the process.
   */
  private catchUpInBackground(readFeed: boolean): void {
    this.run(readFeed).catch((e: unknown) => this.options.onError?.(e));
  }

  /** Reads the change feed until the index holds the store's head. Concurrent callers share one run. */
  catchUp(): Promise<void> {
    return this.run(true);
  }

  private run(readFeed: boolean): Promise<void> {
    if (readFeed) this.feedWanted = true;
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again);
      } finally {
        this.catching = undefined;
      }
    })();
    return this.catching;
  }

  private async drain(): Promise<void> {
    const before = this.appliedHead;
    const limit = this.options.batchRevisions ?? 1000;
    const maxChanges = this.options.batchChanges ?? 50_000;
    this.applyHanded();
    while (this.feedWanted || this.appliedHead < this.knownHead) {
      this.feedWanted = false;
      const batch = await this.datastore.changesSince(this.appliedHead, limit, maxChanges);
      let changes = 0;
      for (const rc of batch) {
        changes += rc.changes.length;
        if (rc.revision > this.appliedHead) this.applyOne(rc);
      }
      this.applyHanded();
      // A full answer may not be the end of the feed.
      if (batch.length >= limit || changes >= maxChanges) this.feedWanted = true;
      else if (this.appliedHead < this.knownHead) break; // announced but not in the feed yet: the next wake-up
    }
    // Only progress wakes the waiters: a waiter woken by a catch-up that found nothing would start the
    // next catch-up at once, and with a store that answers without I/O (memory, SQLite) that loop never
    // yields to the event loop until the wait times out, stalling every other request meanwhile.
    if (this.appliedHead !== before) for (const w of [...this.waiters]) w();
  }

  /** Applies the hand-overs that are next in line, and forgets those the feed has already applied. */
  private applyHanded(): void {
    for (let rc = this.handed.get(this.appliedHead + 1); rc !== undefined; rc = this.handed.get(this.appliedHead + 1)) {
      this.handed.delete(rc.revision);
      this.applyOne(rc);
    }
    for (const rev of this.handed.keys()) if (rev <= this.appliedHead) this.handed.delete(rev);
  }

  private applyOne(rc: RevisionChanges): void {
    if (!this.options.sharedIndex && rc.revision > this.index.head) this.index.apply(rc);
    if (rc.schema) this.addSchema(rc.schema.revision, rc.schema.text, rc.schema.hash);
    this.appliedHead = rc.revision;
  }

  private addSchema(revision: Revision, text: string, hash: string): void {
    const last = this.schemas[this.schemas.length - 1];
    if (last && last.revision >= revision) return;
    this.schemas.push({ revision, text, hash, schema: this.compile(text, hash) });
  }

  private compile(text: string, hash: string): CompiledSchema {
    let schema = this.compiled.get(hash);
    if (!schema) {
      schema = compileSchemaOrThrow(text);
      this.compiled.set(hash, schema);
    }
    return schema;
  }

  /** The schema in force at `revision`, or undefined if none was written by then. */
  schemaAt(revision: Revision): SchemaVersion | undefined {
    let lo = 0;
    let hi = this.schemas.length - 1;
    let found: SchemaVersion | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.schemas[mid]!;
      if (s.revision <= revision) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Waits (bounded) until this process has applied `revision`. An abort of `signal` (the caller went
   * away, or its deadline passed) ends the wait at once with DeadlineExceededError.
   */
  async waitForRevision(revision: Revision, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.appliedHead >= revision) return;
    const deadline = Date.now() + timeoutMs;
    while (this.appliedHead < revision) {
      if (signal?.aborted) throw new DeadlineExceededError();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RevisionUnavailableError(
          `revision ${revision} is not available yet on this server (it has applied ${this.appliedHead}); retry, or check the zookie came from this store`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        // Poll too: a networked store's wake-up can be lost.
        const timer = setTimeout(done, Math.min(left, 50));
        this.waiters.add(done);
        this.catchUpInBackground(true);
      });
    }
  }
}
