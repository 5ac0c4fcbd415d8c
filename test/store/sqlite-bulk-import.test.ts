/**
 * The SQLite import into an empty store (bulk-import.ts): every batch in one transaction on a
 * connection of its own, text indexes dropped and rebuilt. Nothing is visible before the commit, other
 * writes of the process wait for it, a crash or a close before the commit leaves the store as it was,
 * and afterwards the store has its indexes and planner statistics back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RelationshipExistsError, UnavailableError } from '../../src/core/errors.js';
import type { Relationship } from '../../src/core/refs.js';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import { SqliteDatastore } from '../../src/store/sqlite/sqlite-datastore.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-bulk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `bulk-${n++}.db`);

const batchOf = (from: number, count: number): Relationship[] =>
  Array.from({ length: count }, (_, i) => parseRelationship(`doc:d${from + i}#viewer@user:u${(from + i) % 7}`));

function rawCount(path: string): number {
  const db = new Sqlite(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM relationships').pluck().get() as number;
  } finally {
    db.close();
  }
}

function indexNames(path: string): string[] {
  const db = new Sqlite(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'relationships' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** An async iterable of batches whose producer can be paused between batches by the test. */
function controlled(batches: Relationship[][]) {
  let release: (() => void) | undefined;
  let reached: (() => void) | undefined;
  const atSecond = new Promise<void>((r) => (reached = r));
  const gate = new Promise<void>((r) => (release = r));
  async function* source() {
    yield batches[0]!;
    reached!();
    await gate;
    for (const b of batches.slice(1)) yield b;
  }
  return { source: source(), atSecond, release: () => release!() };
}

const INDEXES = ['relationships_created', 'relationships_deleted', 'relationships_key', 'relationships_subject'];

