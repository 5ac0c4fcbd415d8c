/**
 * Relationship rows read in bulk (the change feed, the start-up scan) as one string per chunk: SQLite
 * joins the columns of every row with a control character that no valid type, relation or id
 * contains, and JavaScript splits the chunk once. Through the driver, six text columns per row cost a
 * native call and a string each: at a million rows, reading them took about three times as long.
 */
import { bug } from '../../core/errors.js';
import type { Relationship } from '../../core/refs.js';

const SEPARATOR = '\x1f';

/** One row's six key columns as text; join a chunk's rows with group_concat(ROW_TEXT, ROW_SEPARATOR_SQL). */
export const ROW_TEXT = 'concat_ws(char(31), resource_type, resource_id, relation, subject_type, subject_id, subject_relation)';
export const ROW_SEPARATOR_SQL = 'char(31)';

/**
 * V8 hands out parts of 13 characters or more as slices that keep the whole chunk alive; anything the
 * index keeps (ids, and the first copy of each name) must be a copy of its own.
 */
const SLICE_MIN = 13;
function own(s: string): string {
  return s.length < SLICE_MIN ? s : (' ' + s).slice(1);
}

export class RowTextDecoder {
  /** Types and relations: few distinct values, one string each. */
  private readonly names = new Map<string, string>();

  /** Hands each of the `rows` relationships of `text` to `push`, in order. */
  decode(text: string | null, rows: number, push: (relationship: Relationship) => void): void {
    if (text === null || rows === 0) return;
    const f = text.split(SEPARATOR);
    if (f.length !== rows * 6) bug(`stored relationships have a control character in a name or id (near ${JSON.stringify(text.slice(0, 200))})`);
    for (let i = 0; i < f.length; i += 6) {
      const srel = f[i + 5]!;
      const subjectType = this.name(f[i + 3]!);
      const subjectId = own(f[i + 4]!);
      push({
        resource: { type: this.name(f[i]!), id: own(f[i + 1]!) },
        relation: this.name(f[i + 2]!),
        subject: srel === '' ? { type: subjectType, id: subjectId } : { type: subjectType, id: subjectId, relation: this.name(srel) },
      });
    }
  }

  private name(s: string): string {
    let n = this.names.get(s);
    if (n === undefined) {
      n = own(s);
      this.names.set(n, n);
    }
    return n;
  }
}
