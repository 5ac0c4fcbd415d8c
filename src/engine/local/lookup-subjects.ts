/**
 * One step of LookupSubjects, as SpiceDB's internal/graph/lookupsubjects.go: for a batch of resource
 * ids, the exact set of subjects of one type (and optional subject relation) that have the relation,
 * with wildcards and their exclusions. Sub-problems go back through the ring one hop deeper. It never
 * short-circuits, so any cycle it meets ends in MaxDepthExceededError, as in SpiceDB (#2056).
 */
import { MaxDepthExceededError } from '../../core/errors.js';
import { WILDCARD } from '../../core/refs.js';
import type { RewriteExpr } from '../../schema/compiled.js';
import { childMeta, DISPATCH_CHUNK_SIZE } from '../dispatcher.js';
import type { Dispatcher, DispatchEnv, LookupSubjectsRequest, LookupSubjectsResult, SubjectSet } from '../dispatcher.js';
import { chunk, hasRelation, pushTo, relationOf } from './schema-access.js';
import { EMPTY_SUBJECT_SET, intersectSubjects, isEmptySubjectSet, SubjectSetBuilder, subjectSetOf, subtractSubjects, unionSubjects } from './subject-set.js';

type PerResource = ReadonlyMap<string, SubjectSet>;

/** Shared by every empty answer, so it must refuse writes. */
class EmptyAnswer extends Map<string, SubjectSet> {
  override set(): this {
    throw new TypeError('the empty answer is shared and read-only');
  }
}

const NOTHING: PerResource = new EmptyAnswer();

/**
 * What the step functions return may be a sub-problem's answer itself (frozen and shared when it comes
 * from the cache): nothing here mutates a map or set it did not create, and a step's maps hold only
 * non-empty sets of requested ids.
 */
export function localLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv, redispatch: Dispatcher): LookupSubjectsResult {
  if (req.meta.depthRemaining <= 0) {
    throw new MaxDepthExceededError(req.meta.maxDepth, `${req.resourceType}#${req.relation}`);
  }
  const rel = relationOf(env.schema, req.resourceType, req.relation);
  const ids = req.resourceIds.length === 1 ? req.resourceIds : [...new Set(req.resourceIds)];
  const step = new LookupSubjectsStep(req, env, redispatch);
  let found = rel.kind === 'relation' ? step.direct(ids) : step.rewrite(rel.rewrite, ids);
  // The resource itself, when it is of the kind asked for (team:x#member is in team:x#member).
  if (req.subjectType === req.resourceType && req.subjectRelation === req.relation) {
    const withSelf = new Map(found);
    for (const id of ids) withSelf.set(id, unionSubjects(found.get(id) ?? EMPTY_SUBJECT_SET, subjectSetOf(new Set([id]))));
    found = withSelf;
  }
  return new LookupAnswer(withoutEmpty(found), 1 + step.childDepth);
}

/** A dispatcher other than this one may answer with empty sets; the answer here never holds any. */
function withoutEmpty(m: PerResource): PerResource {
  for (const set of m.values()) {
    if (isEmptySubjectSet(set)) {
      const out = new Map<string, SubjectSet>();
      for (const [id, s] of m) if (!isEmptySubjectSet(s)) out.set(id, s);
      return out;
    }
  }
  return m;
}

/** A class rather than a literal, for the reason given in subject-set.ts (pretenuring). */
class LookupAnswer implements LookupSubjectsResult {
  constructor(
    readonly byResource: PerResource,
    readonly depthRequired: number,
  ) {}
}

class LookupSubjectsStep {
  childDepth = 0;

  constructor(
    private readonly req: LookupSubjectsRequest,
    private readonly env: DispatchEnv,
    private readonly redispatch: Dispatcher,
  ) {}