describe('SQLite import into an empty store', () => {
  it('commits every batch at once; meanwhile reads see the old state and writes wait for the commit', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path, { importStallMs: 60_000 });
    try {
      await ds.writeSchema('definition user {}', 'h');
      const heads: Revision[] = [];
      ds.onCommit((head) => heads.push(head));
      const c = controlled([batchOf(0, 300), batchOf(300, 300), batchOf(600, 5)]);
      const importing = ds.importRelationships(c.source);
      await c.atSecond;
      expect(rawCount(path)).toBe(0);
      expect(indexNames(path)).toEqual(INDEXES);
      expect(await ds.headRevision()).toBe(1);
      expect(await ds.countRelationships({}, 1)).toBe(0);
      const writing = ds.write({ updates: [{ operation: 'create', relationship: parseRelationship('doc:late#viewer@user:x') }] });
      c.release();
      expect(await importing).toBe(4);
      expect(await writing).toBe(5);
      expect(heads).toEqual([4, 5]);
      expect(rawCount(path)).toBe(606);
      expect(indexNames(path)).toEqual(INDEXES);
      expect((await ds.changesSince(1)).map((rc) => [rc.revision, rc.changes.length])).toEqual([
        [2, 300],
        [3, 300],
        [4, 5],
        [5, 1],
      ]);
      expect(await ds.countRelationships({ subject: { type: 'user', id: 'u3' } }, 5)).toBe(86);
      await expect(ds.write({ updates: [{ operation: 'create', relationship: batchOf(7, 1)[0]! }] })).rejects.toBeInstanceOf(RelationshipExistsError);
      // The planner has statistics again, and looks subjects up by their index.
      const db = new Sqlite(path, { readonly: true });
      const plan = db
        .prepare("EXPLAIN QUERY PLAN SELECT * FROM relationships WHERE subject_type = 'user' AND subject_id = 'u3' AND deleted_rev = 0")
        .all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/relationships_subject/);
      expect(db.prepare("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'relationships'").pluck().get()).toBeGreaterThan(0);
      db.close();
    } finally {
      await ds.close();
    }
  });

  it('commits what it has when its source stalls, so that other writes never wait on a client', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path, { importStallMs: 50 });
    try {
      const c = controlled([batchOf(0, 10), batchOf(10, 10), batchOf(20, 10)]);
      const importing = ds.importRelationships(c.source);
      await c.atSecond;
      const deadline = Date.now() + 10_000;
      while (rawCount(path) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(rawCount(path)).toBe(10);
      expect(indexNames(path)).toEqual(INDEXES);
      expect(await ds.write({ updates: [{ operation: 'create', relationship: parseRelationship('doc:late#viewer@user:x') }] })).toBe(2);
      c.release();
      expect(await importing).toBe(4);
      expect((await ds.changesSince(0)).map((rc) => [rc.revision, rc.changes.length])).toEqual([
        [1, 10],
        [2, 1],
        [3, 10],
        [4, 10],
      ]);
    } finally {
      await ds.close();
    }
  });

  it('folds a relationship imported twice into its first batch', async () => {
    const ds = new SqliteDatastore(freshPath());
    try {
      async function* batches() {
        yield batchOf(0, 3);
        yield [...batchOf(3, 2), ...batchOf(1, 1)];
      }
      expect(await ds.importRelationships(batches())).toBe(2);
      expect(await ds.countRelationships({}, 2)).toBe(5);
      expect((await ds.changesSince(0)).map((rc) => rc.changes.map((c) => formatRelationship(c.relationship)))).toEqual([
        ['doc:d0#viewer@user:u0', 'doc:d1#viewer@user:u1', 'doc:d2#viewer@user:u2'],
        ['doc:d3#viewer@user:u3', 'doc:d4#viewer@user:u4'],
      ]);
    } finally {
      await ds.close();
    }
  });

  it('commits nothing when the store closes during the import', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path, { importStallMs: 60_000 });
    const c = controlled([batchOf(0, 50), batchOf(50, 50)]);
    const importing = ds.importRelationships(c.source);
    await c.atSecond;
    const closing = ds.close();
    c.release();
    await expect(importing).rejects.toBeInstanceOf(UnavailableError);
    await closing;
    expect(rawCount(path)).toBe(0);
    const again = new SqliteDatastore(path);
    expect(await again.headRevision()).toBe(0);
    await again.close();
  });

  it('a process killed during the import leaves the store as it was; running it again imports everything', async () => {
    const path = freshPath();
    const ds = new SqliteDatastore(path);
    await ds.writeSchema('definition user {}', 'h');
    await ds.close();
    // A page cache small enough that the transaction spills pages to the WAL before the kill.
    const script = `
      const { SqliteDatastore } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/store/sqlite/sqlite-datastore.js'))});
      const { parseRelationship } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/core/refs.js'))});
      const ds = new SqliteDatastore(${JSON.stringify(path)}, { importCacheSizeMiB: 1, importStallMs: 600000 });
      const batch = (k) => Array.from({ length: 5000 }, (_, i) => parseRelationship('doc:d' + (k * 5000 + i) + '#viewer@user:u' + i));
      setInterval(() => {}, 1000);
      async function* batches() {
        for (let k = 0; k < 8; k++) yield batch(k);
        process.stdout.write('mid-import\\n');
        await new Promise(() => {});
      }
      await ds.importRelationships(batches());
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!out.includes('mid-import')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the child did not reach the middle of its import:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    // The uncommitted transaction did reach the WAL: recovery, not a clean rollback, is what is tested.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(1_000_000);

    expect(rawCount(path)).toBe(0);
    expect(indexNames(path)).toEqual(INDEXES);
    const check = new Sqlite(path, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    const after = new SqliteDatastore(path);
    try {
      expect(await after.headRevision()).toBe(1);
      async function* again() {
        for (let k = 0; k < 3; k++) yield batchOf(k * 100, 100);
      }
      expect(await after.importRelationships(again())).toBe(4);
      expect(await after.countRelationships({}, 4)).toBe(300);
    } finally {
      await after.close();
    }
  }, 60_000);
});
