/**
 * The PostgreSQL Datastore: the store that several Warden replicas share. Rows carry the revisions
 * that created and deleted them (MVCC); revisions are dense integers whose order is commit order (the
 * argument is in write-transaction.ts); commits are announced with LISTEN/NOTIFY (commit-listener.ts)
 * and the change feed is derived from the rows themselves, so a lost notification loses nothing.
 *
 * Reads at a revision check it against the head and the GC horizon in the same statement that reads
 * the rows, so they share one snapshot: a concurrent GC can move the horizon past a read that already
 * passed the check, but cannot remove rows from under it.
 */
import type pg from 'pg';
import { UnavailableError } from '../../core/errors.js';
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
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
import type { RelationshipRow } from '../sqlite/filter-sql.js';
import { COLUMNS, rowToRelationship } from '../sqlite/filter-sql.js';
import { assertNoDuplicates, checkLimit, checkReadable, normalizeRelationship } from '../write-checks.js';
import { importByWrites } from '../import-by-writes.js';
import { CommitListener } from './commit-listener.js';
import type { ConnectionOptions, ResolvedConnectionOptions } from './connection.js';
import {
  PostgresUnavailableError,
  clientConfig,
  createPool,
  describeTarget,
  isConnectionError,
  resolveConnectionOptions,
  toStoreError,
} from './connection.js';
import { assertVersion, readVersion, resolveSchemaName, runMigrations } from './migrations.js';
import type { Tables } from './sql.js';
import { LIVE, Params, filterConditions, tablesFor } from './sql.js';
import { applyBatch, checkPreconditionsIn, deleteMatching, insertSchema, takeRevision } from './write-transaction.js';

export interface PostgresDatastoreOptions extends ConnectionOptions {
  /** The PostgreSQL schema (namespace) holding Warden's tables (default "public"). */
  schema?: string;
  /** Apply pending migrations at open instead of refusing an unmigrated database (default false). */
  migrate?: boolean;
  /** Follow other processes' commits with LISTEN/NOTIFY (default true). */
  listen?: boolean;
  /** How often the LISTEN connection checks itself and the head (default 10000 ms). */
  listenHeartbeatMs?: number;
  /** Rows deleted per statement by collectGarbage (default 5000). */
  gcBatchSize?: number;
  /** Where connection trouble is reported (default process.emitWarning). */
  warn?: (message: string) => void;
}

interface Guarded {
  head: string;
  oldest: string;
}

interface SchemaRow {
  rev: string;
  text: string;
  hash: string;
}

export class PostgresDatastore implements Datastore {
  private readonly listeners = new Set<(head: Revision) => void>();
  private listener: CommitListener | undefined;
  /** Writes from this process queue here rather than each holding a pooled connection on the head lock. */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private lastWoken: Revision = 0;
  private closed = false;

  private constructor(
    readonly storeId: string,
    private readonly pool: pg.Pool,
    private readonly t: Tables,
    private readonly o: ResolvedConnectionOptions,
    private readonly gcBatchSize: number,
  ) {}

  /**
   * Connects, checks (or with `migrate`, brings) the database to this Warden's schema version, and
   * starts following commits. Refuses an unmigrated or newer database with a message saying what to do.
   */
  static async open(url: string, options: PostgresDatastoreOptions = {}): Promise<PostgresDatastore> {
    const t = tablesFor(resolveSchemaName(options));
    const o = resolveConnectionOptions(options);
    const gcBatchSize = options.gcBatchSize ?? 5000;
    if (!Number.isInteger(gcBatchSize) || gcBatchSize <= 0) throw new RangeError('gcBatchSize must be a positive integer');
    const warn = options.warn ?? ((m: string) => process.emitWarning(m));
    const pool = createPool(url, o, warn);
    let storeId: string;
    try {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw new PostgresUnavailableError(
          `cannot reach PostgreSQL at ${describeTarget(url)}: ${e instanceof Error ? e.message || String(e) : String(e)}`,
          e,
        );
      }
      try {
        if (options.migrate) await runMigrations(client, t);
        assertVersion(await readVersion(client, t), t);
        const r = await client.query<{ value: string }>(`SELECT value FROM ${t.metadata} WHERE key = 'store_id'`);
        storeId = r.rows[0]!.value;
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw toStoreError(e, o);
    }
    const ds = new PostgresDatastore(storeId, pool, t, o, gcBatchSize);
    if (options.listen ?? true) {
      ds.listener = new CommitListener({
        config: { ...clientConfig(url, o), application_name: `${o.applicationName}-listener`, query_timeout: o.connectTimeoutMs },
        channel: t.channel,
        headQuery: `SELECT rev FROM ${t.head}`,
        onHead: (head, reconnected) => ds.wake(head, reconnected),
        warn,
        ...(options.listenHeartbeatMs !== undefined && { heartbeatMs: options.listenHeartbeatMs }),
      });
      await ds.listener.start();
    }
    return ds;
  }

