/**
 * The statements of a write transaction, and why its revisions are correct under concurrency.
 *
 * Every write transaction (READ COMMITTED) begins with
 *     UPDATE warden_head SET rev = rev + 1 RETURNING rev
 * on the table's single row, as its own statement, and commits soon after.
 *
 * Dense: the increment is transactional. A write that rolls back gives its number back (the next writer
 * reads the row as it was), so the committed revisions are exactly 1..head. A sequence is not
 * transactional: rollbacks leave holes that a change feed cannot tell from commits it has not seen.
 *
 * Commit order is revision order: the UPDATE locks the row until the transaction ends. Writer N+1's
 * UPDATE waits on that lock, and PostgreSQL releases a transaction's locks only after marking it
 * committed (visible to every new snapshot), so N+1 gets its number only once N is visible, and
 * commits after it. Hence a snapshot that shows head = N shows every write numbered <= N, and because
 * rows carry their revisions (created_rev, deleted_rev), a read at N returns the same answer whenever
 * it runs: later writes are filtered out by number, earlier ones are all committed. Numbering by
 * `txid <= N` (or a sequence drawn at the start) gets this wrong: numbers are handed out when a
 * transaction starts writing, not when it commits, so txid 100 can still be in flight when 101 commits;
 * a reader at "101" then sees 101 without 100, and the same read repeated later sees 100 appear below
 * a revision already handed out in a zookie.
 *
 * SpiceDB keeps concurrent writers instead: a revision is the writer's xid8 plus its snapshot, and
 * visibility is pg_visible_in_snapshot. Such revisions are only partially ordered (two snapshots can be
 * incomparable), which the integer Revision of core/revision.ts cannot express, and a change feed in
 * that model needs snapshot arithmetic on every poll. The price here is that writers take turns for
 * the length of one transaction (a few round trips), while reads never wait. The critical section is
 * kept short: validation happens before BEGIN, writes from one process queue in memory instead of
 * holding pooled connections on the lock, and preconditions plus the whole batch are one statement.
 *
 * The revision is taken in a statement of its own because READ COMMITTED gives each later statement a
 * snapshot taken after the wait, i.e. after the previous writer committed: precondition checks,
 * create conflicts and deletes all see every earlier revision. A CTE joining the UPDATE to the data
 * statements would run them on a snapshot from before the wait. Since writers are serialised, those
 * checks need no FOR SHARE and cannot race; GC only deletes rows that are no longer live, which no
 * writer touches.
 *
 * The same statement NOTIFYs the commit channel: notifications are delivered when (and only if) the
 * transaction commits, in commit order, which is the wake-up other replicas follow.
 */
import type pg from 'pg';
import { RelationshipExistsError } from '../../core/errors.js';
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import { formatRelationship } from '../../core/refs.js';
import type { Revision } from '../../core/revision.js';
import type { Precondition, UpdateOperation } from '../datastore.js';
import type { RelationshipRow } from '../sqlite/filter-sql.js';
import { COLUMNS, rowToRelationship } from '../sqlite/filter-sql.js';
import { checkPreconditions } from '../write-checks.js';
import type { Tables } from './sql.js';
import { KEY_JOIN, LIVE, Params, filterConditions, unnestKeys } from './sql.js';

/** Takes the next revision and holds the head lock until the transaction ends. The first statement. */
export async function takeRevision(c: pg.ClientBase, t: Tables): Promise<Revision> {
  const r = await c.query<{ rev: string }>(
    `WITH h AS (UPDATE ${t.head} SET rev = rev + 1 RETURNING rev),
          r AS (INSERT INTO ${t.revisions} (rev) SELECT rev FROM h)
     SELECT rev, pg_notify($1, rev::text) FROM h`,
    [t.channel],
  );
  return Number(r.rows[0]!.rev);
}

/** Evaluates every precondition in one round trip, then reports the first that fails (write-checks.ts). */
export async function checkPreconditionsIn(
  c: pg.ClientBase,
  t: Tables,
  preconditions: readonly Precondition[] | undefined,
): Promise<void> {
  if (!preconditions || preconditions.length === 0) return;
  const p = new Params();
  const exists = preconditions.map(
    (pc, i) => `EXISTS (SELECT 1 FROM ${t.relationships} WHERE ${filterConditions(pc.filter, p, 'live').join(' AND ')}) AS m${i}`,
  );
  const r = await c.query<Record<string, boolean>>(`SELECT ${exists.join(', ')}`, p.values);
  const row = r.rows[0]!;
  const matched = new Map(preconditions.map((pc, i) => [pc.filter, row[`m${i}`] === true]));
  checkPreconditions(preconditions, (f) => matched.get(f) === true);
}

export interface NormalizedUpdate {
  readonly operation: UpdateOperation;
  readonly relationship: Relationship;
}

/**
 * Checks the preconditions and applies a batch in one statement, however large, so that the head lock
 * is held for a single round trip between taking the revision and committing. Every part of a WITH
 * reads the snapshot from before the statement: the preconditions see the state before the batch, and
 * as the batch is free of duplicates each relationship is touched by one part only, so their order
 * does not matter. When a precondition fails, `gate` is false and no part modifies anything.
 */
