/**
 * The SQLite file's schema, as numbered migrations. The version lives in the metadata table; a file
 * written by a newer Warden is refused rather than misread.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { NotSupportedError } from '../../core/errors.js';

/**
 * relationships: WITHOUT ROWID, clustered on the forward key plus created_rev, so forward lookups and
 * keyset pagination read contiguous pages. subject_relation is '' for a plain subject so that it can be
 * part of keys (NULLs are distinct in unique indexes). deleted_rev is NULL while the row is live.
 * relationships_live enforces "at most one live row per relationship" and serves reads at the head;
 * relationships_reverse serves lookups by subject; the revision indexes serve the change feed and GC.
 */
const V1 = `
CREATE TABLE relationships (
  resource_type    TEXT NOT NULL,
  resource_id      TEXT NOT NULL,
  relation         TEXT NOT NULL,
  subject_type     TEXT NOT NULL,
  subject_id       TEXT NOT NULL,
  subject_relation TEXT NOT NULL,
  created_rev      INTEGER NOT NULL,
  deleted_rev      INTEGER,
  PRIMARY KEY (resource_type, resource_id, relation, subject_type, subject_id, subject_relation, created_rev)
) WITHOUT ROWID;
CREATE UNIQUE INDEX relationships_live
  ON relationships (resource_type, resource_id, relation, subject_type, subject_id, subject_relation)
  WHERE deleted_rev IS NULL;
CREATE INDEX relationships_reverse
  ON relationships (subject_type, subject_id, subject_relation, resource_type, relation);
CREATE INDEX relationships_created ON relationships (created_rev);
CREATE INDEX relationships_deleted ON relationships (deleted_rev) WHERE deleted_rev IS NOT NULL;
CREATE TABLE revisions (
  rev          INTEGER PRIMARY KEY,
  committed_at INTEGER NOT NULL
);
CREATE TABLE schemas (
  rev  INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  hash TEXT NOT NULL
);
`;

/** MIGRATIONS[i] takes the file from version i to version i + 1. */
const MIGRATIONS: readonly string[] = [V1];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file up to SCHEMA_VERSION; returns its store id (created on first open). */
export function migrate(db: Database, newStoreId?: string): string {
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    const get = db.prepare<[string], { value: string }>('SELECT value FROM metadata WHERE key = ?');
    const set = db.prepare('INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const version = Number(get.get('schema_version')?.value ?? '0');
    if (!Number.isInteger(version) || version < 0) {
      throw new NotSupportedError(`the database file has an unreadable schema version \`${String(version)}\``);
    }
    if (version > SCHEMA_VERSION) {
      throw new NotSupportedError(
        `the database file has schema version ${version}, newer than this Warden supports (${SCHEMA_VERSION}): it was written by a newer Warden; upgrade Warden to open it`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      set.run('schema_version', String(v + 1));
    }
    let storeId = get.get('store_id')?.value;
    if (storeId === undefined) {
      storeId = newStoreId ?? randomUUID();
      set.run('store_id', storeId);
      set.run('oldest_revision', '0');
    }
    return storeId;
  });
  return run.immediate();
}
