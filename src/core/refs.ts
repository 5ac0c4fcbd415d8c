/**
 * Object references, subject references and relationships, with SpiceDB's string syntax:
 *   resource_type:resource_id#relation@subject_type:subject_id[#subject_relation]
 * `type:*` is a wildcard subject; a subject relation of `...` means "no relation" (the object itself).
 */
import { RelationshipParseError } from './errors.js';

export interface ObjectRef {
  readonly type: string;
  readonly id: string;
}

/** A subject: an object, a userset (`relation` set), or a wildcard (`id === '*'`). */
export interface SubjectRef {
  readonly type: string;
  readonly id: string;
  /** Undefined for a plain object subject (SpiceDB's `...`). */
  readonly relation?: string;
}

export interface Relationship {
  readonly resource: ObjectRef;
  readonly relation: string;
  readonly subject: SubjectRef;
}

export const WILDCARD = '*';
export const ELLIPSIS = '...';

// SpiceDB's rules: a type is one or more `/`-separated segments of 3..64 lower-case characters (the
// last segment the name, the others prefixes); relations the same as a segment; object ids up to 1024
// characters of [A-Za-z0-9/_|\-=+], or `*` for a wildcard subject.
const SEGMENT = '[a-z][a-z0-9_]{1,62}[a-z0-9]';
export const TYPE_NAME_RE = new RegExp(`^(?:${SEGMENT}/)*${SEGMENT}$`);
export const RELATION_NAME_RE = new RegExp(`^${SEGMENT}$`);
export const OBJECT_ID_RE = /^[a-zA-Z0-9/_|\-=+]{1,1024}$/;
export const MAX_OBJECT_ID_LENGTH = 1024;

export function isValidTypeName(s: string): boolean {
  return s.length <= 128 && TYPE_NAME_RE.test(s);
}
export function isValidRelationName(s: string): boolean {
  return RELATION_NAME_RE.test(s);
}
export function isValidObjectId(s: string): boolean {
  return s.length <= MAX_OBJECT_ID_LENGTH && OBJECT_ID_RE.test(s);
}

function checkType(type: string, what: string, input: string): void {
  if (!isValidTypeName(type)) {
    throw new RelationshipParseError(
      `invalid ${what} type \`${type}\` in \`${input}\`: a type is lower-case letters, digits and \`_\`, 3 to 64 characters, starting with a letter, optionally prefixed (\`prefix/name\`)`,
    );
  }
}
function checkRelation(relation: string, what: string, input: string): void {
  if (!isValidRelationName(relation)) {
    throw new RelationshipParseError(
      `invalid ${what} \`${relation}\` in \`${input}\`: a relation is lower-case letters, digits and \`_\`, 3 to 64 characters, starting with a letter`,
    );
  }
}
function checkId(id: string, what: string, input: string, allowWildcard: boolean): void {
  if (id === WILDCARD) {
    if (allowWildcard) return;
    throw new RelationshipParseError(`invalid ${what} id \`*\` in \`${input}\`: only a subject may be a wildcard`);
  }
  if (!isValidObjectId(id)) {
    throw new RelationshipParseError(
      id.length > MAX_OBJECT_ID_LENGTH
        ? `invalid ${what} id in \`${input.slice(0, 80)}…\`: longer than ${MAX_OBJECT_ID_LENGTH} characters`
        : `invalid ${what} id \`${id}\` in \`${input}\`: an id is 1 to ${MAX_OBJECT_ID_LENGTH} characters of letters, digits and / _ | - = +`,
    );
  }
}

/** Parses `type:id`. */
export function parseObjectRef(input: string): ObjectRef {
  const s = input.trim();
  const colon = s.indexOf(':');
  if (colon < 0) throw new RelationshipParseError(`invalid object \`${input}\`: expected \`type:id\``);
  const type = s.slice(0, colon);
  const id = s.slice(colon + 1);
  checkType(type, 'object', input);
  checkId(id, 'object', input, false);
  return { type, id };
}

