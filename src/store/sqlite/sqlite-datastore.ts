/**
 * The embedded default Datastore: one SQLite file (better-sqlite3, WAL, synchronous=FULL, so a write
 * whose promise resolved survives kill -9).
 *
 * Revisions are dense: each write inserts max(rev) + 1 into `revisions` inside a BEGIN IMMEDIATE
 * transaction, which holds SQLite's single write lock from the head read to the commit, so commit order
 * is revision order even with several processes on one file. better-sqlite3 is synchronous, so each
 * write is one synchronous transaction: nothing is awaited inside it (an await would commit early).
 * onCommit hears this instance's commits only; other processes writing the same file are seen by
 * changesSince, not announced.
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
  Datastore,
  DeleteOptions,
  DeleteResult,
  Precondition,
  ReadOptions,
  RevisionChanges,
  StoredSchema,
  WriteBatch,
} from '../datastore.js';
import { assertNoDuplicates, checkLimit, checkPreconditions, checkReadable } from '../write-checks.js';
import type { FilterSql, Params, RelationshipRow } from './filter-sql.js';
import { COLUMNS, filterSql, keyParams, rowToRelationship } from './filter-sql.js';
import { migrate } from './migrations.js';

export interface SqliteDatastoreOptions {
  /** The store id of a new file (random by default); an existing file keeps its own. */
  storeId?: string;
  /** How long a write waits for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Rows deleted per transaction by collectGarbage (default 5000). */
  gcBatchSize?: number;
  /** SQLite page cache, in MiB (default 64): index maintenance on large imports is bound by it. */
  cacheSizeMiB?: number;
}

type Key = [string, string, string, string, string, string];

interface RevRow {
  rev: number;
}
interface ChangeRow extends RelationshipRow {
  rev: number;
}
interface SchemaRow {
  rev: number;
  text: string;
  hash: string;
}

export class SqliteDatastore implements Datastore {
  readonly storeId: string;
  private readonly db: Database;
  private readonly listeners = new Set<(head: Revision) => void>();
  private readonly cache = new Map<string, Statement>();
  private readonly gcBatchSize: number;
  private closed = false;

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
  private readonly sRevsAfter: Statement<[number, number], RevRow>;
  private readonly sCreatedIn: Statement<[number, number], ChangeRow>;
  private readonly sDeletedIn: Statement<[number, number], ChangeRow>;
  private readonly sSchemasIn: Statement<[number, number], SchemaRow>;
  private readonly sGcRows: Statement<[number, number]>;