  direct(ids: readonly string[]): PerResource {
    const { resourceType, relation, subjectType, subjectRelation } = this.req;
    const builders = new Map<string, SubjectSetBuilder>();
    // Userset subjects by type, then relation, then subject id: the resource ids that name each.
    const nested = new Map<string, Map<string, Map<string, string[]>>>();
    for (const id of ids) {
      let b: SubjectSetBuilder | undefined;
      for (const subj of this.env.graph.subjects(resourceType, id, relation)) {
        if (subj.type === subjectType && subj.relation === subjectRelation) {
          if (b === undefined) builders.set(id, (b = new SubjectSetBuilder()));
          if (subj.id === WILDCARD) b.addWildcard();
          else b.addConcrete(subj.id);
        }
        if (subj.relation !== undefined && subj.id !== WILDCARD) {
          let byRelation = nested.get(subj.type);
          if (byRelation === undefined) nested.set(subj.type, (byRelation = new Map()));
          let bySubject = byRelation.get(subj.relation);
          if (bySubject === undefined) byRelation.set(subj.relation, (bySubject = new Map()));
          pushTo(bySubject, subj.id, id);
        }
      }
    }
    nested.forEach((byRelation, type) => {
      byRelation.forEach((bySubject, rel) => {
        // One batched dispatch per userset kind (in chunks), never one per nested object.
        this.dispatch(type, rel, [...bySubject.keys()]).forEach((set, sid) => addTo(builders, bySubject.get(sid)!, set));
      });
    });
    return built(builders);
  }

  rewrite(expr: RewriteExpr, ids: readonly string[]): PerResource {
    switch (expr.kind) {
      case 'nil':
        return NOTHING;
      case 'computed':
        return this.dispatch(this.req.resourceType, expr.relation, ids);
      case 'arrow':
        return expr.mode === 'any' ? this.arrowAny(expr.tupleset, expr.computed, ids) : this.arrowAll(expr.tupleset, expr.computed, ids);
      case 'union':
        return unionEach(
          expr.children.map((child) => this.rewrite(child, ids)),
          ids,
        );
      case 'intersection': {
        let acc: PerResource | undefined;
        let remaining = ids;
        for (const child of expr.children) {
          const r = this.rewrite(child, remaining);
          acc = acc === undefined ? r : zip(acc, r, remaining, intersectSubjects);
          const kept = acc;
          remaining = remaining.filter((id) => hasAny(kept, id));
          if (remaining.length === 0) return NOTHING;
        }
        return acc ?? NOTHING;
      }
      case 'exclusion': {
        const base = this.rewrite(expr.base, ids);
        const remaining = ids.filter((id) => hasAny(base, id));
        if (remaining.length === 0) return NOTHING;
        const subtract = this.rewrite(expr.subtract, remaining);
        return subtract.size === 0 ? base : zip(base, subtract, remaining, subtractSubjects);
      }
    }
  }

  private arrowAny(tupleset: string, computed: string, ids: readonly string[]): PerResource {
    const builders = new Map<string, SubjectSetBuilder>();
    this.tuplesetSubjects(tupleset, ids).forEach((bySubject, type) => {
      if (!hasRelation(this.env.schema, type, computed)) return;
      this.dispatch(type, computed, [...bySubject.keys()]).forEach((set, sid) => addTo(builders, bySubject.get(sid)!, set));
    });
    return built(builders);
  }

