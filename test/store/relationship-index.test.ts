import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BugError, RevisionUnavailableError } from '../../src/core/errors.js';
import type { Relationship, SubjectRef } from '../../src/core/refs.js';
import { compareRelationships, formatRelationship, formatSubjectRef, parseRelationship } from '../../src/core/refs.js';
import type { Change } from '../../src/store/datastore.js';
import { RelationshipIndex } from '../../src/store/relationship-index.js';

const rel = (s: string): Relationship => parseRelationship(s);
const touch = (s: string): Change => ({ operation: 'touch', relationship: rel(s) });
const del = (s: string): Change => ({ operation: 'delete', relationship: rel(s) });
const subjects = (xs: Iterable<SubjectRef>) => [...xs].map(formatSubjectRef).sort();

describe('RelationshipIndex', () => {
  it('serves forward and reverse edges at a revision', () => {
    const ix = new RelationshipIndex();
    ix.apply({ revision: 1, changes: [touch('doc:d1#viewer@user:ana'), touch('doc:d1#viewer@team:t1#member'), touch('doc:d2#viewer@user:*')] });
    ix.apply({ revision: 2, changes: [del('doc:d1#viewer@user:ana'), touch('doc:d3#viewer@user:ana')] });
    const s1 = ix.snapshot(1);
    const s2 = ix.snapshot(2);
    expect(subjects(s1.subjects('doc', 'd1', 'viewer'))).toEqual(['team:t1#member', 'user:ana']);
    expect(subjects(s2.subjects('doc', 'd1', 'viewer'))).toEqual(['team:t1#member']);
    expect([...s1.resources('doc', 'viewer', { type: 'user', id: 'ana' })]).toEqual(['d1']);
    expect([...s2.resources('doc', 'viewer', { type: 'user', id: 'ana' })]).toEqual(['d3']);
    expect([...s2.resources('doc', 'viewer', { type: 'user', id: '*' })]).toEqual(['d2']);
    expect([...s2.resources('doc', 'viewer', { type: 'team', id: 't1', relation: 'member' })]).toEqual(['d1']);
    expect([...s2.resources('doc', 'viewer', { type: 'team', id: 't1' })]).toEqual([]);
    expect([...s2.subjects('doc', 'nope', 'viewer')]).toEqual([]);
    expect(s1.hasSubject('doc', 'd1', 'viewer', { type: 'user', id: 'ana' })).toBe(true);
    expect(s2.hasSubject('doc', 'd1', 'viewer', { type: 'user', id: 'ana' })).toBe(false);
    expect(ix.liveCount).toBe(3);
    expect(ix.head).toBe(2);
  });

  it('treats a touch of a live edge and a delete of a missing one as no-ops', () => {
    const ix = new RelationshipIndex();
    ix.apply({ revision: 1, changes: [touch('doc:d1#viewer@user:ana')] });
    ix.apply({ revision: 2, changes: [touch('doc:d1#viewer@user:ana'), del('doc:d1#viewer@user:bob'), del('xxx:yyy#zzz@www:vvv')] });
    expect(ix.liveCount).toBe(1);
    ix.apply({ revision: 3, changes: [del('doc:d1#viewer@user:ana')] });
    // The edge was live from 1, not re-created at 2.
    expect(subjects(ix.snapshot(1).subjects('doc', 'd1', 'viewer'))).toEqual(['user:ana']);
    expect(subjects(ix.snapshot(3).subjects('doc', 'd1', 'viewer'))).toEqual([]);
  });

  it('refuses out-of-order applies and unreadable revisions', () => {
    const ix = new RelationshipIndex();
    ix.apply({ revision: 2, changes: [] });
    expect(() => ix.apply({ revision: 2, changes: [] })).toThrow(BugError);
    expect(() => ix.snapshot(3)).toThrow(RevisionUnavailableError);
    ix.apply({ revision: 3, changes: [touch('doc:d1#viewer@user:ana')] });
    ix.apply({ revision: 4, changes: [del('doc:d1#viewer@user:ana')] });
    expect(ix.collectGarbage(4)).toBe(1);
    expect(() => ix.snapshot(3)).toThrow(RevisionUnavailableError);
    expect(ix.snapshot(4).subjects('doc', 'd1', 'viewer')).toEqual([]);
  });

  it('bulk-loads at a start revision', () => {
    const ix = new RelationshipIndex(10);
    expect(ix.load([rel('doc:d1#viewer@user:ana'), rel('doc:d1#viewer@user:ana'), rel('doc:d2#viewer@user:ana')])).toBe(2);
    expect(() => ix.snapshot(9)).toThrow(RevisionUnavailableError);
    expect([...ix.snapshot(10).resources('doc', 'viewer', { type: 'user', id: 'ana' })].sort()).toEqual(['d1', 'd2']);
    ix.apply({ revision: 11, changes: [] });
    expect(() => ix.load([])).toThrow(BugError);

    // An empty index can start later (history before `at` was garbage-collected), page by page.
    const late = new RelationshipIndex();
    late.load([rel('doc:d1#viewer@user:ana')], 7);
    late.load([rel('doc:d2#viewer@user:ana')], 7);
    expect(late.head).toBe(7);
    expect(() => late.snapshot(6)).toThrow(RevisionUnavailableError);
    expect(() => late.load([], 8)).toThrow(BugError);
    expect(late.read(7, {}).map(formatRelationship)).toEqual(['doc:d1#viewer@user:ana', 'doc:d2#viewer@user:ana']);
  });

  it('keeps wide groups exact across deletes, re-creates and collection', () => {
    const ix = new RelationshipIndex();
    const members = Array.from({ length: 100 }, (_, i) => `group:g#member@user:u${i}`);
    ix.apply({ revision: 1, changes: members.map(touch) });
    ix.apply({ revision: 2, changes: members.filter((_, i) => i % 2 === 0).map(del) });
    ix.apply({ revision: 3, changes: members.filter((_, i) => i % 4 === 0).map(touch) });
    const check = (rev: number, expected: (i: number) => boolean) => {
      const snap = ix.snapshot(rev);
      for (let i = 0; i < 100; i++) {
        expect(snap.hasSubject('group', 'g', 'member', { type: 'user', id: `u${i}` })).toBe(expected(i));
      }
      expect(snap.subjects('group', 'g', 'member').length).toBe(Array.from({ length: 100 }, (_, i) => i).filter(expected).length);
    };
    check(1, () => true);
    check(2, (i) => i % 2 === 1);
    check(3, (i) => i % 2 === 1 || i % 4 === 0);
    expect(ix.collectGarbage(2)).toBe(50);
    check(2, (i) => i % 2 === 1);
    check(3, (i) => i % 2 === 1 || i % 4 === 0);
    // Freed slots get reused by other edges: the wide map must not point at them any more.
    ix.apply({ revision: 4, changes: [del(members[1]!), del(members[3]!)] });
    expect(ix.collectGarbage(4)).toBe(2);
    ix.apply({ revision: 5, changes: [touch('group:other#member@user:u1'), touch('group:other#member@user:u3')] });
    check(5, (i) => (i % 2 === 1 || i % 4 === 0) && i !== 1 && i !== 3);
    ix.apply({ revision: 6, changes: members.map(del) });
    expect(ix.collectGarbage(6)).toBe(73);
    check(6, () => false);
    expect(ix.liveCount).toBe(2);
    // Everything freed is reusable.
    ix.apply({ revision: 7, changes: members.map(touch) });
    check(7, () => true);
  });

  it('iterates in compareRelationships order with filters and a cursor', () => {
    const ix = new RelationshipIndex();
    const all = ['doc:b#viewer@user:x', 'doc:a#viewer@user:y', 'doc:a#editor@user:x', 'doc:a#viewer@team:t#member', 'folder:a#viewer@user:x'];
    ix.apply({ revision: 1, changes: all.map(touch) });
    const expected = all.map(rel).sort(compareRelationships).map(formatRelationship);
    expect(ix.read(1, {}).map(formatRelationship)).toEqual(expected);
    expect(ix.read(1, {}, { after: rel(expected[1]!), limit: 2 }).map(formatRelationship)).toEqual(expected.slice(2, 4));
    expect(ix.read(1, { subject: { type: 'user', id: 'x' } }).map(formatRelationship)).toEqual(
      expected.filter((r) => r.endsWith('@user:x')),
    );
    expect(ix.count(1, { resourceType: 'doc', resourceIdPrefix: 'a' })).toBe(3);
  });

  // The property: after any sequence of batches (with garbage collection interleaved), a snapshot at
  // every readable revision equals a naive replay of the log up to it.
  it('equals a naive replay at every revision', () => {
    const resources = ['doc:a', 'doc:b', 'folder:a'];
    const relations = ['viewer', 'owner'];
    const subjectsU = [
      ...Array.from({ length: 30 }, (_, i) => `user:u${i}`),
      'user:*',
      'team:t1#member',
      'team:t1',
      'team:t2#admin',
      // Enough usersets for the userset chain to grow wide too.
      ...Array.from({ length: 26 }, (_, i) => `team:g${i}#member`),
    ];
    const relString = (r: number, k: number, s: number) => `${resources[r]}#${relations[k]}@${subjectsU[s]}`;
    const op = fc.record({
      del: fc.boolean(),
      // Skewed to one node, so its chain grows wide (past the subject map threshold) and edges churn.
      r: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: resources.length - 1 })),
      k: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: relations.length - 1 })),
      s: fc.integer({ min: 0, max: subjectsU.length - 1 }),
    });
    const step = fc.record({ batch: fc.array(op, { maxLength: 40 }), gc: fc.option(fc.integer({ min: 0, max: 6 }), { freq: 4 }) });

    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const ix = new RelationshipIndex();
        const states: Set<string>[] = [new Set()];
        let oldest = 0;
        steps.forEach(({ batch, gc }, i) => {
          const rev = i + 1;
          const live = new Set(states[i]);
          const changes: Change[] = [];
          for (const o of batch) {
            const s = relString(o.r, o.k, o.s);
            changes.push(o.del ? del(s) : touch(s));
            if (o.del) live.delete(s);
            else live.add(s);
          }
          ix.apply({ revision: rev, changes });
          states.push(live);
          if (gc !== null) {
            const before = Math.max(0, rev - gc);
            ix.collectGarbage(before);
            oldest = Math.max(oldest, before);
          }
        });
        expect(ix.liveCount).toBe(states[states.length - 1]!.size);
        for (let r = oldest; r < states.length; r++) {
          const want = states[r]!;
          const snap = ix.snapshot(r);
          const ordered = [...want].map(rel).sort(compareRelationships).map(formatRelationship);
          expect(ix.read(r, {}).map(formatRelationship)).toEqual(ordered);
          for (const res of resources) {
            const [type, id] = res.split(':') as [string, string];
            for (const relation of relations) {
              const prefix = `${res}#${relation}@`;
              const expectedSubjects = [...want].filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length)).sort();
              expect(subjects(snap.subjects(type, id, relation))).toEqual(expectedSubjects);
              expect(subjects(snap.usersets(type, id, relation))).toEqual(expectedSubjects.filter((x) => x.includes('#')));
              for (const subj of subjectsU) {
                const ref = rel(`${prefix}${subj}`).subject;
                expect(snap.hasSubject(type, id, relation, ref)).toBe(want.has(`${prefix}${subj}`));
              }
            }
          }
          for (const subj of subjectsU) {
            const ref = rel(`doc:x#r00@${subj}`).subject;
            for (const type of ['doc', 'folder']) {
              for (const relation of relations) {
                const expected = [...want]
                  .filter((x) => x.startsWith(`${type}:`) && x.endsWith(`#${relation}@${subj}`))
                  .map((x) => x.slice(type.length + 1, x.indexOf('#')))
                  .sort();
                expect([...snap.resources(type, relation, ref)].sort()).toEqual(expected);
              }
            }
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
