/**
 * The datastore conformance suite: every backend (memory, SQLite, later PostgreSQL) must pass it
 * unchanged. It speaks only the Datastore interface, never a backend's own API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  PreconditionFailedError,
  RelationshipExistsError,
  RevisionUnavailableError,
} from '../../src/core/errors.js';
import type { RelationshipFilter } from '../../src/core/filter.js';
import type { Relationship } from '../../src/core/refs.js';
import { compareRelationships, formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import type { Datastore, RelationshipUpdate, RevisionChanges, UpdateOperation } from '../../src/store/datastore.js';
import { readAllRelationships } from '../../src/store/read-all.js';

const rel = (s: string): Relationship => parseRelationship(s);
const fmt = (rs: readonly Relationship[]): string[] => rs.map(formatRelationship);
const up = (operation: UpdateOperation, ...rels: string[]): RelationshipUpdate[] =>
  rels.map((r) => ({ operation, relationship: rel(r) }));
const sorted = (rs: string[]): string[] => [...rs].sort((a, b) => compareRelationships(rel(a), rel(b)));
const changeStrings = (rc: RevisionChanges): string[] =>
  rc.changes.map((c) => `${c.operation} ${formatRelationship(c.relationship)}`).sort();

export function runDatastoreSuite(
  name: string,
  factory: () => Promise<Datastore>,
  cleanup?: (ds: Datastore) => Promise<void>,
): void {
  describe(`datastore conformance: ${name}`, () => {
    let ds: Datastore;

    beforeEach(async () => {
      ds = await factory();
    });
    afterEach(async () => {
      await ds.close();
      await cleanup?.(ds);
    });

    const readAll = (at: Revision, filter: RelationshipFilter = {}) => ds.readRelationships(filter, at).then(fmt);
    const touch = (...rels: string[]) => ds.write({ updates: up('touch', ...rels) });

    it('starts empty at revision 0', async () => {
      expect(typeof ds.storeId).toBe('string');
      expect(ds.storeId.length).toBeGreaterThan(0);
      expect(await ds.headRevision()).toBe(0);
      expect(await ds.oldestReadableRevision()).toBe(0);
      expect(await readAll(0)).toEqual([]);
      expect(await ds.countRelationships({}, 0)).toBe(0);
      expect(await ds.readSchema(0)).toBeUndefined();
      expect(await ds.changesSince(0)).toEqual([]);
    });

    it('writes and reads relationships at the new revision, not before', async () => {
      const rels = ['doc:d1#viewer@user:ana', 'doc:d1#owner@user:bob', 'team:t1#member@user:ana', 'doc:d2#viewer@team:t1#member'];
      const r1 = await touch(...rels);
      expect(r1).toBe(1);
      expect(await ds.headRevision()).toBe(1);
      expect(await readAll(1)).toEqual(sorted(rels));
      expect(await readAll(0)).toEqual([]);
    });

    it('stores `...` as no subject relation and keeps wildcards', async () => {
      await touch('doc:d1#viewer@user:ana#...', 'doc:d1#viewer@user:*');
      const read = await ds.readRelationships({}, 1);
      expect(fmt(read)).toEqual(['doc:d1#viewer@user:*', 'doc:d1#viewer@user:ana']);
      expect(read[1]!.subject.relation).toBeUndefined();
    });

    it('gives every write a new revision, even when every touch is a no-op', async () => {
      await touch('doc:d1#viewer@user:ana');
      const r2 = await touch('doc:d1#viewer@user:ana');
      expect(r2).toBe(2);
      expect(await ds.countRelationships({}, 2)).toBe(1);
      const changes = await ds.changesSince(1);
      expect(changes.map((c) => c.revision)).toEqual([2]);
      expect(changes[0]!.changes).toEqual([]);
    });

    it('refuses to create an existing relationship and writes nothing', async () => {
      await touch('doc:d1#viewer@user:ana');
      await expect(
        ds.write({ updates: [...up('touch', 'doc:d2#viewer@user:ana'), ...up('create', 'doc:d1#viewer@user:ana')] }),
      ).rejects.toBeInstanceOf(RelationshipExistsError);
      expect(await ds.headRevision()).toBe(1);
      expect(await readAll(1)).toEqual(['doc:d1#viewer@user:ana']);
      const r = await ds.write({ updates: up('create', 'doc:d2#viewer@user:ana') });
      expect(await readAll(r)).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
    });

    it('deletes; a delete of a missing relationship is a no-op', async () => {
      await touch('doc:d1#viewer@user:ana', 'doc:d1#viewer@user:bob');
      const r2 = await ds.write({ updates: up('delete', 'doc:d1#viewer@user:ana', 'doc:d9#viewer@user:zed') });
      expect(r2).toBe(2);
      expect(await readAll(2)).toEqual(['doc:d1#viewer@user:bob']);
      expect(await readAll(1)).toEqual(['doc:d1#viewer@user:ana', 'doc:d1#viewer@user:bob']);
      const [c] = await ds.changesSince(1);
      expect(changeStrings(c!)).toEqual(['delete doc:d1#viewer@user:ana']);
    });

    it('refuses a batch that names the same relationship twice', async () => {
      const bad = ds.write({ updates: [...up('touch', 'doc:d1#viewer@user:ana'), ...up('delete', 'doc:d1#viewer@user:ana#...')] });
      await expect(bad).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(bad).rejects.toThrow(/doc:d1#viewer@user:ana/);
      expect(await ds.headRevision()).toBe(0);
    });

    it('checks preconditions against the live state; a failing one writes nothing', async () => {
      await touch('doc:d1#owner@user:ana');
      const owner: RelationshipFilter = { resourceType: 'doc', resourceId: 'd1', relation: 'owner' };
      const missing: RelationshipFilter = { resourceType: 'doc', resourceId: 'd2' };
      await expect(
        ds.write({ updates: up('touch', 'doc:d1#viewer@user:bob'), preconditions: [{ operation: 'must_match', filter: missing }] }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(
        ds.write({ updates: up('touch', 'doc:d1#viewer@user:bob'), preconditions: [{ operation: 'must_not_match', filter: owner }] }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await ds.headRevision()).toBe(1);
      const r = await ds.write({
        updates: up('touch', 'doc:d1#viewer@user:bob'),
        preconditions: [
          { operation: 'must_match', filter: owner },
          { operation: 'must_not_match', filter: missing },
        ],
      });
      expect(await readAll(r)).toEqual(['doc:d1#owner@user:ana', 'doc:d1#viewer@user:bob']);
      // Deleted relationships no longer satisfy must_match.
      await ds.write({ updates: up('delete', 'doc:d1#owner@user:ana') });
      await expect(
        ds.write({ updates: up('touch', 'doc:d1#viewer@user:cat'), preconditions: [{ operation: 'must_match', filter: owner }] }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('applies a batch atomically: a bad update anywhere leaves nothing behind', async () => {
      await touch('doc:d1#viewer@user:ana', 'doc:d9#viewer@user:ana');
      const before = await readAll(1);
      await expect(
        ds.write({
          updates: [
            ...up('touch', 'doc:d2#viewer@user:ana', 'doc:d3#viewer@user:ana'),
            ...up('delete', 'doc:d1#viewer@user:ana'),
            ...up('create', 'doc:d9#viewer@user:ana'),
          ],
        }),
      ).rejects.toBeInstanceOf(RelationshipExistsError);
      expect(await ds.headRevision()).toBe(1);
      expect(await readAll(1)).toEqual(before);
      expect(await ds.changesSince(0)).toHaveLength(1);
    });

    it('deletes by filter, and reports partial deletes under a limit', async () => {
      const rels = Array.from({ length: 10 }, (_, i) => `doc:d${i}#viewer@user:ana`);
      await touch(...rels, 'doc:x#owner@user:ana', 'folder:f1#viewer@user:ana');
      const first = await ds.deleteRelationships({ resourceType: 'doc', relation: 'viewer' }, { limit: 4 });
      expect(first).toEqual({ revision: 2, deleted: 4, partial: true });
      expect(await ds.countRelationships({ resourceType: 'doc', relation: 'viewer' }, 2)).toBe(6);
      const rest = await ds.deleteRelationships({ resourceType: 'doc', relation: 'viewer' });
      expect(rest).toEqual({ revision: 3, deleted: 6, partial: false });
      expect(await readAll(3)).toEqual(['doc:x#owner@user:ana', 'folder:f1#viewer@user:ana']);
      const exact = await ds.deleteRelationships({ resourceType: 'doc' }, { limit: 1 });
      expect(exact).toEqual({ revision: 4, deleted: 1, partial: false });
      await expect(
        ds.deleteRelationships({ resourceType: 'folder' }, { preconditions: [{ operation: 'must_match', filter: { resourceType: 'doc' } }] }),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await ds.headRevision()).toBe(4);
      expect(await readAll(4)).toEqual(['folder:f1#viewer@user:ana']);
    });

    it('paginates: every relationship exactly once, in order', async () => {
      const rels: string[] = [];
      for (const type of ['doc', 'folder', 'team']) {
        for (let i = 0; i < 7; i++) {
          rels.push(`${type}:id${i}#viewer@user:u${i % 3}`, `${type}:id${i}#editor@user:u${i}`);
          if (i % 2 === 0) rels.push(`${type}:id${i}#viewer@team:t${i}#member`, `${type}:id${i}#viewer@user:*`);
        }
      }
      await touch(...rels);
      for (const [filter, expected] of [
        [{}, sorted(rels)],
        [{ resourceType: 'folder' }, sorted(rels.filter((r) => r.startsWith('folder:')))],
        [{ relation: 'viewer' }, sorted(rels.filter((r) => r.includes('#viewer@')))],
        [{ subject: { type: 'user', id: 'u1' } }, sorted(rels.filter((r) => r.endsWith('@user:u1')))],
      ] as const) {
        for (const pageSize of [1, 5, 13]) {
          const seen: string[] = [];
          let after: Relationship | undefined;
          for (;;) {
            const page = await ds.readRelationships(filter, 1, { limit: pageSize, after });
            expect(page.length).toBeLessThanOrEqual(pageSize);
            seen.push(...fmt(page));
            if (page.length < pageSize) break;
            after = page[page.length - 1];
          }
          expect(seen).toEqual(expected);
        }
      }
    });

    it('streams everything at a revision page by page', async () => {
      const rels = Array.from({ length: 25 }, (_, i) => `doc:d${i}#viewer@user:u${i % 4}`);
      const r1 = await touch(...rels);
      await ds.write({ updates: up('delete', ...rels.slice(0, 10)) });
      const pages: string[][] = [];
      for await (const page of readAllRelationships(ds, { resourceType: 'doc' }, r1, 10)) pages.push(fmt(page));
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(sorted(rels));
    });

    it('filters by resource id, id prefix, relation and subject (with `...` versus a named relation)', async () => {
      const rels = [
        'doc:a1#viewer@user:ana',
        'doc:a2#viewer@team:t1#member',
        'doc:a2#viewer@team:t1',
        'doc:b1#viewer@user:ana',
        'doc:b1#owner@team:t1#admin',
        'folder:a1#viewer@user:ana',
      ];
      await touch(...rels);
      const q = (f: RelationshipFilter) => readAll(1, f);
      expect(await q({ resourceType: 'doc', resourceIdPrefix: 'a' })).toEqual(sorted(rels.slice(0, 3)));
      expect(await q({ resourceType: 'doc', resourceId: 'b1' })).toEqual(sorted(rels.slice(3, 5)));
      expect(await q({ resourceType: 'doc', resourceId: 'b1', resourceIdPrefix: 'a' })).toEqual([]);
      expect(await q({ resourceIdPrefix: 'a1' })).toEqual(['doc:a1#viewer@user:ana', 'folder:a1#viewer@user:ana']);
      expect(await q({ subject: { type: 'team' } })).toEqual(sorted(rels.slice(1, 3).concat(rels[4]!)));
      expect(await q({ subject: { type: 'team', id: 't1', relation: '...' } })).toEqual(['doc:a2#viewer@team:t1']);
      expect(await q({ subject: { type: 'team', id: 't1', relation: 'member' } })).toEqual(['doc:a2#viewer@team:t1#member']);
      expect(await q({ subject: { type: 'team', relation: 'admin' } })).toEqual(['doc:b1#owner@team:t1#admin']);
      expect(await q({ resourceType: 'doc', relation: 'viewer', subject: { type: 'user', id: 'ana' } })).toEqual([
        'doc:a1#viewer@user:ana',
        'doc:b1#viewer@user:ana',
      ]);
      expect(await q({ subject: { type: 'user', id: 'ana' }, resourceIdPrefix: 'b' })).toEqual(['doc:b1#viewer@user:ana']);
      expect(await q({ resourceType: 'nothing' })).toEqual([]);
      expect(await ds.countRelationships({ resourceType: 'doc', relation: 'viewer' }, 1)).toBe(4);
      expect(await ds.countRelationships({ subject: { type: 'user', id: 'ana' } }, 1)).toBe(3);
    });

    it('reads each revision as it was (MVCC) across deletes and re-creates', async () => {
      const a = 'doc:d1#viewer@user:ana';
      const b = 'doc:d1#viewer@user:bob';
      const r1 = await touch(a, b);
      const r2 = await ds.write({ updates: up('delete', a) });
      const r3 = await ds.write({ updates: up('create', a) });
      const r4 = await ds.write({ updates: [...up('delete', a), ...up('delete', b)] });
      const r5 = await touch(a);
      expect(await readAll(r1)).toEqual([a, b]);
      expect(await readAll(r2)).toEqual([b]);
      expect(await readAll(r3)).toEqual([a, b]);
      expect(await readAll(r4)).toEqual([]);
      expect(await readAll(r5)).toEqual([a]);
      expect(await ds.countRelationships({}, r3)).toBe(2);
      expect(await ds.countRelationships({ subject: { type: 'user', id: 'ana' } }, r4)).toBe(0);
      await expect(ds.readRelationships({}, r5 + 1)).rejects.toBeInstanceOf(RevisionUnavailableError);
    });

    it('stores schemas at revisions', async () => {
      await touch('doc:d1#viewer@user:ana');
      const s2 = await ds.writeSchema('definition user {}', 'h1');
      const r3 = await touch('doc:d2#viewer@user:ana');
      const s4 = await ds.writeSchema('definition user {}\ndefinition doc {}', 'h2');
      expect([s2, r3, s4]).toEqual([2, 3, 4]);
      expect(await ds.readSchema(1)).toBeUndefined();
      expect(await ds.readSchema(2)).toEqual({ text: 'definition user {}', hash: 'h1', revision: 2 });
      expect((await ds.readSchema(3))?.hash).toBe('h1');
      expect(await ds.readSchema(4)).toEqual({ text: 'definition user {}\ndefinition doc {}', hash: 'h2', revision: 4 });
      expect(await readAll(4)).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
    });

    it('lists every committed revision in changesSince, oldest first, with its changes', async () => {
      await touch('doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana');
      await ds.writeSchema('definition user {}', 'h1');
      await ds.write({ updates: [...up('delete', 'doc:d1#viewer@user:ana'), ...up('touch', 'doc:d3#viewer@team:t#member')] });
      await touch('doc:d2#viewer@user:ana');
      await ds.deleteRelationships({ resourceId: 'd2', resourceType: 'doc' });
      const all = await ds.changesSince(0);
      expect(all.map((c) => c.revision)).toEqual([1, 2, 3, 4, 5]);
      expect(all.map(changeStrings)).toEqual([
        ['touch doc:d1#viewer@user:ana', 'touch doc:d2#viewer@user:ana'],
        [],
        ['delete doc:d1#viewer@user:ana', 'touch doc:d3#viewer@team:t#member'],
        [],
        ['delete doc:d2#viewer@user:ana'],
      ]);
      expect(all[1]!.schema).toEqual({ text: 'definition user {}', hash: 'h1', revision: 2 });
      expect(all.filter((c) => c.schema).length).toBe(1);
      expect((await ds.changesSince(1, 2)).map((c) => c.revision)).toEqual([2, 3]);
      expect((await ds.changesSince(4)).map((c) => c.revision)).toEqual([5]);
      expect(await ds.changesSince(5)).toEqual([]);
    });

    it('calls onCommit listeners after each commit, until unsubscribed', async () => {
      const heads: Revision[] = [];
      const off = ds.onCommit((head) => heads.push(head));
      await touch('doc:d1#viewer@user:ana');
      await ds.writeSchema('definition user {}', 'h');
      await ds.deleteRelationships({ resourceType: 'doc' });
      // A wake-up may come late; the committed head is what matters.
      await new Promise((r) => setTimeout(r, 20));
      expect(heads).toContain(3);
      expect(Math.max(...heads)).toBe(3);
      off();
      await touch('doc:d2#viewer@user:ana');
      await new Promise((r) => setTimeout(r, 20));
      expect(heads).not.toContain(4);
      // Refused writes commit nothing and wake nobody.
      const seen: Revision[] = [];
      ds.onCommit((h) => seen.push(h));
      await expect(ds.write({ updates: up('create', 'doc:d2#viewer@user:ana') })).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([]);
    });

    it('collects garbage without changing what newer revisions see', async () => {
      const a = 'doc:d1#viewer@user:ana';
      const b = 'doc:d1#viewer@user:bob';
      const c = 'doc:d2#viewer@user:cat';
      await touch(a, b, c); // 1
      await ds.writeSchema('definition one {}', 'h1'); // 2
      await ds.write({ updates: up('delete', a) }); // 3
      await touch(a); // 4
      await ds.write({ updates: up('delete', b) }); // 5
      await ds.writeSchema('definition two {}', 'h2'); // 6
      await ds.write({ updates: up('delete', c) }); // 7
      const views = new Map<number, string[]>();
      for (let r = 5; r <= 7; r++) views.set(r, await readAll(r));
      const changesAfter5 = await ds.changesSince(5);
      const removed = await ds.collectGarbage(5);
      expect(removed).toBeGreaterThanOrEqual(2); // a@[1,3) and b@[1,5)
      expect(await ds.oldestReadableRevision()).toBe(5);
      for (let r = 5; r <= 7; r++) expect(await readAll(r)).toEqual(views.get(r));
      expect(await ds.countRelationships({}, 5)).toBe(2);
      expect((await ds.readSchema(5))?.hash).toBe('h1');
      expect((await ds.readSchema(6))?.hash).toBe('h2');
      expect(await ds.changesSince(5)).toEqual(changesAfter5);
      await expect(ds.readRelationships({}, 4)).rejects.toBeInstanceOf(RevisionUnavailableError);
      await expect(ds.changesSince(3)).rejects.toBeInstanceOf(RevisionUnavailableError);
      // Still writable, and a second collection with nothing to do is harmless.
      const r8 = await touch(b);
      expect(await readAll(r8)).toEqual([a, b]);
      expect(await ds.collectGarbage(5)).toBe(0);
      expect(await ds.collectGarbage(8)).toBeGreaterThanOrEqual(1); // c@[1,7)
      expect(await readAll(8)).toEqual([a, b]);
    });

    it('imports batches at a revision each; a relationship named again later is touched once', async () => {
      async function* batches() {
        yield [rel('doc:d1#viewer@user:ana'), rel('doc:d2#viewer@user:ana#...')];
        yield [];
        yield [rel('doc:d3#viewer@team:t#member'), rel('doc:d1#viewer@user:ana')];
        yield [rel('doc:d4#viewer@user:*')];
      }
      await ds.writeSchema('definition user {}', 'h');
      const last = await ds.importRelationships(batches());
      expect(last).toBe(4);
      expect(await readAll(4)).toEqual(
        sorted(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana', 'doc:d3#viewer@team:t#member', 'doc:d4#viewer@user:*']),
      );
      const feed = await ds.changesSince(1);
      expect(feed.map((c) => c.revision)).toEqual([2, 3, 4]);
      expect(feed.map(changeStrings)).toEqual([
        ['touch doc:d1#viewer@user:ana', 'touch doc:d2#viewer@user:ana'],
        ['touch doc:d3#viewer@team:t#member'],
        ['touch doc:d4#viewer@user:*'],
      ]);
      expect(await readAll(2)).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
      // Still a normal store afterwards: creates of imported relationships are refused, writes land.
      await expect(ds.write({ updates: up('create', 'doc:d3#viewer@team:t#member') })).rejects.toBeInstanceOf(RelationshipExistsError);
      expect(await touch('doc:d5#viewer@user:bob')).toBe(5);
      expect(await ds.countRelationships({ subject: { type: 'user', id: 'ana' } }, 5)).toBe(2);
      expect(await ds.importRelationships((async function* () {})())).toBeUndefined();
    });

    it('keeps the batches an import source yielded before it failed', async () => {
      async function* failing() {
        yield [rel('doc:d1#viewer@user:ana')];
        yield [rel('doc:d2#viewer@user:ana')];
        throw new InvalidArgumentError('line 3: bad');
      }
      await expect(ds.importRelationships(failing())).rejects.toThrow(/line 3: bad/);
      expect(await ds.headRevision()).toBe(2);
      expect(await readAll(2)).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
      // Into a store that is no longer empty, batch by batch: the same outcome.
      await expect(ds.importRelationships(failing())).rejects.toThrow(/line 3: bad/);
      expect(await readAll(await ds.headRevision())).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
    });

    it('marks the end of the feed under maxChanges: a short answer with fewer changes is all there is', async () => {
      for (let i = 0; i < 5; i++) await touch(`doc:d${i}#viewer@user:a`, `doc:d${i}#viewer@user:b`);
      const seen: number[] = [];
      let after = 0;
      for (let calls = 0; calls < 10; calls++) {
        const page = await ds.changesSince(after, 100, 3);
        if (page.length === 0) break;
        for (const rc of page) seen.push(rc.revision);
        after = page[page.length - 1]!.revision;
        const changes = page.reduce((n, rc) => n + rc.changes.length, 0);
        if (page.length < 100 && changes < 3) break;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    });

    it('handles a 10,000-update batch in one revision', async () => {
      const updates = Array.from({ length: 10_000 }, (_, i) => ({
        operation: 'touch' as const,
        relationship: rel(`doc:d${i % 500}#viewer@user:u${i}`),
      }));
      const r = await ds.write({ updates });
      expect(r).toBe(1);
      expect(await ds.countRelationships({}, r)).toBe(10_000);
      expect(await ds.countRelationships({ resourceType: 'doc', resourceId: 'd7' }, r)).toBe(20);
      const [c] = await ds.changesSince(0);
      expect(c!.changes).toHaveLength(10_000);
    });
  });
}
