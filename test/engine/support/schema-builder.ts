/**
 * Builds CompiledSchema IR directly, so engine tests do not depend on the DSL compiler (written
 * concurrently). `relation('user', 'user:*', 'team#member')`, `permission(union(...))`.
 */
import type { AllowedSubject, CompiledSchema, Definition, RelationOrPermission, RewriteExpr } from '../../../src/schema/compiled.js';

export type Member = { kind: 'relation'; allowed: AllowedSubject[] } | { kind: 'permission'; rewrite: RewriteExpr };

export function relation(...allowed: string[]): Member {
  return { kind: 'relation', allowed: allowed.map(parseAllowed) };
}

export function permission(rewrite: RewriteExpr): Member {
  return { kind: 'permission', rewrite };
}

export function parseAllowed(s: string): AllowedSubject {
  if (s.endsWith(':*')) return { type: s.slice(0, -2), wildcard: true };
  const hash = s.indexOf('#');
  return hash < 0 ? { type: s } : { type: s.slice(0, hash), relation: s.slice(hash + 1) };
}

export const nil: RewriteExpr = { kind: 'nil' };
export const computed = (relation: string): RewriteExpr => ({ kind: 'computed', relation });
export const arrow = (tupleset: string, computedRelation: string): RewriteExpr => ({ kind: 'arrow', tupleset, computed: computedRelation, mode: 'any' });
export const arrowAll = (tupleset: string, computedRelation: string): RewriteExpr => ({ kind: 'arrow', tupleset, computed: computedRelation, mode: 'all' });
export const union = (...children: RewriteExpr[]): RewriteExpr => ({ kind: 'union', children });
export const intersection = (...children: RewriteExpr[]): RewriteExpr => ({ kind: 'intersection', children });
export const exclusion = (base: RewriteExpr, subtract: RewriteExpr): RewriteExpr => ({ kind: 'exclusion', base, subtract });

export function buildSchema(defs: Record<string, Record<string, Member>>): CompiledSchema {
  const definitions = new Map<string, Definition>();
  for (const [name, members] of Object.entries(defs)) {
    const relations = new Map<string, RelationOrPermission>();
    for (const [rname, m] of Object.entries(members)) {
      relations.set(rname, m.kind === 'relation' ? { kind: 'relation', name: rname, allowed: m.allowed } : { kind: 'permission', name: rname, rewrite: m.rewrite });
    }
    definitions.set(name, { name, relations, order: Object.keys(members) });
  }
  return { definitions, hash: hashOf(defs) };
}

function hashOf(defs: unknown): string {
  // Equal structures hash equal, like the real compiler's hash of the printed form.
  const text = JSON.stringify(defs);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `test-${h.toString(16)}-${text.length}`;
}
