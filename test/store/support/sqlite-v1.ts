/**
 * A SQLite file in the V1 layout (schema version 1), written the way Warden wrote V1 files: the same
 * DDL and the same statements for a touch, a create, a delete and a schema write, each in its own
 * transaction at the next revision. Used to prove that such a file migrates forward intact.
 */
import Sqlite from 'better-sqlite3';
import type { Relationship } from '../../../src/core/refs.js';
import { ELLIPSIS } from '../../../src/core/refs.js';

const V1 = `
CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
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
CREATE TABLE revisions (rev INTEGER PRIMARY KEY, committed_at INTEGER NOT NULL);
CREATE TABLE schemas (rev INTEGER PRIMARY KEY, text TEXT NOT NULL, hash TEXT NOT NULL);
`;

const COLUMNS = 'resource_type, resource_id, relation, subject_type, subject_id, subject_relation';
const KEY = 'resource_type = ? AND resource_id = ? AND relation = ? AND subject_type = ? AND subject_id = ? AND subject_relation = ?';

function key(r: Relationship): string[] {
  const srel = r.subject.relation;
  return [r.resource.type, r.resource.id, r.relation, r.subject.type, r.subject.id, srel === undefined || srel === ELLIPSIS ? '' : srel];
}

export class SqliteV1Writer {
  private readonly db: Sqlite.Database;

  constructor(path: string, storeId: string) {
    this.db = new Sqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(V1);
    const set = this.db.prepare('INSERT INTO metadata (key, value) VALUES (?, ?)');
    set.run('schema_version', '1');
    set.run('store_id', storeId);
    set.run('oldest_revision', '0');
  }

  write(updates: readonly { operation: 'touch' | 'create' | 'delete'; relationship: Relationship }[]): number {
    return this.db.transaction(() => {
      const rev = this.next();
      for (const u of updates) {
        const k = key(u.relationship);
        if (u.operation === 'delete') {
          this.db.prepare(`UPDATE relationships SET deleted_rev = ? WHERE ${KEY} AND deleted_rev IS NULL`).run(rev, ...k);
        } else {
          const conflict = u.operation === 'touch' ? ` ON CONFLICT (${COLUMNS}) WHERE deleted_rev IS NULL DO NOTHING` : '';
          this.db.prepare(`INSERT INTO relationships (${COLUMNS}, created_rev) VALUES (?, ?, ?, ?, ?, ?, ?)${conflict}`).run(...k, rev);
        }
      }
      return rev;
    }).immediate();
  }

  writeSchema(text: string, hash: string): number {
    return this.db.transaction(() => {
      const rev = this.next();
      this.db.prepare('INSERT INTO schemas (rev, text, hash) VALUES (?, ?, ?)').run(rev, text, hash);
      return rev;
    }).immediate();
  }

  close(): void {
    this.db.close();
  }

  private next(): number {
    const rev = (this.db.prepare('SELECT coalesce(max(rev), 0) AS head FROM revisions').get() as { head: number }).head + 1;
    this.db.prepare('INSERT INTO revisions (rev, committed_at) VALUES (?, ?)').run(rev, Date.now());
    return rev;
  }
}