  private arrowAll(tupleset: string, computed: string, ids: readonly string[]): PerResource {
    const setsByType = new Map<string, ReadonlyMap<string, SubjectSet>>();
    for (const [type, bySubject] of this.tuplesetSubjects(tupleset, ids)) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      setsByType.set(type, this.dispatch(type, computed, [...bySubject.keys()]));
    }
    const out = new Map<string, SubjectSet>();
    for (const id of ids) {
      let acc: SubjectSet | undefined;
      for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
        const set = subj.id === WILDCARD ? EMPTY_SUBJECT_SET : (setsByType.get(subj.type)?.get(subj.id) ?? EMPTY_SUBJECT_SET);
        acc = acc === undefined ? set : intersectSubjects(acc, set);
        if (isEmptySubjectSet(acc)) break;
      }
      if (acc !== undefined && !isEmptySubjectSet(acc)) out.set(id, acc);
    }
    return out;
  }

  /** The tupleset's subject objects by type, each with the resource ids that name it. */
  private tuplesetSubjects(tupleset: string, ids: readonly string[]): Map<string, Map<string, string[]>> {
    const byType = new Map<string, Map<string, string[]>>();
    for (const id of ids) {
      for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
        if (subj.id === WILDCARD) continue;
        let bySubject = byType.get(subj.type);
        if (bySubject === undefined) byType.set(subj.type, (bySubject = new Map()));
        pushTo(bySubject, subj.id, id);
      }
    }
    return byType;
  }

  private dispatch(type: string, relation: string, ids: readonly string[]): PerResource {
    if (ids.length === 0) return NOTHING;
    let merged: Map<string, SubjectSet> | undefined;
    let first: PerResource | undefined;
    for (const part of chunk(ids, DISPATCH_CHUNK_SIZE)) {
      const r = this.redispatch.dispatchLookupSubjects(
        {
          resourceType: type,
          resourceIds: part,
          relation,
          subjectType: this.req.subjectType,
          subjectRelation: this.req.subjectRelation,
          meta: childMeta(this.req.meta),
        },
        this.env,
      );
      if (r.depthRequired > this.childDepth) this.childDepth = r.depthRequired;
      if (first === undefined) first = r.byResource;
      else {
        const into = (merged ??= new Map(first));
        r.byResource.forEach((v, k) => into.set(k, v));
      }
    }
    return merged ?? first ?? NOTHING;
  }
}

function hasAny(m: PerResource, id: string): boolean {
  const set = m.get(id);
  return set !== undefined && !isEmptySubjectSet(set);
}

/** `set` into the builder of each of `resourceIds`. */
function addTo(builders: Map<string, SubjectSetBuilder>, resourceIds: readonly string[], set: SubjectSet): void {
  for (const rid of resourceIds) {
    let b = builders.get(rid);
    if (b === undefined) builders.set(rid, (b = new SubjectSetBuilder()));
    b.addSet(set);
  }
}

function built(builders: ReadonlyMap<string, SubjectSetBuilder>): PerResource {
  if (builders.size === 0) return NOTHING;
  const out = new Map<string, SubjectSet>();
  builders.forEach((b, id) => {
    const set = b.build();
    if (!isEmptySubjectSet(set)) out.set(id, set);
  });
  return out;
}

/** Per id, the union of the branches; a branch's answer itself when it is the only one with subjects. */
function unionEach(branches: readonly PerResource[], ids: readonly string[]): PerResource {
  const live = branches.filter((b) => b.size > 0);
  if (live.length === 0) return NOTHING;
  if (live.length === 1) return live[0]!;
  const out = new Map<string, SubjectSet>();
  for (const id of ids) {
    let first: SubjectSet | undefined;
    let builder: SubjectSetBuilder | undefined;
    for (const branch of live) {
      const set = branch.get(id);
      if (set === undefined) continue;
      if (first === undefined) first = set;
      else {
        if (builder === undefined) {
          builder = new SubjectSetBuilder();
          builder.addSet(first);
        }
        builder.addSet(set);
      }
    }
    const set = builder?.build() ?? first;
    if (set !== undefined && !isEmptySubjectSet(set)) out.set(id, set);
  }
  return out;
}

function zip(a: PerResource, b: PerResource, ids: readonly string[], f: (x: SubjectSet, y: SubjectSet) => SubjectSet): PerResource {
  const out = new Map<string, SubjectSet>();
  for (const id of ids) {
    const r = f(a.get(id) ?? EMPTY_SUBJECT_SET, b.get(id) ?? EMPTY_SUBJECT_SET);
    if (!isEmptySubjectSet(r)) out.set(id, r);
  }
  return out;
}