export async function applyBatch(
  c: pg.ClientBase,
  t: Tables,
  rev: Revision,
  preconditions: readonly Precondition[] | undefined,
  updates: readonly NormalizedUpdate[],
): Promise<void> {
  const deletes: Relationship[] = [];
  const touches: Relationship[] = [];
  const creates: Relationship[] = [];
  for (const u of updates) (u.operation === 'delete' ? deletes : u.operation === 'touch' ? touches : creates).push(u.relationship);
  const pcs = preconditions ?? [];
  const p = new Params();
  // Bound only if used: PostgreSQL refuses a parameter that the statement never mentions.
  let revParam: string | undefined;
  const r = () => (revParam ??= p.add(rev));
  const exists = pcs.map(
    (pc, i) => `EXISTS (SELECT 1 FROM ${t.relationships} WHERE ${filterConditions(pc.filter, p, 'live').join(' AND ')}) AS m${i}`,
  );
  const pass = pcs.map((pc, i) => (pc.operation === 'must_match' ? `m${i}` : `NOT m${i}`)).join(' AND ') || 'true';
  const open = '(SELECT pass FROM gate)';
  const insertInto = () => `INSERT INTO ${t.relationships} (${COLUMNS}, created_rev) SELECT ${COLUMNS}, ${r()} FROM`;
  const onConflict = `ON CONFLICT (${COLUMNS}) WHERE deleted_rev = ${LIVE} DO NOTHING`;
  const parts = [`pre AS (SELECT ${exists.join(', ') || 'true AS none'})`, `gate AS (SELECT ${pass} AS pass FROM pre)`];
  if (deletes.length > 0) {
    parts.push(`d AS (UPDATE ${t.relationships} AS r SET deleted_rev = ${r()} FROM ${unnestKeys(deletes, p)}
                      WHERE ${KEY_JOIN} AND r.deleted_rev = ${LIVE} AND ${open})`);
  }
  if (creates.length > 0) parts.push(`c AS (${insertInto()} ${unnestKeys(creates, p)} WHERE ${open} ${onConflict} RETURNING 1)`);
  if (touches.length > 0) parts.push(`tt AS (${insertInto()} ${unnestKeys(touches, p)} WHERE ${open} ${onConflict})`);
  const created = creates.length > 0 ? '(SELECT count(*) FROM c)' : '0';
  const res = await c.query<Record<string, unknown>>(`WITH ${parts.join(',\n')} SELECT pre.*, ${created} AS created FROM pre`, p.values);
  const row = res.rows[0]!;
  const matched = new Map(pcs.map((pc, i) => [pc.filter, row[`m${i}`] === true]));
  checkPreconditions(pcs, (f) => matched.get(f) === true);
  if (Number(row.created) < creates.length) throw new RelationshipExistsError(formatRelationship(await firstExisting(c, t, rev, creates)));
}

/** Which of `rels` was already live before this revision (the one a refused create names). */
async function firstExisting(c: pg.ClientBase, t: Tables, rev: Revision, rels: readonly Relationship[]): Promise<Relationship> {
  const p = new Params();
  const r = p.add(rev);
  const res = await c.query<RelationshipRow>(
    `SELECT ${COLUMNS.split(', ')
      .map((col) => `r.${col}`)
      .join(', ')}
       FROM ${t.relationships} AS r JOIN ${unnestKeys(rels, p)} ON ${KEY_JOIN}
      WHERE r.deleted_rev = ${LIVE} AND r.created_rev < ${r}
      LIMIT 1`,
    p.values,
  );
  return res.rows[0] ? rowToRelationship(res.rows[0]) : rels[0]!;
}

/** Marks the live relationships matching `filter` deleted at `rev`, at most `limit` of them, in order. */
export async function deleteMatching(
  c: pg.ClientBase,
  t: Tables,
  rev: Revision,
  filter: RelationshipFilter,
  limit: number | undefined,
): Promise<{ deleted: number; partial: boolean }> {
  const p = new Params();
  const r = p.add(rev);
  const where = filterConditions(filter, p, 'live').join(' AND ');
  if (limit === undefined) {
    const res = await c.query(`UPDATE ${t.relationships} SET deleted_rev = ${r} WHERE ${where}`, p.values);
    return { deleted: res.rowCount ?? 0, partial: false };
  }
  const res = await c.query(
    `UPDATE ${t.relationships} SET deleted_rev = ${r}
      WHERE (${COLUMNS}, created_rev) IN
            (SELECT ${COLUMNS}, created_rev FROM ${t.relationships} WHERE ${where} ORDER BY ${COLUMNS} LIMIT ${p.add(limit)})`,
    p.values,
  );
  const deleted = res.rowCount ?? 0;
  if (deleted < limit) return { deleted, partial: false };
  // The rows just marked are no longer live (in this transaction), so any match left is one more.
  const rest = new Params();
  const more = await c.query(
    `SELECT 1 FROM ${t.relationships} WHERE ${filterConditions(filter, rest, 'live').join(' AND ')} LIMIT 1`,
    rest.values,
  );
  return { deleted, partial: (more.rowCount ?? 0) > 0 };
}

export async function insertSchema(c: pg.ClientBase, t: Tables, rev: Revision, text: string, hash: string): Promise<void> {
  await c.query(`INSERT INTO ${t.schemas} (rev, text, hash) VALUES ($1, $2, $3)`, [rev, text, hash]);
}
