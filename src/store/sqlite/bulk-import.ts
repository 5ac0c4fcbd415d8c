/**
 * Importing into an empty SQLite store, all batches in one transaction on a connection of its own.
 *
 * Inserting a row into a B-tree keyed on text costs several µs, and a batch of a few thousand rows
 * lands on as many pages as it has rows, so committing batch by batch rewrites most of every text
 * index at each commit: a million rows took minutes. Into an empty table the rows are appended
 * instead (the integer revision index grows at its end), and the two text indexes are dropped first
 * and built at the end by sorting, which writes each of their pages once.
 *
 * Each batch still gets a revision of its own (the change feed pages by revision), but they all commit
 * together: a crash before the commit leaves the store as it was (empty), and the import is run again.
 * Other writes of this process wait for the commit (SqliteDatastore gates them); reads go on, and see
 * the store as it was until then. Building the indexes blocks this process for a few seconds per
 * million rows.
 */
import Sqlite from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { UnavailableError } from '../../core/errors.js';
import type { Relationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import { COLUMNS, keyParams } from './filter-sql.js';
import { KEY_INDEX, SUBJECT_INDEX } from './migrations.js';
import { busyAsUnavailable } from './busy.js';

/** Rows per INSERT statement: one native call per hundred rows rather than per row. */
const ROWS_PER_INSERT = 100;
/**
 * How long the import waits for its next batch while it holds the write lock. A source slower than
 * this (a stalled client) ends the bulk phase: what came so far commits, and the rest is written batch
 * by batch, so that the process's other writes never wait on a client.
 */
const DEFAULT_STALL_MS = 1000;
const STALLED = Symbol('stalled');

export interface BulkImportResult {
  /** The last revision committed. */
  readonly last: Revision;
  /** What `batches` threw after the batches before it were committed, to be rethrown. */
  readonly failure?: unknown;
  /** The next batch, still on its way when the source stalled: the caller goes on batch by batch. */
  readonly pending?: Promise<IteratorResult<readonly Relationship[]>>;
}

export interface BulkImportOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** The page cache of the import connection; CREATE INDEX sorts in it before spilling to disk. */
  readonly cacheKiB: number;
  /** True once the datastore is closing: the import stops and commits nothing. */
  readonly closing: () => boolean;
  readonly stallMs?: number;
}

/**
 * Imports `first` and then every batch of `rest`, if the store holds no relationship row (live or
 * deleted); otherwise returns undefined having written nothing.
 */
export async function bulkImportIntoEmpty(
  options: BulkImportOptions,
  first: readonly Relationship[],
  rest: AsyncIterator<readonly Relationship[]>,
): Promise<BulkImportResult | undefined> {
  const db = new Sqlite(options.path, { fileMustExist: true });
  try {
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    db.pragma(`cache_size = ${-options.cacheKiB}`);
    begin(db);
    let committed = false;
    try {
      if (db.prepare('SELECT 1 FROM relationships LIMIT 1').get() !== undefined) return undefined;
      db.exec('DROP INDEX relationships_key; DROP INDEX relationships_subject');
      const insertRev = db.prepare<[number, number]>('INSERT INTO revisions (rev, committed_at) VALUES (?, ?)');
      const rows = new RowInserter(db);
      let rev = db.prepare<[], { head: number }>('SELECT coalesce(max(rev), 0) AS head FROM revisions').get()!.head;
      let batch = first;
      let failure: unknown;
      let pending: Promise<IteratorResult<readonly Relationship[]>> | undefined;
      for (;;) {
        if (batch.length > 0) {
          rev++;
          insertRev.run(rev, Date.now());
          rows.insert(batch, rev);
        }
        let next: IteratorResult<readonly Relationship[]> | typeof STALLED;
        const coming = rest.next();
        try {
          next = await within(coming, options.stallMs ?? DEFAULT_STALL_MS);
        } catch (e) {
          failure = e;
          break;
        }
        if (options.closing()) throw new UnavailableError('the datastore was closed during an import; nothing of it was committed');
        if (next === STALLED) {
          pending = coming;
          break;
        }
        if (next.done) break;
        batch = next.value;
      }
      buildIndexes(db);
      db.exec('COMMIT');
      committed = true;
      return { last: rev, ...(failure === undefined ? {} : { failure }), ...(pending ? { pending } : {}) };
    } finally {
      if (!committed && db.inTransaction) db.exec('ROLLBACK');
    }
  } finally {
    db.close();
  }
}

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof STALLED> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<typeof STALLED>((resolve) => (timer = setTimeout(() => resolve(STALLED), ms)));
  return Promise.race([p, stalled]).finally(() => clearTimeout(timer));
}

function begin(db: Database): void {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (e) {
    throw busyAsUnavailable(e);
  }
}

/**
 * The key index is unique: a relationship imported twice (in two batches) makes its creation fail.
 * Then only the first copy is kept, as a second touch of a live relationship would have done.
 */
function buildIndexes(db: Database): void {
  try {
    db.exec(KEY_INDEX);
  } catch (e) {
    if (!(e instanceof Sqlite.SqliteError && e.code === 'SQLITE_CONSTRAINT_UNIQUE')) throw e;
    db.exec(`DELETE FROM relationships WHERE id NOT IN (SELECT min(id) FROM relationships GROUP BY ${COLUMNS})`);
    db.exec(KEY_INDEX);
  }
  db.exec(SUBJECT_INDEX);
  // The planner's statistics still describe an empty table; a sampled ANALYZE takes milliseconds.
  db.pragma('analysis_limit = 1000');
  db.exec('ANALYZE relationships');
}

class RowInserter {
  private readonly many: Statement<unknown[]>;
  private readonly one: Statement<unknown[]>;
  private readonly args: unknown[] = new Array<unknown>(ROWS_PER_INSERT * 7);

  constructor(db: Database) {
    const insert = `INSERT INTO relationships (${COLUMNS}, created_rev) VALUES `;
    this.many = db.prepare(insert + Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', '));
    this.one = db.prepare(`${insert}(?, ?, ?, ?, ?, ?, ?)`);
  }

  insert(batch: readonly Relationship[], rev: Revision): void {
    const args = this.args;
    let i = 0;
    for (; i + ROWS_PER_INSERT <= batch.length; i += ROWS_PER_INSERT) {
      for (let j = 0; j < ROWS_PER_INSERT; j++) {
        const k = keyParams(batch[i + j]!);
        const o = j * 7;
        args[o] = k[0];
        args[o + 1] = k[1];
        args[o + 2] = k[2];
        args[o + 3] = k[3];
        args[o + 4] = k[4];
        args[o + 5] = k[5];
        args[o + 6] = rev;
      }
      this.many.run(args);
    }
    for (; i < batch.length; i++) this.one.run(...keyParams(batch[i]!), rev);
  }
}
