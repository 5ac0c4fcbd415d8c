/**
 * Checks a relationship against the schema before it is written, and small look-up helpers the engine
 * and services share. A relationship is valid when its resource type and relation exist, the relation
 * is a relation (permissions are computed, never written), and its subject matches one of the
 * relation's allowed subject types exactly (`user`, `team#member` or `user:*`).
 */
import { InvalidRelationshipError, UnknownDefinitionError, UnknownRelationError } from '../core/errors.js';
import { WILDCARD, formatRelationship } from '../core/refs.js';
import type { Relationship, SubjectRef } from '../core/refs.js';
import type { AllowedSubject, CompiledSchema, Definition, RelationDef, RelationOrPermission } from './compiled.js';
import { printAllowed } from './printer.js';

export function getDefinition(schema: CompiledSchema, type: string): Definition | undefined {
  return schema.definitions.get(type);
}

export function getRelation(schema: CompiledSchema, type: string, name: string): RelationOrPermission | undefined {
  return schema.definitions.get(type)?.relations.get(name);
}

/** Like getDefinition, but throws UnknownDefinitionError. */
export function lookupDefinition(schema: CompiledSchema, type: string): Definition {
  const def = schema.definitions.get(type);
  if (!def) throw new UnknownDefinitionError(type);
  return def;
}

/** Like getRelation, but throws UnknownDefinitionError / UnknownRelationError. */
export function lookupRelation(schema: CompiledSchema, type: string, name: string): RelationOrPermission {
  const rel = lookupDefinition(schema, type).relations.get(name);
  if (!rel) throw new UnknownRelationError(type, name);
  return rel;
}

/** Does `subject` match this allowed subject type exactly? */
export function subjectMatches(allowed: AllowedSubject, subject: SubjectRef): boolean {
  if (allowed.type !== subject.type) return false;
  if (subject.id === WILDCARD) return allowed.wildcard === true && subject.relation === undefined;
  return allowed.wildcard !== true && allowed.relation === subject.relation;
}

/** Throws InvalidRelationshipError, naming the relationship, unless the schema allows it. */
export function validateRelationship(schema: CompiledSchema, rel: Relationship): void {
  const text = formatRelationship(rel);
  const def = schema.definitions.get(rel.resource.type);
  if (!def) {
    throw new InvalidRelationshipError(`relationship \`${text}\`: resource type \`${rel.resource.type}\` is not defined in the schema`);
  }
  const target = def.relations.get(rel.relation);
  if (!target) {
    throw new InvalidRelationshipError(`relationship \`${text}\`: relation \`${rel.relation}\` not found on definition \`${def.name}\``);
  }
  if (target.kind === 'permission') {
    throw new InvalidRelationshipError(
      `relationship \`${text}\`: \`${def.name}#${rel.relation}\` is a permission; relationships can only be written to relations`,
    );
  }
  if (target.allowed.some((a) => subjectMatches(a, rel.subject))) return;
  throw new InvalidRelationshipError(`relationship \`${text}\`: ${notAllowedReason(def.name, target, rel.subject)}`);
}

function notAllowedReason(defName: string, rel: RelationDef, subject: SubjectRef): string {
  const allowed = rel.allowed.map((a) => `\`${printAllowed(a)}\``).join(', ');
  const where = `\`${defName}#${rel.name}\``;
  const subjectType =
    subject.id === WILDCARD ? `${subject.type}:*` : subject.relation !== undefined ? `${subject.type}#${subject.relation}` : subject.type;
  const kind = subject.id === WILDCARD ? 'wildcard subject' : 'subject type';
  return `${kind} \`${subjectType}\` is not allowed on ${where}; allowed: ${allowed}`;
}