/** Parses `type:id`, `type:id#relation`, `type:id#...` or `type:*`. */
export function parseSubjectRef(input: string): SubjectRef {
  const s = input.trim();
  const colon = s.indexOf(':');
  if (colon < 0) throw new RelationshipParseError(`invalid subject \`${input}\`: expected \`type:id\` or \`type:id#relation\``);
  const type = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  const hash = rest.indexOf('#');
  const id = hash < 0 ? rest : rest.slice(0, hash);
  const relation = hash < 0 ? undefined : rest.slice(hash + 1);
  checkType(type, 'subject', input);
  checkId(id, 'subject', input, true);
  if (relation === undefined || relation === ELLIPSIS) return { type, id };
  checkRelation(relation, 'subject relation', input);
  if (id === WILDCARD) throw new RelationshipParseError(`invalid subject \`${input}\`: a wildcard subject cannot have a relation`);
  return { type, id, relation };
}

/** Parses `type:id#relation@subject`. Caveats and expirations (`[...]`) are refused as not supported. */
export function parseRelationship(input: string): Relationship {
  const s = input.trim();
  if (s.includes('[')) {
    throw new RelationshipParseError(`relationship \`${input}\`: caveats and expiration (\`[...]\`) are not supported yet`);
  }
  const at = s.indexOf('@');
  if (at < 0) throw new RelationshipParseError(`invalid relationship \`${input}\`: expected \`type:id#relation@subject_type:subject_id\``);
  const left = s.slice(0, at);
  const hash = left.lastIndexOf('#');
  if (hash < 0) throw new RelationshipParseError(`invalid relationship \`${input}\`: expected \`#relation\` before \`@\``);
  const resource = parseObjectRefIn(left.slice(0, hash), input);
  const relation = left.slice(hash + 1);
  checkRelation(relation, 'relation', input);
  const subject = parseSubjectIn(s.slice(at + 1), input);
  return { resource, relation, subject };
}

function parseObjectRefIn(part: string, input: string): ObjectRef {
  const colon = part.indexOf(':');
  if (colon < 0) throw new RelationshipParseError(`invalid relationship \`${input}\`: expected \`type:id\` before \`#\``);
  const type = part.slice(0, colon);
  const id = part.slice(colon + 1);
  checkType(type, 'resource', input);
  checkId(id, 'resource', input, false);
  return { type, id };
}

function parseSubjectIn(part: string, input: string): SubjectRef {
  try {
    return parseSubjectRef(part);
  } catch (e) {
    if (e instanceof RelationshipParseError) {
      throw new RelationshipParseError(`invalid relationship \`${input}\`: ${e.message.replace(/^invalid /, '')}`);
    }
    throw e;
  }
}

export function formatObjectRef(o: ObjectRef): string {
  return `${o.type}:${o.id}`;
}

export function formatSubjectRef(s: SubjectRef): string {
  return s.relation === undefined ? `${s.type}:${s.id}` : `${s.type}:${s.id}#${s.relation}`;
}

export function formatRelationship(r: Relationship): string {
  return `${r.resource.type}:${r.resource.id}#${r.relation}@${formatSubjectRef(r.subject)}`;
}

export function subjectEquals(a: SubjectRef, b: SubjectRef): boolean {
  return a.type === b.type && a.id === b.id && a.relation === b.relation;
}

export function relationshipEquals(a: Relationship, b: Relationship): boolean {
  return (
    a.resource.type === b.resource.type &&
    a.resource.id === b.resource.id &&
    a.relation === b.relation &&
    subjectEquals(a.subject, b.subject)
  );
}

/** A total order on relationships (resource type, id, relation, subject type, id, relation): used for pagination. */
export function compareRelationships(a: Relationship, b: Relationship): number {
  return (
    cmp(a.resource.type, b.resource.type) ||
    cmp(a.resource.id, b.resource.id) ||
    cmp(a.relation, b.relation) ||
    cmp(a.subject.type, b.subject.type) ||
    cmp(a.subject.id, b.subject.id) ||
    cmp(a.subject.relation ?? '', b.subject.relation ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
