/**
 * The embedded default Datastore: one SQLite file (better-sqlite3, WAL, synchronous=FULL, so a write
 * whose promise resolved survives kill -9).
 *
 * Revisions are dense: each write inserts max(rev) + 1 into `revisions` inside a BEGIN IMMEDIATE
 * transaction, which holds SQLite's single write lock from the head read to the commit, so commit order
 * is revision order even with several processes on one file. better-sqlite3 is synchronous, so each
 * write is one synchronous transaction: nothing is awaited inside it (an await would commit early).
 * onCommit hears this instance's commits only (with what they committed, so that this process's
 * replica need not read it back); other processes writing the same file are seen by changesSince, not
 * announced. An import into an empty store takes a path of its own (bulk-import.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { RelationshipExistsError, UnavailableError } from '../../core/errors.js';
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import { formatRelationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import type {
  Change,
  CommitHandler,
  Datastore,
  DeleteOptions,
  DeleteResult,
  Precondition,
  ReadOptions,
  RelationshipUpdate,
  RevisionChanges,
  StoredSchema,
  WriteBatch,
} from '../datastore.js';
import { assertNoDuplicates, checkLimit, checkPreconditions, checkReadable } from '../write-checks.js';
import { bulkImportIntoEmpty } from './bulk-import.js';
import { busyAsUnavailable } from './busy.js';
import type { SchemaRow } from './change-feed.js';
import { ChangeFeed, scanLive, schemaOf } from './change-feed.js';
import type { FilterSql, Params, RelationshipRow } from './filter-sql.js';
import { COLUMNS, LIVE, filterSql, keyParams, rowToRelationship } from './filter-sql.js';
import { migrate } from './migrations.js';
import { importByWrites } from '../import-by-writes.js';

export interface SqliteDatastoreOptions {
  /** The store id of a new file (random by default); an existing file keeps its own. */
  storeId?: string;
  /** How long a write waits for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Rows deleted per transaction by collectGarbage (default 5000). */
  gcBatchSize?: number;
  /**
   * SQLite page cache of the serving connection, in MiB (default 16): enough for the inner pages of
   * every index; it is resident memory once filled. Imports into an empty store and the start-up scan
   * use connections of their own.
   */
  cacheSizeMiB?: number;
  /** The page cache of an import into an empty store, in MiB (default 128): its index builds sort in it. */
  importCacheSizeMiB?: number;
  /** How long an import into an empty store waits for a batch before committing what it has (default 1000 ms). */
  importStallMs?: number;
}

/** A snapshot of every relationship live at one revision, read page by page (for start-up). */
export interface LiveSnapshot {
  readonly revision: Revision;
  readonly pages: Iterable<readonly Relationship[]>;
}

type Key = [string, string, string, string, string, string];

/** Rows per page of the start-up scan. */
const SCAN_CHUNK_ROWS = 10_000;
/** The start-up scan reads each page once: a small cache of its own keeps the pages out of the server's. */
const SCAN_CACHE_KIB = 2048;

export class SqliteDatastore implements Datastore {
  readonly storeId: string;
  private readonly db: Database;
  private readonly listeners = new Set<CommitHandler>();
  private readonly cache = new Map<string, Statement>();
  private readonly gcBatchSize: number;
  private readonly busyTimeoutMs: number;
  private readonly importCacheKiB: number;
  private readonly importStallMs: number | undefined;
  private readonly feed: ChangeFeed;
  private closed = false;
  /** A file, not ':memory:' (or '', a private temporary one): other connections can open it. */
  private readonly fileBacked: boolean;
  /** An import into an empty store holding the write lock on its own connection; writes wait for it. */
  private bulk: Promise<unknown> | undefined;

  private readonly sHead: Statement<[], { head: number }>;
  private readonly sOldest: Statement<[], { value: string }>;
  private readonly sSetOldest: Statement<[string]>;
  private readonly sInsertRev: Statement<[number, number]>;
  private readonly sTouch: Statement<[...Key, number]>;
  private readonly sCreate: Statement<[...Key, number]>;
  private readonly sDelete: Statement<[number, ...Key]>;
  private readonly sExistsLive: Statement<Key, { x: number }>;
  private readonly sReadSchema: Statement<[number], SchemaRow>;
  private readonly sInsertSchema: Statement<[number, string, string]>;
  private readonly sGcRows: Statement<[number, number]>;
  private readonly sAnyRow: Statement<[], { x: number }>;

