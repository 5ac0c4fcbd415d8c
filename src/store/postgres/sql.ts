/**
 * SQL text for the PostgreSQL store: qualified table names for one schema, RelationshipFilter -> WHERE
 * with numbered parameters, and the column arrays that bulk writes send through unnest().
 */
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import { ELLIPSIS } from '../../core/refs.js';
// The column list and the key/row mapping are the SQLite store's: both backends store the same row shape.
import { COLUMNS, keyParams } from '../sqlite/filter-sql.js';

/** deleted_rev of a live row: a value rather than NULL so that `deleted_rev > $at` needs no OR. */
export const LIVE = '9223372036854775807';

const SCHEMA_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export function isValidSchemaName(name: string): boolean {
  return SCHEMA_NAME_RE.test(name);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Fully qualified names, so that nothing depends on the connection's search_path. */
export interface Tables {
  readonly schema: string;
  readonly quotedSchema: string;
  readonly relationships: string;
  readonly revisions: string;
  readonly schemas: string;
  readonly metadata: string;
  readonly head: string;
  readonly migrations: string;
  /** The LISTEN/NOTIFY channel for commits to this schema (at most 63 bytes: two long names sharing a prefix only cost spurious wake-ups). */
  readonly channel: string;
  /** Keys for pg_advisory_lock: one schema's GC and migrations never block another schema's. */
  readonly gcLockKey: string;
  readonly migrateLockKey: string;
}

export function tablesFor(schema: string): Tables {
  const q = quoteIdent(schema);
  return {
    schema,
    quotedSchema: q,
    relationships: `${q}.warden_relationships`,
    revisions: `${q}.warden_revisions`,
    schemas: `${q}.warden_schemas`,
    metadata: `${q}.warden_metadata`,
    head: `${q}.warden_head`,
    migrations: `${q}.warden_migrations`,
    channel: `warden_commit_${schema}`.slice(0, 63),
    gcLockKey: `warden_gc:${schema}`,
    migrateLockKey: `warden_migrate:${schema}`,
  };
}

/** Collects positional parameters while SQL text is assembled. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Which row versions a condition selects: those visible at a revision, or the live ones. */
export type Visibility = { at: string } | 'live';

/**
 * The WHERE conditions for `f`. Every text column is COLLATE "C" (see migrations.ts), so comparisons
 * and ORDER BY follow byte order, which for the ASCII of type names and ids is JavaScript's order.
 */
export function filterConditions(f: RelationshipFilter, p: Params, visibility: Visibility, after?: Relationship): string[] {
  const c: string[] = [];
  if (visibility === 'live') c.push(`deleted_rev = ${LIVE}`);
  else c.push(`created_rev <= ${visibility.at} AND deleted_rev > ${visibility.at}`);
  if (f.resourceType !== undefined) c.push(`resource_type = ${p.add(f.resourceType)}`);
  if (f.resourceId !== undefined) c.push(`resource_id = ${p.add(f.resourceId)}`);
  if (f.resourceIdPrefix !== undefined && f.resourceIdPrefix !== '') {
    // A range rather than LIKE: the index is used, and `_` (legal in ids) is not a wildcard.
    c.push(`resource_id >= ${p.add(f.resourceIdPrefix)} AND resource_id < ${p.add(prefixEnd(f.resourceIdPrefix))}`);
  }
  if (f.relation !== undefined) c.push(`relation = ${p.add(f.relation)}`);
  if (f.subject) {
    c.push(`subject_type = ${p.add(f.subject.type)}`);
    if (f.subject.id !== undefined) c.push(`subject_id = ${p.add(f.subject.id)}`);
    if (f.subject.relation !== undefined) {
      c.push(`subject_relation = ${p.add(f.subject.relation === ELLIPSIS ? '' : f.subject.relation)}`);
    }
  }
  if (after) {
    // A row comparison: PostgreSQL turns it into one index range (keyset pagination).
    const k = keyParams(after);
    c.push(`(${COLUMNS}) > (${k.map((v) => p.add(v)).join(', ')})`);
  }
  return c;
}

/** The smallest string greater than every string starting with `prefix` (ids are ASCII). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Relationships as six parallel text arrays, for `unnest($1::text[], ..., $6::text[])`. */
export function keyColumns(rels: readonly Relationship[]): string[][] {
  const cols: string[][] = [[], [], [], [], [], []];
  for (const r of rels) {
    const k = keyParams(r);
    for (let i = 0; i < 6; i++) cols[i]!.push(k[i]!);
  }
  return cols;
}

/** `unnest($a::text[], ...) AS u(resource_type, ...)`, binding the six arrays. */
export function unnestKeys(rels: readonly Relationship[], p: Params): string {
  const arrays = keyColumns(rels).map((col) => `${p.add(col)}::text[]`);
  return `unnest(${arrays.join(', ')}) AS u(${COLUMNS})`;
}

/** `r.resource_type = u.resource_type AND ...` for joining rows to an unnest of keys. */
export const KEY_JOIN = COLUMNS.split(', ')
  .map((col) => `r.${col} = u.${col}`)
  .join(' AND ');
