/**
 * The `validation` block of a validation file: for each `resource#relation`, the complete list of
 * subjects that expanding it must find, each with the relations that grant it directly, in zed's
 * notation:
 *
 *   document:1#view:
 *     - "[user:alice] is <document:1#viewer>"
 *     - "[user:bob] is <document:1#editor>/<group:eng#member>"
 *     - "[group:eng#member] is <document:1#editor>"
 *     - "[user:* - {user:mallory}] is <document:1#viewer>"
 *     - "[user:carol[...]] is <document:1#viewer>"      (caveated: not supported yet)
 *
 * The subject sits between the first `[` and the last `]`; the granting relations are every `<...>`.
 */
import { parseSubjectRef } from '../core/refs.js';
import type { SubjectRef } from '../core/refs.js';

/** A `type:id#relation` (a relation or permission on one object). */
export interface ObjectAndRelation {
  readonly type: string;
  readonly id: string;
  readonly relation: string;
}

interface Positioned {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ExpectedSubject {
  /** The line as written. */
  readonly text: string;
  /** Undefined when the line has no `[...]`: zed reports that as a failed entry, not a broken file. */
  readonly subject: SubjectRef | undefined;
  /** For a wildcard: the subjects it excludes (`user:* - {user:a, user:b}`). */
  readonly exceptions: readonly SubjectRef[];
  /** Written with `[...]`: a caveated subject. */
  readonly caveated: boolean;
  /** The relations that grant the subject directly (`<document:1#viewer>`). */
  readonly grantedBy: readonly ObjectAndRelation[];
  readonly position: Positioned;
}

export interface ExpectedRelation {
  /** The key as written. */
  readonly key: string;
  readonly resource: ObjectAndRelation;
  readonly subjects: readonly ExpectedSubject[];
  readonly position: Positioned;
}

const SUBJECT_RE = /^([^\]\s[]+)(\[\.\.\.\])?(?:\s+-\s+\{([^}]+)\})?$/;
const ONR_RE = /<([^>]+)>/g;

export function formatObjectAndRelation(o: ObjectAndRelation): string {
  return `${o.type}:${o.id}#${o.relation}`;
}

/** Parses `type:id#relation`. Returns an error message rather than throwing, for the caller to place. */
export function parseObjectAndRelation(text: string): ObjectAndRelation | string {
  const s = text.trim();
  const hash = s.lastIndexOf('#');
  if (hash < 0) return `expected \`type:id#relation\`, got \`${s}\``;
  try {
    const ref = parseSubjectRef(s);
    if (ref.relation === undefined || ref.id === '*') return `expected \`type:id#relation\`, got \`${s}\``;
    return { type: ref.type, id: ref.id, relation: ref.relation };
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Parses one entry of the block. `fail` builds the error to throw (a ValidationFileError in practice;
 * taken as a parameter so that this module does not depend on the file loader).
 */
export function parseExpectedRelation(
  key: string,
  keyPosition: Positioned,
  items: readonly { text: string; position: Positioned }[],
  fail: (position: Positioned, message: string) => Error,
): ExpectedRelation {
  const resource = parseObjectAndRelation(key);
  if (typeof resource === 'string') throw fail(keyPosition, `invalid validation key \`${key}\`: ${resource}`);
  const subjects = items.map((item) => parseExpectedSubject(item.text, item.position, fail));
  return { key, resource, subjects, position: keyPosition };
}

function parseExpectedSubject(text: string, position: Positioned, fail: (position: Positioned, message: string) => Error): ExpectedSubject {
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  const grantedBy = parseGrantedBy(close < 0 ? text : text.slice(close + 1), text, position, fail);
  if (open < 0 || close < open) return { text, subject: undefined, exceptions: [], caveated: false, grantedBy, position };
  const inner = text.slice(open + 1, close).trim();
  const m = SUBJECT_RE.exec(inner);
  if (!m) throw fail(position, `invalid subject \`${inner}\` in \`${text}\``);
  const subject = parseRef(m[1]!, text, position, fail);
  // Exceptions on a concrete subject parse (as in zed); the comparison reports them.
  const exceptions = m[3] === undefined ? [] : m[3].split(',').map((e) => parseRef(e.trim().replace(/\[\.\.\.\]$/, ''), text, position, fail));
  return { text, subject, exceptions, caveated: m[2] !== undefined, grantedBy, position };
}

function parseGrantedBy(part: string, text: string, position: Positioned, fail: (position: Positioned, message: string) => Error): ObjectAndRelation[] {
  const grantedBy: ObjectAndRelation[] = [];
  for (const match of part.matchAll(ONR_RE)) {
    const onr = parseObjectAndRelation(match[1]!);
    if (typeof onr === 'string') throw fail(position, `invalid resource and relation \`<${match[1]}>\` in \`${text}\`: ${onr}`);
    grantedBy.push(onr);
  }
  return grantedBy;
}

function parseRef(s: string, text: string, position: Positioned, fail: (position: Positioned, message: string) => Error): SubjectRef {
  try {
    return parseSubjectRef(s);
  } catch (e) {
    throw fail(position, `invalid subject \`${s}\` in \`${text}\`: ${e instanceof Error ? e.message : String(e)}`);
  }
}
