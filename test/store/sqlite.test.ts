import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { NotSupportedError } from '../../src/core/errors.js';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { SqliteDatastore } from '../../src/store/sqlite/sqlite-datastore.js';
import { runDatastoreSuite } from './datastore-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `nested/dir-${n}`, `store-${n++}.db`);

runDatastoreSuite('sqlite (file)', async () => new SqliteDatastore(freshPath()));
runDatastoreSuite('sqlite (:memory:)', async () => new SqliteDatastore(':memory:'));

describe('SqliteDatastore', () => {
  const touch = (...rels: string[]) => ({ updates: rels.map((r) => ({ operation: 'touch' as const, relationship: parseRelationship(r) })) });

  it('reopens a file with the same data, store id, revisions and schema', async () => {
    const path = freshPath();
    const a = new SqliteDatastore(path);
    await a.write(touch('doc:d1#viewer@user:ana', 'doc:d1#viewer@team:t#member'));
    await a.writeSchema('definition user {}', 'h1');
    await a.write({ updates: [{ operation: 'delete', relationship: parseRelationship('doc:d1#viewer@user:ana') }] });
    const id = a.storeId;
    const changes = await a.changesSince(0);
    await a.close();

    const b = new SqliteDatastore(path, { storeId: 'ignored-for-existing-files' });
    expect(b.storeId).toBe(id);
    expect(await b.headRevision()).toBe(3);
    expect((await b.readRelationships({}, 1)).map(formatRelationship)).toEqual(['doc:d1#viewer@team:t#member', 'doc:d1#viewer@user:ana']);
    expect((await b.readRelationships({}, 3)).map(formatRelationship)).toEqual(['doc:d1#viewer@team:t#member']);
    expect((await b.readSchema(3))?.hash).toBe('h1');
    expect(await b.changesSince(0)).toEqual(changes);
    expect(await b.write(touch('doc:d2#viewer@user:ana'))).toBe(4);
    await b.close();
  });

  it('keeps revisions dense when two connections write to one file', async () => {
    const path = freshPath();
    const a = new SqliteDatastore(path);
    const b = new SqliteDatastore(path);
    const revs: number[] = [];
    for (let i = 0; i < 6; i++) revs.push(await (i % 2 ? a : b).write(touch(`doc:d${i}#viewer@user:ana`)));
    expect(revs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await a.countRelationships({}, 6)).toBe(6);
    expect((await b.changesSince(0)).map((c) => c.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.storeId).toBe(b.storeId);
    await a.close();
    await b.close();
  });

  it('uses WAL and synchronous=FULL', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path);
    await ds.close();
    const db = new Sqlite(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a file written by a newer version', async () => {
    const path = freshPath();
    await new SqliteDatastore(path).close();
    const db = new Sqlite(path);
    db.prepare("UPDATE metadata SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    expect(() => new SqliteDatastore(path)).toThrow(NotSupportedError);
    expect(() => new SqliteDatastore(path)).toThrow(/newer/);
  });

  it('keeps the given store id for a new file', async () => {
    const ds = new SqliteDatastore(freshPath(), { storeId: 'my-store' });
    expect(ds.storeId).toBe('my-store');
    await ds.close();
  });
});
