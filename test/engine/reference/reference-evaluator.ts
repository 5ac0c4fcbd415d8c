/**
 * A deliberately naive reference for the engine: recursive, no batching, no cache, no reachability,
 * over a plain array of relationships. It states the semantics once, as directly as possible:
 *
 *   member(o#r, s) =  s is o#r itself
 *                  or r is a relation and some tuple o#r@t has t = s, or t = s.type:* with s
 *                     having no relation, or t is a userset with member(t, s)
 *                  or r is a permission and eval(rewrite(r), o, s)
 *
 * `onCycle: 'throw'` is for acyclic data (a revisit means the generator is wrong); `'prune'` treats a
 * goal already on the path as false, which computes the least fixed point for monotone schemas
 * (a minimal derivation never repeats a goal on one path), to judge the engine on cyclic data.
 */
import { WILDCARD } from '../../../src/core/refs.js';
import type { ObjectRef, Relationship, SubjectRef } from '../../../src/core/refs.js';
import type { CompiledSchema, RewriteExpr } from '../../../src/schema/compiled.js';

export interface ReferenceOptions {
  readonly onCycle?: 'throw' | 'prune';
}

export class ReferenceCycleError extends Error {}

export class ReferenceEvaluator {
  private readonly path = new Set<string>();
  private readonly onCycle: 'throw' | 'prune';

  constructor(
    private readonly schema: CompiledSchema,
    private readonly relationships: readonly Relationship[],
    options: ReferenceOptions = {},
  ) {
    this.onCycle = options.onCycle ?? 'throw';
  }

  check(resource: ObjectRef, relation: string, subject: SubjectRef): boolean {
    if (subject.type === resource.type && subject.id === resource.id && subject.relation === relation) return true;
    const goal = `${resource.type}:${resource.id}#${relation}`;
    if (this.path.has(goal)) {
      if (this.onCycle === 'throw') throw new ReferenceCycleError(`cycle at ${goal}`);
      return false;
    }
    const def = this.schema.definitions.get(resource.type);
    const rel = def?.relations.get(relation);
    if (rel === undefined) throw new Error(`reference: unknown ${goal}`);
    this.path.add(goal);
    try {
      if (rel.kind === 'permission') return this.evaluate(rel.rewrite, resource, subject);
      for (const t of this.tuples(resource, relation)) {
        if (t.type === subject.type && t.id === subject.id && t.relation === subject.relation) return true;
        if (t.id === WILDCARD && t.type === subject.type && subject.relation === undefined) return true;
        if (t.relation !== undefined && this.check({ type: t.type, id: t.id }, t.relation, subject)) return true;
      }
      return false;
    } finally {
      this.path.delete(goal);
    }
  }

  private evaluate(expr: RewriteExpr, resource: ObjectRef, subject: SubjectRef): boolean {
    switch (expr.kind) {
      case 'nil':
        return false;
      case 'computed':
        return this.check(resource, expr.relation, subject);
      case 'arrow': {
        const targets = this.tuples(resource, expr.tupleset);
        const has = (t: SubjectRef): boolean =>
          t.id !== WILDCARD && (this.schema.definitions.get(t.type)?.relations.has(expr.computed) ?? false) && this.check({ type: t.type, id: t.id }, expr.computed, subject);
        if (expr.mode === 'any') return targets.some(has);
        return targets.length > 0 && targets.every(has);
      }
      case 'union':
        return expr.children.some((c) => this.evaluate(c, resource, subject));
      case 'intersection':
        return expr.children.every((c) => this.evaluate(c, resource, subject));
      case 'exclusion':
        return this.evaluate(expr.base, resource, subject) && !this.evaluate(expr.subtract, resource, subject);
    }
  }

  private tuples(resource: ObjectRef, relation: string): SubjectRef[] {
    return this.relationships
      .filter((r) => r.resource.type === resource.type && r.resource.id === resource.id && r.relation === relation)
      .map((r) => r.subject);
  }
}
