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
import { EMPTY_SUBJECT_SET, intersectSubjects, isEmptySubjectSet, SubjectSetBuilder, subtractSubjects, unionSubjects } from './subject-set.js';

type PerResource = ReadonlyMap<string, SubjectSet>;

export function localLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv, redispatch: Dispatcher): LookupSubjectsResult {
  if (req.meta.depthRemaining <= 0) {
    throw new MaxDepthExceededError(req.meta.maxDepth, `${req.resourceType}#${req.relation}`);
  }
  const rel = relationOf(env.schema, req.resourceType, req.relation);
  const ids = [...new Set(req.resourceIds)];
  const step = new LookupSubjectsStep(req, env, redispatch);
  // A copy: what the step returns may be a (frozen, shared) cached answer of a sub-problem.
  const found = new Map(rel.kind === 'relation' ? step.direct(ids) : step.rewrite(rel.rewrite, ids));
  // The resource itself, when it is of the kind asked for (team:x#member is in team:x#member).
  if (req.subjectType === req.resourceType && req.subjectRelation === req.relation) {
    for (const id of ids) found.set(id, unionSubjects(found.get(id) ?? EMPTY_SUBJECT_SET, { concrete: new Set([id]), wildcard: undefined }));
  }
  for (const [id, set] of found) if (isEmptySubjectSet(set)) found.delete(id);
  return { byResource: found, depthRequired: 1 + step.childDepth };
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
    const builder = (id: string): SubjectSetBuilder => {
      let b = builders.get(id);
      if (b === undefined) builders.set(id, (b = new SubjectSetBuilder()));
      return b;
    };
    const nested = new Map<string, Map<string, string[]>>();
    for (const id of ids) {
      for (const subj of this.env.graph.subjects(resourceType, id, relation)) {
        if (subj.type === subjectType && subj.relation === subjectRelation) {
          if (subj.id === WILDCARD) builder(id).addWildcard();
          else builder(id).addConcrete(subj.id);
        }
        if (subj.relation !== undefined && subj.id !== WILDCARD) {
          const key = `${subj.type}#${subj.relation}`;
          let bySubject = nested.get(key);
          if (bySubject === undefined) nested.set(key, (bySubject = new Map()));
          pushTo(bySubject, subj.id, id);
        }
      }
    }
    for (const [key, bySubject] of nested) {
      const hash = key.indexOf('#');
      const sets = this.dispatch(key.slice(0, hash), key.slice(hash + 1), [...bySubject.keys()]);
      for (const [sid, set] of sets) for (const rid of bySubject.get(sid)!) builder(rid).addSet(set);
    }
    const out = new Map<string, SubjectSet>();
    for (const [id, b] of builders) out.set(id, b.build());
    return out;
  }

  rewrite(expr: RewriteExpr, ids: readonly string[]): PerResource {
    switch (expr.kind) {
      case 'nil':
        return new Map();
      case 'computed':
        return this.dispatch(this.req.resourceType, expr.relation, ids);
      case 'arrow':
        return expr.mode === 'any' ? this.arrowAny(expr.tupleset, expr.computed, ids) : this.arrowAll(expr.tupleset, expr.computed, ids);
      case 'union': {
        let acc: PerResource = new Map();
        for (const child of expr.children) acc = zip(acc, this.rewrite(child, ids), ids, unionSubjects);
        return acc;
      }
      case 'intersection': {
        let acc: PerResource | undefined;
        let remaining = ids;
        for (const child of expr.children) {
          const r = this.rewrite(child, remaining);
          acc = acc === undefined ? r : zip(acc, r, remaining, intersectSubjects);
          remaining = remaining.filter((id) => !isEmptySubjectSet(acc!.get(id) ?? EMPTY_SUBJECT_SET));
          if (remaining.length === 0) return new Map();
        }
        return acc ?? new Map();
      }
      case 'exclusion': {
        const base = this.rewrite(expr.base, ids);
        const remaining = ids.filter((id) => !isEmptySubjectSet(base.get(id) ?? EMPTY_SUBJECT_SET));
        if (remaining.length === 0) return new Map();
        return zip(base, this.rewrite(expr.subtract, remaining), remaining, subtractSubjects);
      }
    }
  }

  private arrowAny(tupleset: string, computed: string, ids: readonly string[]): PerResource {
    const byType = this.tuplesetSubjects(tupleset, ids).byType;
    const builders = new Map<string, SubjectSetBuilder>();
    for (const [type, bySubject] of byType) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      const sets = this.dispatch(type, computed, [...bySubject.keys()]);
      for (const [sid, set] of sets) {
        for (const rid of bySubject.get(sid)!) {
          let b = builders.get(rid);
          if (b === undefined) builders.set(rid, (b = new SubjectSetBuilder()));
          b.addSet(set);
        }
      }
    }
    const out = new Map<string, SubjectSet>();
    for (const [id, b] of builders) out.set(id, b.build());
    return out;
  }

  private arrowAll(tupleset: string, computed: string, ids: readonly string[]): PerResource {
    const { byType, subjectsOf } = this.tuplesetSubjects(tupleset, ids);
    const setsByType = new Map<string, ReadonlyMap<string, SubjectSet>>();
    for (const [type, bySubject] of byType) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      setsByType.set(type, this.dispatch(type, computed, [...bySubject.keys()]));
    }
    const out = new Map<string, SubjectSet>();
    for (const [id, subjects] of subjectsOf) {
      let acc: SubjectSet | undefined;
      for (const subj of subjects) {
        const set = subj.id === WILDCARD ? EMPTY_SUBJECT_SET : (setsByType.get(subj.type)?.get(subj.id) ?? EMPTY_SUBJECT_SET);
        acc = acc === undefined ? set : intersectSubjects(acc, set);
        if (isEmptySubjectSet(acc)) break;
      }
      if (acc !== undefined && !isEmptySubjectSet(acc)) out.set(id, acc);
    }
    return out;
  }

  private tuplesetSubjects(tupleset: string, ids: readonly string[]) {
    const byType = new Map<string, Map<string, string[]>>();
    const subjectsOf = new Map<string, { type: string; id: string }[]>();
    for (const id of ids) {
      const list: { type: string; id: string }[] = [];
      for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
        list.push(subj);
        if (subj.id === WILDCARD) continue;
        let bySubject = byType.get(subj.type);
        if (bySubject === undefined) byType.set(subj.type, (bySubject = new Map()));
        pushTo(bySubject, subj.id, id);
      }
      if (list.length > 0) subjectsOf.set(id, list);
    }
    return { byType, subjectsOf };
  }

  private dispatch(type: string, relation: string, ids: readonly string[]): ReadonlyMap<string, SubjectSet> {
    if (ids.length === 0) return new Map();
    let merged: Map<string, SubjectSet> | undefined;
    let first: ReadonlyMap<string, SubjectSet> | undefined;
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
        merged ??= new Map(first);
        for (const [k, v] of r.byResource) merged.set(k, v);
      }
    }
    return merged ?? first ?? new Map();
  }
}

function zip(a: ReadonlyMap<string, SubjectSet>, b: ReadonlyMap<string, SubjectSet>, ids: readonly string[], f: (x: SubjectSet, y: SubjectSet) => SubjectSet): PerResource {
  const out = new Map<string, SubjectSet>();
  for (const id of ids) {
    const r = f(a.get(id) ?? EMPTY_SUBJECT_SET, b.get(id) ?? EMPTY_SUBJECT_SET);
    if (!isEmptySubjectSet(r)) out.set(id, r);
  }
  return out;
}