  /** Opens (creating if needed, with parent directories) a database file, or ':memory:'. */
  constructor(path: string, options: SqliteDatastoreOptions = {}) {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    this.db = new Sqlite(path);
    this.gcBatchSize = options.gcBatchSize ?? 5000;
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`cache_size = ${-1024 * Math.max(1, Math.floor(options.cacheSizeMiB ?? 64))}`);
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.storeId = migrate(this.db, options.storeId);
      // Gathers planner statistics when they are missing or stale; without them SQLite may pick the
      // forward index for a subject lookup.
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
    this.sTouch = db.prepare(`${insert} ON CONFLICT (${COLUMNS}) WHERE deleted_rev IS NULL DO NOTHING`);
    this.sCreate = db.prepare(insert);
    const keyMatch =
      'resource_type = ? AND resource_id = ? AND relation = ? AND subject_type = ? AND subject_id = ? AND subject_relation = ? AND deleted_rev IS NULL';
    this.sDelete = db.prepare(`UPDATE relationships SET deleted_rev = ? WHERE ${keyMatch}`);
    this.sExistsLive = db.prepare(`SELECT 1 AS x FROM relationships WHERE ${keyMatch}`);
    this.sReadSchema = db.prepare('SELECT rev, text, hash FROM schemas WHERE rev <= ? ORDER BY rev DESC LIMIT 1');
    this.sInsertSchema = db.prepare('INSERT INTO schemas (rev, text, hash) VALUES (?, ?, ?)');
    this.sRevsAfter = db.prepare('SELECT rev FROM revisions WHERE rev > ? ORDER BY rev LIMIT ?');
    this.sCreatedIn = db.prepare(
      `SELECT ${COLUMNS}, created_rev AS rev FROM relationships WHERE created_rev > ? AND created_rev <= ? ORDER BY created_rev`,
    );
    this.sDeletedIn = db.prepare(
      `SELECT ${COLUMNS}, deleted_rev AS rev FROM relationships WHERE deleted_rev > ? AND deleted_rev <= ? ORDER BY deleted_rev`,
    );
    this.sSchemasIn = db.prepare('SELECT rev, text, hash FROM schemas WHERE rev > ? AND rev <= ? ORDER BY rev');
    this.sGcRows = db.prepare(
      `DELETE FROM relationships WHERE (${COLUMNS}, created_rev) IN
         (SELECT ${COLUMNS}, created_rev FROM relationships WHERE deleted_rev <= ? LIMIT ?)`,
    );
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
    return this.commit(() => {
      const rev = this.nextRevision();
      this.sInsertSchema.run(rev, text, hash);
      return rev;
    });
  }

  async write(batch: WriteBatch): Promise<Revision> {
    assertNoDuplicates(batch.updates);
    return this.commit(() => {
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
    });
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
        () => `UPDATE relationships SET deleted_rev = @drev WHERE (${COLUMNS}, created_rev) IN
                 (SELECT ${COLUMNS}, created_rev FROM relationships WHERE ${f.where} ORDER BY ${COLUMNS} LIMIT @lim)`,
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

  async changesSince(after: Revision, limit?: number): Promise<RevisionChanges[]> {
    checkLimit(limit, 'changes limit');
    return this.read(after, () => {
      const revs = this.sRevsAfter.all(after, limit ?? -1);
      if (revs.length === 0) return [];
      const last = revs[revs.length - 1]!.rev;
      const byRev = new Map<number, { changes: Change[]; schema?: StoredSchema }>();
      for (const { rev } of revs) byRev.set(rev, { changes: [] });
      // Deletes first: a revision never both deletes and creates one relationship, but this order would
      // still be the right one to replay if it did.
      for (const row of this.sDeletedIn.iterate(after, last)) {
        byRev.get(row.rev)!.changes.push({ operation: 'delete', relationship: rowToRelationship(row) });
      }
      for (const row of this.sCreatedIn.iterate(after, last)) {
        byRev.get(row.rev)!.changes.push({ operation: 'touch', relationship: rowToRelationship(row) });
      }
      for (const row of this.sSchemasIn.iterate(after, last)) byRev.get(row.rev)!.schema = schemaOf(row);
      return revs.map(({ rev }) => {
        const entry = byRev.get(rev)!;
        return entry.schema ? { revision: rev, changes: entry.changes, schema: entry.schema } : { revision: rev, changes: entry.changes };
      });
    });
  }

  onCommit(listener: (head: Revision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Moves the oldest readable revision up first (so no reader starts below it), then deletes the rows
   * that only older revisions could see, in bounded transactions that let other work run in between.
   */
  async collectGarbage(before: Revision): Promise<number> {
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
      this.assertOpen();
    }
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

  /** A write transaction (BEGIN IMMEDIATE); listeners hear of it once it has committed. */
  private commit<T extends Revision | DeleteResult>(fn: () => T): Promise<T> {
    try {
      this.assertOpen();
      const result = this.tx(fn, true);
      this.notify(typeof result === 'number' ? result : (result as DeleteResult).revision);
      return Promise.resolve(result);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private tx<T>(fn: () => T, write: boolean): T {
    const t = this.db.transaction(fn);
    try {
      return write ? t.immediate() : t.deferred();
    } catch (e) {
      if (e instanceof Sqlite.SqliteError && (e.code === 'SQLITE_BUSY' || e.code.startsWith('SQLITE_BUSY_'))) {
        throw new UnavailableError('the database is busy (another process holds its write lock); retry');
      }
      throw e;
    }
  }

  private notify(head: Revision): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(head);
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

function schemaOf(row: SchemaRow): StoredSchema {
  return { text: row.text, hash: row.hash, revision: row.rev };
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Sqlite.SqliteError && (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}