  /** The PostgreSQL schema this store lives in. */
  get schema(): string {
    return this.t.schema;
  }

  /** The server pid of the LISTEN connection, while it is connected (for operations and tests). */
  get listenerProcessId(): number | undefined {
    return this.listener?.processId;
  }

  /** True while the LISTEN connection is up (or listening is off): other replicas' commits are heard. */
  get listening(): boolean {
    return this.listener?.connected ?? true;
  }

  /** Whether the database answers now, within the connection and statement timeouts (for /readyz). */
  async ready(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async headRevision(): Promise<Revision> {
    const r = await this.query<{ rev: string }>(`SELECT rev FROM ${this.t.head}`);
    return Number(r.rows[0]!.rev);
  }

  async oldestReadableRevision(): Promise<Revision> {
    const r = await this.query<{ value: string }>(`SELECT value FROM ${this.t.metadata} WHERE key = 'oldest_revision'`);
    return Number(r.rows[0]!.value);
  }

  async readSchema(at: Revision): Promise<StoredSchema | undefined> {
    const rows = await this.readAt<SchemaRow>(
      at,
      (guard, rev) => `SELECT rev, text, hash FROM ${this.t.schemas} WHERE ${guard} AND rev <= ${rev} ORDER BY rev DESC LIMIT 1`,
    );
    return rows[0] && schemaOf(rows[0]);
  }

  async writeSchema(text: string, hash: string): Promise<Revision> {
    return this.writeTx(async (c, rev) => {
      await insertSchema(c, this.t, rev, text, hash);
      return rev;
    });
  }

  async write(batch: WriteBatch): Promise<Revision> {
    this.assertOpen();
    assertNoDuplicates(batch.updates);
    const updates = batch.updates.map((u) => ({ operation: u.operation, relationship: normalizeRelationship(u.relationship) }));
    return this.writeTx(async (c, rev) => {
      await applyBatch(c, this.t, rev, batch.preconditions, updates);
      return rev;
    });
  }

  async deleteRelationships(filter: RelationshipFilter, options: DeleteOptions = {}): Promise<DeleteResult> {
    this.assertOpen();
    checkLimit(options.limit, 'delete limit');
    return this.writeTx(async (c, revision) => {
      await checkPreconditionsIn(c, this.t, options.preconditions);
      const { deleted, partial } = await deleteMatching(c, this.t, revision, filter, options.limit);
      return { revision, deleted, partial };
    });
  }

  async readRelationships(filter: RelationshipFilter, at: Revision, options: ReadOptions = {}): Promise<Relationship[]> {
    checkLimit(options.limit, 'read limit');
    const rows = await this.readAt<RelationshipRow>(at, (guard, rev, p) => {
      const where = [guard, ...filterConditions(filter, p, { at: rev }, options.after)].join(' AND ');
      const limit = options.limit === undefined ? '' : ` LIMIT ${p.add(options.limit)}`;
      return `SELECT ${COLUMNS} FROM ${this.t.relationships} WHERE ${where} ORDER BY ${COLUMNS}${limit}`;
    });
    return rows.map(rowToRelationship);
  }

  async countRelationships(filter: RelationshipFilter, at: Revision): Promise<number> {
    const rows = await this.readAt<{ n: string }>(at, (guard, rev, p) => {
      const where = [guard, ...filterConditions(filter, p, { at: rev })].join(' AND ');
      return `SELECT count(*) AS n FROM ${this.t.relationships} WHERE ${where}`;
    });
    return Number(rows[0]?.n ?? 0);
  }

  importRelationships(batches: AsyncIterable<readonly Relationship[]>): Promise<Revision | undefined> {
    return importByWrites((b) => this.write(b), batches);
  }

  /**
   * Every revision in (after, end] is committed (revisions are dense and commit in order), so the feed
   * is that range with each revision's rows and schema attached; empty revisions come out empty. One
   * REPEATABLE READ snapshot keeps the horizon check and the rows consistent against a concurrent GC.
   */
  async changesSince(after: Revision, limit?: number): Promise<RevisionChanges[]> {
    checkLimit(limit, 'changes limit');
    validRevision(after);
    return this.readOnlySnapshot(async (c) => {
      const g = await c.query<Guarded>(this.guardSql());
      const head = Number(g.rows[0]!.head);
      checkReadable(after, Number(g.rows[0]!.oldest), head);
      const end = limit === undefined ? head : Math.min(head, after + limit);
      if (end <= after) return [];
      const entries: { revision: Revision; changes: Change[]; schema?: StoredSchema }[] = [];
      for (let rev = after + 1; rev <= end; rev++) entries.push({ revision: rev, changes: [] });
      const entry = (rev: string) => entries[Number(rev) - after - 1]!;
      const rows = await c.query<RelationshipRow & { created_rev: string; deleted_rev: string }>(
        `SELECT ${COLUMNS}, created_rev, deleted_rev FROM ${this.t.relationships}
          WHERE (created_rev > $1 AND created_rev <= $2)
             OR (deleted_rev > $1 AND deleted_rev <= $2 AND deleted_rev <> ${LIVE})`,
        [after, end],
      );
      const rels = rows.rows.map(rowToRelationship);
      // Deletes first, the order to replay them in if a revision ever deleted and created one key.
      rows.rows.forEach((row, i) => {
        const deleted = Number(row.deleted_rev);
        if (deleted > after && deleted <= end) entry(row.deleted_rev).changes.push({ operation: 'delete', relationship: rels[i]! });
      });
      rows.rows.forEach((row, i) => {
        const created = Number(row.created_rev);
        if (created > after && created <= end) entry(row.created_rev).changes.push({ operation: 'touch', relationship: rels[i]! });
      });
      const schemas = await c.query<SchemaRow>(`SELECT rev, text, hash FROM ${this.t.schemas} WHERE rev > $1 AND rev <= $2`, [after, end]);
      for (const s of schemas.rows) entry(s.rev).schema = schemaOf(s);
      return entries.map((e) => (e.schema ? e : { revision: e.revision, changes: e.changes }));
    });
  }

  onCommit(listener: (head: Revision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * One replica at a time (a session advisory lock; the others return 0 at once). First moves the
   * persisted oldest readable revision up, so that every replica refuses older zookies before any row
   * disappears; then deletes what only older revisions could see, in bounded statements.
   */
  async collectGarbage(before: Revision): Promise<number> {
    this.assertOpen();
    validRevision(before);
    const c = await this.connect();
    let broken: Error | undefined;
    try {
      const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [this.t.gcLockKey]);
      if (!lock.rows[0]!.ok) return 0;
      try {
        return await this.collect(c, before);
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtext($1))', [this.t.gcLockKey]).catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e)); // dropping the session drops its lock
        });
      }
    } catch (e) {
      if (isConnectionError(e)) broken = e as Error;
      throw toStoreError(e, this.o);
    } finally {
      c.release(broken);
    }
  }

  private async collect(c: pg.PoolClient, before: Revision): Promise<number> {
    const t = this.t;
    const h = await c.query<{ value: string }>(
      `UPDATE ${t.metadata}
          SET value = GREATEST(value::bigint, LEAST($1::bigint, (SELECT rev FROM ${t.head})))::text
        WHERE key = 'oldest_revision'
        RETURNING value`,
      [before],
    );
    const horizon = Number(h.rows[0]!.value);
    let removed = 0;
    for (;;) {
      this.assertOpen();
      const r = await c.query(
        `DELETE FROM ${t.relationships} WHERE (${COLUMNS}, created_rev) IN
           (SELECT ${COLUMNS}, created_rev FROM ${t.relationships}
             WHERE deleted_rev <= $1 AND deleted_rev <> ${LIVE} LIMIT $2)`,
        [horizon, this.gcBatchSize],
      );
      removed += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) < this.gcBatchSize) break;
    }
    for (;;) {
      // Keep the horizon's own row: it dates the oldest readable revision.
      const r = await c.query(
        `DELETE FROM ${t.revisions} WHERE rev IN (SELECT rev FROM ${t.revisions} WHERE rev < $1 LIMIT $2)`,
        [horizon, this.gcBatchSize],
      );
      if ((r.rowCount ?? 0) < this.gcBatchSize) break;
    }
    // Keep the schema in force at the horizon and every later one.
    await c.query(`DELETE FROM ${t.schemas} WHERE rev < (SELECT coalesce(max(rev), 0) FROM ${t.schemas} WHERE rev <= $1)`, [horizon]);
    return removed;
  }

  /** The newest revision committed at or before `time` (for a GC window given as a duration). */
  async revisionAt(time: Date): Promise<Revision> {
    const r = await this.query<{ rev: string | null }>(`SELECT max(rev) AS rev FROM ${this.t.revisions} WHERE committed_at <= $1`, [time]);
    return Number(r.rows[0]!.rev ?? (await this.oldestReadableRevision()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.listener?.stop();
    await this.writeQueue.catch(() => undefined);
    await this.pool.end();
  }

  // ---- internals ----

  /** Tells listeners of a new head: each revision once, and every time the LISTEN connection comes back. */
  private wake(head: Revision, always: boolean): void {
    if (this.closed || (!always && head <= this.lastWoken)) return;
    this.lastWoken = Math.max(this.lastWoken, head);
    for (const listener of [...this.listeners]) {
      try {
        listener(head);
      } catch (e) {
        // A wake-up hint must not fail the write that has already committed.
        process.emitWarning(`onCommit listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private guardSql(): string {
    return `SELECT h.rev AS head, m.value AS oldest FROM ${this.t.head} h, ${this.t.metadata} m WHERE m.key = 'oldest_revision'`;
  }

  /**
   * One statement that reads head and horizon and, only when `at` lies between them, the rows that
   * `body` selects (its WHERE must include `guard`). The first row always carries head and oldest.
   * `body` depends on `g`, so it runs as the inner side of a nested loop over g's single row, which
   * passes the inner rows through in the order `body` sorted them.
   */
  private async readAt<R extends object>(at: Revision, body: (guard: string, rev: string, p: Params) => string): Promise<R[]> {
    validRevision(at);
    const p = new Params();
    const rev = `${p.add(at)}::bigint`;
    const guard = `${rev} <= g.head AND ${rev} >= g.oldest`;
    const sql = `SELECT g.head, g.oldest, x.* FROM (SELECT h.rev AS head, m.value::bigint AS oldest
                   FROM ${this.t.head} h, ${this.t.metadata} m WHERE m.key = 'oldest_revision') g
                 LEFT JOIN LATERAL (${body(guard, rev, p)}) x ON true`;
    const r = await this.query<Guarded & Record<string, unknown>>(sql, p.values);
    const first = r.rows[0]!;
    checkReadable(at, Number(first.oldest), Number(first.head));
    // With no matching rows the LEFT JOIN still yields one row, of NULLs.
    return r.rows.filter((row) => Object.keys(row).some((k) => k !== 'head' && k !== 'oldest' && row[k] !== null)) as unknown as R[];
  }

  /** A pooled query, retried once on a fresh connection if the connection failed (reads only). */
  private async query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(sql, values);
    } catch (e) {
      if (!isConnectionError(e) || this.closed) throw toStoreError(e, this.o);
    }
    try {
      return await this.pool.query<R>(sql, values);
    } catch (e) {
      throw toStoreError(e, this.o);
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw toStoreError(e, this.o);
    }
  }

  private async readOnlySnapshot<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    for (let attempt = 0; ; attempt++) {
      const c = await this.connect();
      let broken: Error | undefined;
      try {
        await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (e) {
        if (isConnectionError(e)) broken = e as Error;
        else await c.query('ROLLBACK').catch((e2: unknown) => (broken = e2 instanceof Error ? e2 : new Error(String(e2))));
        if (broken && attempt === 0 && !this.closed) continue;
        throw toStoreError(e, this.o);
      } finally {
        c.release(broken);
      }
    }
  }

  /**
   * One write transaction at a new revision: BEGIN, take the revision (and the head lock), `fn`,
   * COMMIT; then wake the listeners. Anything thrown rolls everything back, revision included.
   */
  private writeTx<T extends Revision | DeleteResult>(fn: (c: pg.PoolClient, rev: Revision) => Promise<T>): Promise<T> {
    this.assertOpen();
    const run = this.writeQueue.then(() => this.runWrite(fn));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private async runWrite<T extends Revision | DeleteResult>(fn: (c: pg.PoolClient, rev: Revision) => Promise<T>): Promise<T> {
    this.assertOpen();
    for (let attempt = 0; ; attempt++) {
      const c = await this.connect();
      let broken: Error | undefined;
      let committing = false;
      try {
        await c.query('BEGIN');
        const rev = await takeRevision(c, this.t);
        const result = await fn(c, rev);
        committing = true;
        try {
          await c.query('COMMIT');
        } catch (e) {
          if (!isConnectionError(e)) throw e;
          broken = e as Error;
          throw new PostgresUnavailableError(
            'the connection to PostgreSQL was lost while committing: the write may or may not have been applied; read before retrying',
            e,
          );
        }
        this.wake(rev, false);
        return result;
      } catch (e) {
        if (!broken && isConnectionError(e)) broken = e as Error;
        if (!broken) await c.query('ROLLBACK').catch((e2: unknown) => (broken = e2 instanceof Error ? e2 : new Error(String(e2))));
        // Until COMMIT is sent a lost connection rolls the transaction back: safe to run it once more.
        if (broken && !committing && attempt === 0 && !this.closed) continue;
        throw toStoreError(e, this.o);
      } finally {
        c.release(broken);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('the datastore is closed');
  }
}

function schemaOf(row: SchemaRow): StoredSchema {
  return { text: row.text, hash: row.hash, revision: Number(row.rev) };
}

/** Refuses what cannot be a revision before it reaches SQL (where it would be a type error). */
function validRevision(at: Revision): void {
  checkReadable(at, 0, Number.MAX_SAFE_INTEGER);
}
