/**
 * Revisions under concurrency: commit order must equal revision order, so that a read at revision R
 * sees exactly the writes numbered <= R, however the writers interleave and whenever the read runs.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRelationship, parseRelationship } from '../../src/core/refs.js';
import type { Revision } from '../../src/core/revision.js';
import type { RelationshipUpdate } from '../../src/store/datastore.js';
import { PostgresDatastore } from '../../src/store/postgres/postgres-datastore.js';
import { TestSchemas, postgresUrl } from '../support/postgres.js';

const url = postgresUrl ?? '';
const schemas = new TestSchemas();
const open = (schema: string, migrate = false) =>
  PostgresDatastore.open(url, { schema, migrate, poolSize: 2, listen: false, applicationName: 'warden-test' });

const WRITERS = 8;
const BATCHES = 50;

/** Writer w's batch k: five members, and the writer's single "current" marker moved from k-1 to k. */
function batch(w: number, k: number): { updates: RelationshipUpdate[]; after: string[] } {
  const members = [0, 1, 2, 3, 4].map((i) => `batch:w${w}_${k}#member@user:u${i}`);
  const marker = `marker:w${w}#current@step:s${k}`;
  const updates: RelationshipUpdate[] = [...members, marker].map((s) => ({ operation: 'touch', relationship: parseRelationship(s) }));
  if (k > 0) updates.push({ operation: 'delete', relationship: parseRelationship(`marker:w${w}#current@step:s${k - 1}`) });
  return { updates, after: [...members, marker] };
}

/** What a read at `rev` must return, given the revision each batch committed at. */
function expectedAt(rev: Revision, revs: Map<string, Revision>): string[] {
  const out: string[] = [];
  for (let w = 0; w < WRITERS; w++) {
    let last = -1;
    for (let k = 0; k < BATCHES; k++) {
      const r = revs.get(`${w}/${k}`);
      if (r === undefined || r > rev) continue;
      last = Math.max(last, k);
      out.push(...[0, 1, 2, 3, 4].map((i) => `batch:w${w}_${k}#member@user:u${i}`));
    }
    if (last >= 0) out.push(`marker:w${w}#current@step:s${last}`);
  }
  return out.sort();
}

describe.skipIf(!postgresUrl)('postgres revisions under concurrency', () => {
  afterAll(() => schemas.dropAll());

  it('makes a writer wait for an earlier in-flight revision; readers do not wait', async () => {
    const schema = schemas.create();
    const ds = await open(schema, true);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // Another process has taken revision 1 and not committed yet.
      await other.query('BEGIN');
      const taken = await other.query<{ rev: string }>(`UPDATE "${schema}".warden_head SET rev = rev + 1 RETURNING rev`);
      expect(Number(taken.rows[0]!.rev)).toBe(1);
      await other.query(
        `INSERT INTO "${schema}".warden_relationships (resource_type, resource_id, relation, subject_type, subject_id, subject_relation, created_rev)
         VALUES ('doc', 'early', 'viewer', 'user', 'ana', '', 1)`,
      );
      let done = false;
      const write = ds.write({ updates: [{ operation: 'touch', relationship: parseRelationship('doc:late#viewer@user:ana') }] });
      void write.then(() => (done = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      expect(await ds.headRevision()).toBe(0);
      expect(await ds.readRelationships({}, 0)).toEqual([]);
      await other.query('COMMIT');
      expect(await write).toBe(2);
      expect((await ds.readRelationships({}, 1)).map(formatRelationship)).toEqual(['doc:early#viewer@user:ana']);
      expect((await ds.readRelationships({}, 2)).map(formatRelationship)).toEqual(['doc:early#viewer@user:ana', 'doc:late#viewer@user:ana']);
    } finally {
      await other.end();
      await ds.close();
    }
  });

  it(`${WRITERS} processes x ${BATCHES} batches: every revision read while they write shows exactly the batches numbered <= it`, async () => {
    const schema = schemas.create();
    const reader = await open(schema, true);
    const writers = await Promise.all(Array.from({ length: WRITERS }, () => open(schema)));
    const revs = new Map<string, Revision>();
    const snapshots: { head: Revision; rels: string[] }[] = [];
    let writing = true;
    try {
      const reading = (async () => {
        let lastHead = 0;
        while (writing) {
          const head = await reader.headRevision();
          expect(head).toBeGreaterThanOrEqual(lastHead);
          lastHead = head;
          const rels = (await reader.readRelationships({}, head)).map(formatRelationship);
          snapshots.push({ head, rels });
          // Checked as it runs too: a writer's batches visible at one revision are a prefix, and its
          // marker names the last of them (never a later batch without an earlier one).
          for (let w = 0; w < WRITERS; w++) {
            const seen = new Set(rels.filter((r) => r.startsWith(`batch:w${w}_`)).map((r) => Number(/_(\d+)#/.exec(r)![1])));
            const markers = rels.filter((r) => r.startsWith(`marker:w${w}#`));
            if (seen.size === 0) {
              expect(markers).toEqual([]);
              continue;
            }
            expect([...seen].sort((a, b) => a - b)).toEqual([...Array(seen.size).keys()]);
            expect(markers).toEqual([`marker:w${w}#current@step:s${seen.size - 1}`]);
          }
        }
      })();
      await Promise.all(
        writers.map(async (ds, w) => {
          for (let k = 0; k < BATCHES; k++) revs.set(`${w}/${k}`, await ds.write({ updates: batch(w, k).updates }));
        }),
      ).finally(() => (writing = false));
      await reading;

      // Dense and unique: the committed revisions are exactly 1..WRITERS*BATCHES.
      const all = [...revs.values()].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: WRITERS * BATCHES }, (_, i) => i + 1));
      // Each writer's own revisions increase with its batches.
      for (let w = 0; w < WRITERS; w++) {
        for (let k = 1; k < BATCHES; k++) expect(revs.get(`${w}/${k}`)!).toBeGreaterThan(revs.get(`${w}/${k - 1}`)!);
      }
      // Every read taken mid-flight equals what its revision must contain.
      expect(snapshots.length).toBeGreaterThan(5);
      for (const s of snapshots) expect(s.rels).toEqual(expectedAt(s.head, revs));
      // And reading those revisions again now gives the same answers.
      for (const s of snapshots.slice(0, 20)) expect((await reader.readRelationships({}, s.head)).map(formatRelationship)).toEqual(s.rels);
      // The change feed lists every revision once, in order, with exactly its batch.
      const feed = await reader.changesSince(0);
      expect(feed.map((c) => c.revision)).toEqual(all);
      const byRev = new Map([...revs].map(([key, rev]) => [rev, key]));
      for (const c of feed) {
        const [w, k] = byRev.get(c.revision)!.split('/').map(Number) as [number, number];
        const touched = c.changes.filter((x) => x.operation === 'touch').map((x) => formatRelationship(x.relationship));
        expect(touched.sort()).toEqual(batch(w, k).after.sort());
        expect(c.changes.filter((x) => x.operation === 'delete')).toHaveLength(k > 0 ? 1 : 0);
      }
    } finally {
      writing = false;
      await Promise.all([reader, ...writers].map((ds) => ds.close()));
    }
  }, 120_000);
});