  /** Opens (creating if needed, with parent directories) a database file, or ':memory:'. */
  constructor(
    private readonly path: string,
    options: SqliteDatastoreOptions = {},
  ) {
    this.fileBacked = path !== ':memory:' && path !== '';
    if (this.fileBacked) mkdirSync(dirname(path), { recursive: true });
    this.db = new Sqlite(path);
    this.gcBatchSize = options.gcBatchSize ?? 5000;
    this.busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
    this.importCacheKiB = 1024 * Math.max(1, Math.floor(options.importCacheSizeMiB ?? 128));
    this.importStallMs = options.importStallMs;
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`cache_size = ${-1024 * Math.max(1, Math.floor(options.cacheSizeMiB ?? 16))}`);
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      this.storeId = migrate(this.db, options.storeId);
      // Gathers planner statistics when they are missing or stale; without them SQLite may pick the
      // key index for a subject lookup. Sampled: a full ANALYZE reads every index of the file.
      this.db.pragma('analysis_limit = 1000');
      this.db.pragma('optimize = 0x10002');
    } catch (e) {
      this.db.close();
      throw e;
    }
    const db = this.db;
    this.sHead = db.prepare('SELECT coalesce(max(rev), 0) AS head FROM revisions');
    this.sOldest = db.prepare("SELECT value FROM metadata WHERE key = 'oldest_revision'");
    this.sSetOldest = db.prepare("UPDATE metadata SET value = ? WHERE key = 'oldest_revision'");
    this.sInsertRev = db.prepare('INSERT INTO revisions (rev, committed_at) VALUES (?, ?)');
    const insert = `INSERT INTO relationships (${COLUMNS}, created_rev) VALUES (?, ?, ?, ?, ?, ?, ?)`;
    this.sTouch = db.prepare(`${insert} ON CONFLICT (${COLUMNS}, deleted_rev) DO NOTHING`);
    this.sCreate = db.prepare(insert);
    const keyMatch =
      `resource_type = ? AND resource_id = ? AND relation = ? AND subject_type = ? AND subject_id = ? AND subject_relation = ? AND ${LIVE}`;
    this.sDelete = db.prepare(`UPDATE relationships SET deleted_rev = ? WHERE ${keyMatch}`);
    this.sExistsLive = db.prepare(`SELECT 1 AS x FROM relationships WHERE ${keyMatch}`);
    this.sReadSchema = db.prepare('SELECT rev, text, hash FROM schemas WHERE rev <= ? ORDER BY rev DESC LIMIT 1');
    this.sInsertSchema = db.prepare('INSERT INTO schemas (rev, text, hash) VALUES (?, ?, ?)');
    // `deleted_rev > 0` lets SQLite use the partial index of deleted rows.
    this.sGcRows = db.prepare(
      'DELETE FROM relationships WHERE id IN (SELECT id FROM relationships WHERE deleted_rev > 0 AND deleted_rev <= ? LIMIT ?)',
    );
    this.sAnyRow = db.prepare('SELECT 1 AS x FROM relationships LIMIT 1');
    this.feed = new ChangeFeed(db);
  }

  async headRevision(): Promise<Revision> {
    this.assertOpen();
    return this.head();
  }

  async oldestReadableRevision(): Promise<Revision> {
    this.assertOpen();
    return this.oldest();
  }

  async readSchema(at: Revision): Promise<StoredSchema | undefined> {
    return this.read(at, () => {
      const row = this.sReadSchema.get(at);
      return row && schemaOf(row);
    });
  }

  async writeSchema(text: string, hash: string): Promise<Revision> {
    return this.commit(
      () => {
        const rev = this.nextRevision();
        this.sInsertSchema.run(rev, text, hash);
        return rev;
      },
      (revision) => ({ revision, changes: [], schema: { text, hash, revision } }),
    );
  }

  async write(batch: WriteBatch): Promise<Revision> {
    assertNoDuplicates(batch.updates);
    return this.commit(
      () => {
        this.checkPreconditions(batch.preconditions);
        const rev = this.nextRevision();
        for (const u of batch.updates) {
          const key = keyParams(u.relationship);
          if (u.operation === 'delete') {
            this.sDelete.run(rev, ...key);
          } else if (u.operation === 'touch') {
            this.sTouch.run(...key, rev);
          } else {
            try {
              this.sCreate.run(...key, rev);
            } catch (e) {
              if (isUniqueViolation(e)) throw new RelationshipExistsError(formatRelationship(u.relationship));
              throw e;
            }
          }
        }
        return rev;
      },
      (revision) => ({ revision, changes: changesOf(batch.updates) }),
    );
  }

  /**
   * Into an empty file-backed store, every batch in one transaction (bulk-import.ts); otherwise, or
   * when another writer got there first, one `write` per batch.
   */
  async importRelationships(batches: AsyncIterable<readonly Relationship[]>): Promise<Revision | undefined> {
    this.assertOpen();
    const it = batches[Symbol.asyncIterator]();
    try {
      let next = await it.next();
      while (!next.done && next.value.length === 0) next = await it.next();
      if (next.done) return undefined;
      let batch: readonly Relationship[] | undefined = next.value;
      let last: Revision | undefined;
      if (this.fileBacked && this.sAnyRow.get() === undefined) {
        // Another import into the empty store may be running: this one then finds it not empty.
        await this.gate();
        const options = {
          path: this.path,
          busyTimeoutMs: this.busyTimeoutMs,
          cacheKiB: this.importCacheKiB,
          stallMs: this.importStallMs,
          closing: () => this.closed,
        };
        const running = bulkImportIntoEmpty(options, batch, it);
        this.bulk = running.catch(() => undefined);
        let result;
        try {
          result = await running;
        } finally {
          this.bulk = undefined;
        }
        if (result !== undefined) {
          last = result.last;
          this.notify(last);
          if (result.failure !== undefined) throw result.failure;
          if (result.pending === undefined) return last;
          next = await result.pending;
          batch = next.done ? undefined : next.value;
        }
      }
      if (batch === undefined) return last;
      return (await importByWrites((b) => this.write(b), startingWith(batch, it))) ?? last;
    } finally {
      // As `for await` would: a failure must not leave the caller's source (a request body) open.
      // Not awaited: a read in flight on a slow client would hold the error back until it ends.
      it.return?.()?.catch(() => undefined);
    }
  }

  async deleteRelationships(filter: RelationshipFilter, options: DeleteOptions = {}): Promise<DeleteResult> {
    checkLimit(options.limit, 'delete limit');
    return this.commit(() => {
      this.checkPreconditions(options.preconditions);
      const revision = this.nextRevision();
      const f = filterSql(filter, 'live');
      const params = { ...f.params, drev: revision };
      if (options.limit === undefined) {
        const deleted = this.stmt(`del:${f.shape}`, () => `UPDATE relationships SET deleted_rev = @drev WHERE ${f.where}`)
          .run(params).changes;
        return { revision, deleted, partial: false };
      }
      const deleted = this.stmt(
        `dell:${f.shape}`,
        () => `UPDATE relationships SET deleted_rev = @drev WHERE id IN
                 (SELECT id FROM relationships WHERE ${f.where} ORDER BY ${COLUMNS} LIMIT @lim)`,
      ).run({ ...params, lim: options.limit }).changes;
      return { revision, deleted, partial: this.exists(f) };
    });
  }

  async readRelationships(filter: RelationshipFilter, at: Revision, options: ReadOptions = {}): Promise<Relationship[]> {
    checkLimit(options.limit, 'read limit');
    return this.read(at, (head) => {
      const f = filterSql(filter, at === head ? 'live' : 'at', at, options.after);
      const limit = options.limit === undefined ? -1 : options.limit;
      const rows = this.stmt(`read:${f.shape}`, () => `SELECT ${COLUMNS} FROM relationships WHERE ${f.where} ORDER BY ${COLUMNS} LIMIT @lim`)
        .all({ ...f.params, lim: limit }) as RelationshipRow[];
      return rows.map(rowToRelationship);
    });
  }

  async countRelationships(filter: RelationshipFilter, at: Revision): Promise<number> {
    return this.read(at, (head) => {
      const f = filterSql(filter, at === head ? 'live' : 'at', at);
      const row = this.stmt(`count:${f.shape}`, () => `SELECT count(*) AS n FROM relationships WHERE ${f.where}`).get(f.params) as {
        n: number;
      };
      return row.n;
    });
  }

  async changesSince(after: Revision, limit?: number, maxChanges?: number): Promise<RevisionChanges[]> {
    checkLimit(limit, 'changes limit');
    return this.read(after, () => this.feed.changesSince(after, limit, maxChanges));
  }

  /**
   * Every relationship live at the head, page by page in one pass over the table, read on a connection
   * of its own (closed at the end) so that the pages do not stay in the serving connection's cache.
   */
  snapshotLive(): LiveSnapshot {
    this.assertOpen();
    const revision = this.head();
    return { revision, pages: this.livePages(revision) };
  }

  private *livePages(revision: Revision): Generator<Relationship[]> {
    const db = this.fileBacked ? new Sqlite(this.path, { readonly: true, fileMustExist: true }) : this.db;
    try {
      if (this.fileBacked) db.pragma(`cache_size = ${-SCAN_CACHE_KIB}`);
      for (const page of scanLive(db, revision, SCAN_CHUNK_ROWS)) {
        this.assertOpen();
        yield page;
      }
      // Rows visible at `revision` are only collected once the oldest readable revision passes it.
      checkReadable(revision, this.oldest(), this.head());
    } finally {
      if (this.fileBacked) db.close();
    }
  }

  onCommit(listener: CommitHandler): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Moves the oldest readable revision up first (so no reader starts below it), then deletes the rows
   * that only older revisions could see, in bounded transactions that let other work run in between.
   */
  async collectGarbage(before: Revision): Promise<number> {
    if (this.bulk !== undefined) await this.gate();
    this.assertOpen();
    const horizon = this.tx(() => {
      const h = Math.min(before, this.head());
      if (h > this.oldest()) this.sSetOldest.run(String(h));
      return this.oldest();
    }, true);
    let removed = 0;
    for (;;) {
      const n = this.tx(() => this.sGcRows.run(horizon, this.gcBatchSize).changes, true);
      removed += n;
      if (n < this.gcBatchSize) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.bulk !== undefined) await this.gate();
      this.assertOpen();
    }
    if (this.bulk !== undefined) await this.gate();
    this.assertOpen();
    this.tx(() => {
      // Keep the horizon's own revision row, and the schema in force at the horizon.
      this.db.prepare('DELETE FROM revisions WHERE rev < ?').run(horizon);
      this.db
        .prepare('DELETE FROM schemas WHERE rev < (SELECT coalesce(max(rev), 0) FROM schemas WHERE rev <= ?)')
        .run(horizon);
    }, true);
    return removed;
  }

  /** The newest revision committed at or before `time` (for a GC window given as a duration). */
  async revisionAt(time: Date): Promise<Revision> {
    this.assertOpen();
    const r = this.db.prepare<[number], { rev: number | null }>('SELECT max(rev) AS rev FROM revisions WHERE committed_at <= ?').get(time.getTime());
    return r?.rev ?? this.oldest();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An import in progress sees `closed` at its next batch and rolls back.
    await this.bulk;
    this.listeners.clear();
    this.cache.clear();
    this.db.close();
  }

  // ---- internals ----

  private head(): Revision {
    return this.sHead.get()!.head;
  }

  private oldest(): Revision {
    return Number(this.sOldest.get()?.value ?? 0);
  }

  private nextRevision(): Revision {
    const rev = this.head() + 1;
    this.sInsertRev.run(rev, Date.now());
    return rev;
  }

  private checkPreconditions(preconditions: readonly Precondition[] | undefined): void {
    checkPreconditions(preconditions, (filter) => this.exists(filterSql(filter, 'live')));
  }

  private exists(f: FilterSql): boolean {
    return this.stmt(`exists:${f.shape}`, () => `SELECT 1 FROM relationships WHERE ${f.where} LIMIT 1`).get(f.params) !== undefined;
  }

  /** Whether a relationship is live now (used by tests and tools; writes rely on the unique index). */
  contains(relationship: Relationship): boolean {
    this.assertOpen();
    return this.sExistsLive.get(...keyParams(relationship)) !== undefined;
  }

  private stmt(key: string, sql: () => string): Statement<[Params]> {
    let s = this.cache.get(key);
    if (!s) {
      s = this.db.prepare(sql());
      this.cache.set(key, s);
    }
    return s as Statement<[Params]>;
  }

  /** A read at one revision, in one read transaction so that head, oldest and rows agree. */
  private read<T>(at: Revision, fn: (head: Revision) => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(
        this.tx(() => {
          const head = this.head();
          checkReadable(at, this.oldest(), head);
          return fn(head);
        }, false),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A write transaction (BEGIN IMMEDIATE); listeners hear of it once it has committed, with what
   * `committed` says it wrote. Waits while a bulk import holds the write lock: taking it here would
   * block the whole process in SQLite's busy handler, and the import with it.
   */
  private async commit<T extends Revision | DeleteResult>(fn: () => T, committed?: (revision: Revision) => RevisionChanges): Promise<T> {
    // Without an import the transaction runs within the call, as it always did.
    if (this.bulk !== undefined) await this.gate();
    this.assertOpen();
    const result = this.tx(fn, true);
    const revision = typeof result === 'number' ? result : (result as DeleteResult).revision;
    this.notify(revision, committed?.(revision));
    return result;
  }

  /** Resolves once no bulk import holds the write lock. */
  private async gate(): Promise<void> {
    while (this.bulk !== undefined) await this.bulk;
  }

  private tx<T>(fn: () => T, write: boolean): T {
    const t = this.db.transaction(fn);
    try {
      return write ? t.immediate() : t.deferred();
    } catch (e) {
      throw busyAsUnavailable(e);
    }
  }

  private notify(head: Revision, committed?: RevisionChanges): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(head, committed);
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

/** A batch's updates as the changes it committed (a create is a touch that found nothing). */
function changesOf(updates: readonly RelationshipUpdate[]): readonly Change[] {
  if (!updates.some((u) => u.operation === 'create')) return updates as readonly Change[];
  return updates.map((u) => (u.operation === 'create' ? { operation: 'touch', relationship: u.relationship } : (u as Change)));
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Sqlite.SqliteError && (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** `first`, then the rest of `it`. */
async function* startingWith<T>(first: T, it: AsyncIterator<T>): AsyncIterable<T> {
  yield first;
  for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
}
