/**
 * RelationshipFilter -> SQL. Statements are cached by the filter's shape (which fields are set), so the
 * number of distinct prepared statements stays small and every call only binds values.
 */
import type { RelationshipFilter } from '../../core/filter.js';
import type { Relationship } from '../../core/refs.js';
import { ELLIPSIS } from '../../core/refs.js';

export type Params = Record<string, string | number>;

const KEY_COLUMNS = ['resource_type', 'resource_id', 'relation', 'subject_type', 'subject_id', 'subject_relation'];
export const COLUMNS = KEY_COLUMNS.join(', ');

/** deleted_rev is 0 while a row is live (see migrations.ts). */
export const LIVE = 'deleted_rev = 0';

/** Rows visible at @rev (created_rev <= rev < deleted_rev), or only live rows (cheaper, for the head). */
export type Visibility = 'live' | 'at';

export interface FilterSql {
  /** Identifies the SQL text: equal shapes give equal SQL. */
  readonly shape: string;
  readonly where: string;
  readonly params: Params;
}

export function filterSql(f: RelationshipFilter, visibility: Visibility, rev?: number, after?: Relationship): FilterSql {
  const clauses: string[] = [];
  const params: Params = {};
  let shape = visibility === 'live' ? 'L' : 'A';
  if (visibility === 'live') {
    clauses.push(LIVE);
  } else {
    clauses.push(`created_rev <= @rev AND (${LIVE} OR deleted_rev > @rev)`);
    params.rev = rev!;
  }
  if (f.resourceType !== undefined) {
    clauses.push('resource_type = @rt');
    params.rt = f.resourceType;
    shape += 't';
  }
  if (f.resourceId !== undefined) {
    clauses.push('resource_id = @rid');
    params.rid = f.resourceId;
    shape += 'i';
  }
  if (f.resourceIdPrefix !== undefined && f.resourceIdPrefix !== '') {
    // A range rather than LIKE, so the index is used (and `_` in ids is not a wildcard).
    clauses.push('resource_id >= @plo AND resource_id < @phi');
    params.plo = f.resourceIdPrefix;
    params.phi = prefixEnd(f.resourceIdPrefix);
    shape += 'p';
  }
  if (f.relation !== undefined) {
    clauses.push('relation = @rel');
    params.rel = f.relation;
    shape += 'r';
  }
  if (f.subject) {
    clauses.push('subject_type = @st');
    params.st = f.subject.type;
    shape += 's';
    if (f.subject.id !== undefined) {
      clauses.push('subject_id = @sid');
      params.sid = f.subject.id;
      shape += 'd';
    }
    if (f.subject.relation !== undefined) {
      clauses.push('subject_relation = @srel');
      params.srel = f.subject.relation === ELLIPSIS ? '' : f.subject.relation;
      shape += 'e';
    }
  }
  if (after) {
    const cursor = keyParams(after);
    // Columns the filter pins to one value lead the index; keep them out of the row value, or SQLite
    // uses only the equality and scans from the start of the range for every page.
    const pinned = [f.resourceType, f.resourceId, f.relation];
    let fixed = 0;
    while (fixed < 3 && pinned[fixed] !== undefined) fixed++;
    let order = 0;
    for (let i = 0; i < fixed && order === 0; i++) order = cmp(cursor[i]!, pinned[i]!);
    if (order > 0) {
      clauses.push('0');
      shape += 'x';
    } else if (order === 0) {
      const cols = KEY_COLUMNS.slice(fixed);
      clauses.push(`(${cols.join(', ')}) > (${cols.map((_, i) => `@a${i}`).join(', ')})`);
      cols.forEach((_, i) => (params[`a${i}`] = cursor[fixed + i]!));
      shape += `a${fixed}`;
    }
  }
  return { shape, where: clauses.join(' AND '), params };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The smallest string greater than every string starting with `prefix`. Object ids are ASCII, where
 * UTF-8 byte order (SQLite's BINARY collation) equals JavaScript's code-unit order.
 */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export interface RelationshipRow {
  resource_type: string;
  resource_id: string;
  relation: string;
  subject_type: string;
  subject_id: string;
  subject_relation: string;
}

export function rowToRelationship(r: RelationshipRow): Relationship {
  return {
    resource: { type: r.resource_type, id: r.resource_id },
    relation: r.relation,
    subject:
      r.subject_relation === ''
        ? { type: r.subject_type, id: r.subject_id }
        : { type: r.subject_type, id: r.subject_id, relation: r.subject_relation },
  };
}

/** Positional key parameters of a relationship, in COLUMNS order. */
export function keyParams(r: Relationship): [string, string, string, string, string, string] {
  const srel = r.subject.relation;
  return [r.resource.type, r.resource.id, r.relation, r.subject.type, r.subject.id, srel === undefined || srel === ELLIPSIS ? '' : srel];
}
