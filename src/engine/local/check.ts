/**
 * One step of Check, as SpiceDB's internal/graph/check.go does it: evaluate the rewrite of one
 * relation for a batch of resource ids, and send every sub-problem (computed usersets, arrows,
 * nested usersets) back through the ring with one less hop of depth.
 *
 * Semantics (SpiceDB's, with the choices where it leaves room):
 * - A subject equal to the resource and relation being asked (`team:x#member` asked about
 *   `team:x#member`) is a member.
 * - A direct tuple matches when its subject is exactly the subject (type, id and relation); a
 *   wildcard tuple `user:*` matches every subject of type `user` WITHOUT a relation. (SpiceDB's
 *   check also lets `team:*` match the userset `team:x#member`, while its LookupSubjects does not;
 *   we take the narrower reading everywhere, so Check and LookupSubjects agree and a wildcard never
 *   grants more than the schema author wrote.)
 * - A userset tuple `team:x#member` is followed by a dispatched check of `team:x#member`.
 * - Arrows ignore the subject relation of the tupleset tuple and skip subject types on which the
 *   computed relation does not exist. Wildcard tupleset tuples are not objects: `->` skips them and
 *   `.all()` counts them as failing, the conservative choice (SpiceDB's type system forbids them).
 * - `.all()` is true iff the resource has at least one tupleset subject and every one of them has
 *   the computed relation.
 * - No cycle detection: SpiceDB deliberately does not track visited objects ("nested recursive sets
 *   have unclear semantics", docs: modeling/recursion-and-max-depth) and a cycle that the walk must
 *   follow ends in a max-depth error (authzed/spicedb#1927).
 * - Which answer wins when a branch runs out of depth follows SpiceDB's concurrent evaluation
 *   (internal/graph/check.go), where a depth error only arrives after every hop it took, so it loses
 *   to any answer a branch can give without it, whatever the order the branches are written in:
 *   under `any` (ALLOW_SINGLE_RESULT) a union's first member wins over a branch's depth error; an
 *   intersection with an empty branch is empty whatever its other branches do. Under `all`
 *   (REQUIRE_ALL_RESULTS, which SpiceDB gives the branches of `&` and `-` on the same object) every
 *   branch of a union runs and its error is the answer, as is any error under `-`.
 */
import { MaxDepthExceededError } from '../../core/errors.js';
import { WILDCARD } from '../../core/refs.js';
import type { SubjectRef } from '../../core/refs.js';
import type { RewriteExpr } from '../../schema/compiled.js';
import { childMeta, DISPATCH_CHUNK_SIZE } from '../dispatcher.js';
import type { CheckRequest, CheckResult, Dispatcher, DispatchEnv, ResultsSetting } from '../dispatcher.js';
import { checkKey } from '../keys.js';
import { chunk, hasRelation, pushTo, relationOf } from './schema-access.js';

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Depth failures seen during one walk (one top-level call: one `env` object). A sub-problem that ran
 * out of depth with `d` hops left fails again with `d` or fewer (less depth only cuts more paths and
 * finds fewer members), so it is not walked again: without this, letting every branch of a union
 * have its turn (DeferredDepthError) re-walks a cyclic graph once per path through it.
 */
const depthFailures = new WeakMap<DispatchEnv, Map<string, { readonly depth: number; readonly error: MaxDepthExceededError }>>();

export function localCheck(req: CheckRequest, env: DispatchEnv, redispatch: Dispatcher): CheckResult {
  const failures = depthFailures.get(env);
  if (failures !== undefined) {
    const failed = failures.get(checkKey(req));
    if (failed !== undefined && req.meta.depthRemaining <= failed.depth) throw failed.error;
  }
  try {
    return checkOnce(req, env, redispatch);
  } catch (e) {
    if (e instanceof MaxDepthExceededError) {
      let map = failures;
      if (map === undefined) depthFailures.set(env, (map = new Map()));
      const key = checkKey(req);
      const before = map.get(key);
      if (before === undefined || before.depth < req.meta.depthRemaining) map.set(key, { depth: req.meta.depthRemaining, error: e });
    }
    throw e;
  }
}

function checkOnce(req: CheckRequest, env: DispatchEnv, redispatch: Dispatcher): CheckResult {
  if (req.meta.depthRemaining <= 0) {
    throw new MaxDepthExceededError(req.meta.maxDepth, `${req.resourceType}#${req.relation}`);
  }
  const rel = relationOf(env.schema, req.resourceType, req.relation);
  const ids = [...new Set(req.resourceIds)];
  const s = req.subject;
  const members = new Set<string>();
  let pending = ids;
  if (s.type === req.resourceType && s.relation === req.relation && ids.includes(s.id)) {
    members.add(s.id);
    if (req.results === 'any') return { members, depthRequired: 1 };
    pending = ids.filter((id) => id !== s.id);
  }
  if (pending.length === 0) return { members, depthRequired: 1 };
  const step = new CheckStep(req, env, redispatch);
  const results: ResultsSetting = pending.length === 1 ? 'any' : req.results;
  const found = rel.kind === 'relation' ? step.direct(pending, results) : step.rewrite(rel.rewrite, pending, results);
  for (const id of found) members.add(id);
  return { members, depthRequired: 1 + step.childDepth };
}

class CheckStep {
  childDepth = 0;
  private readonly subject: SubjectRef;

  constructor(
    private readonly req: CheckRequest,
    private readonly env: DispatchEnv,
    private readonly redispatch: Dispatcher,
  ) {
    this.subject = req.subject;
  }

  /** The direct tuples of a relation: the subject itself, a wildcard, or usersets to follow. */
  direct(ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    const { resourceType, relation } = this.req;
    const s = this.subject;
    const found = new Set<string>();
    // `type#relation` -> subject id -> resource ids that reach it.
    const nested = new Map<string, Map<string, string[]>>();
    for (const id of ids) {
      let usersets: SubjectRef[] | undefined;
      let member = false;
      for (const subj of this.env.graph.subjects(resourceType, id, relation)) {
        if (subj.type === s.type && subj.relation === s.relation && (subj.id === s.id || (subj.id === WILDCARD && s.relation === undefined))) {
          member = true;
          break;
        }
        if (subj.relation !== undefined && subj.id !== WILDCARD) (usersets ??= []).push(subj);
      }
      if (member) {
        found.add(id);
        if (results === 'any') return found;
      } else if (usersets !== undefined) {
        for (const u of usersets) {
          const key = `${u.type}#${u.relation}`;
          let bySubject = nested.get(key);
          if (bySubject === undefined) nested.set(key, (bySubject = new Map()));
          pushTo(bySubject, u.id, id);
        }
      }
    }
    const deferred = new DeferredDepthError();
    for (const [key, bySubject] of nested) {
      const hash = key.indexOf('#');
      deferred.run(results, () => this.dispatchMapped(key.slice(0, hash), key.slice(hash + 1), bySubject, found, results));
      if (results === 'any' && found.size > 0) return found;
    }
    deferred.throwIfAny();
    return found;
  }

  rewrite(expr: RewriteExpr, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    switch (expr.kind) {
      case 'nil':
        return EMPTY;
      case 'computed':
        return this.dispatch(this.req.resourceType, expr.relation, ids, results);
      case 'arrow':
        return expr.mode === 'any' ? this.arrowAny(expr.tupleset, expr.computed, ids, results) : this.arrowAll(expr.tupleset, expr.computed, ids);
      case 'union': {
        // Every branch sees every id: under `all` SpiceDB runs each one to the end (and surfaces its
        // errors); under `any` the first member returns at once anyway.
        const found = new Set<string>();
        const deferred = new DeferredDepthError();
        for (const child of expr.children) {
          deferred.run(results, () => {
            for (const id of this.rewrite(child, ids, results)) found.add(id);
          });
          if (found.size > 0 && results === 'any') return found;
        }
        deferred.throwIfAny();
        return found;
      }
      case 'intersection': {
        // SpiceDB's `all` reducer: an empty branch answers "no" at once; a branch's depth error only
        // if no branch is empty.
        let candidates = ids;
        let depthError: MaxDepthExceededError | undefined;
        for (const child of expr.children) {
          let r: ReadonlySet<string>;
          try {
            r = this.rewrite(child, candidates, 'all');
          } catch (e) {
            if (!(e instanceof MaxDepthExceededError)) throw e;
            depthError ??= e;
            continue;
          }
          candidates = candidates.filter((id) => r.has(id));
          if (candidates.length === 0) return EMPTY;
        }
        if (depthError !== undefined) throw depthError;
        return new Set(candidates);
      }
      case 'exclusion': {
        const base = this.rewrite(expr.base, ids, 'all');
        if (base.size === 0) return EMPTY;
        const candidates = ids.filter((id) => base.has(id));
        const sub = this.rewrite(expr.subtract, candidates, 'all');
        return new Set(candidates.filter((id) => !sub.has(id)));
      }
    }
  }

  private arrowAny(tupleset: string, computed: string, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    // subject type -> subject id -> resource ids
    const byType = new Map<string, Map<string, string[]>>();
    for (const id of ids) {
      for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
        if (subj.id === WILDCARD) continue;
        let bySubject = byType.get(subj.type);
        if (bySubject === undefined) byType.set(subj.type, (bySubject = new Map()));
        pushTo(bySubject, subj.id, id);
      }
    }
    const found = new Set<string>();
    const deferred = new DeferredDepthError();
    for (const [type, bySubject] of byType) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      deferred.run(results, () => this.dispatchMapped(type, computed, bySubject, found, results));
      if (results === 'any' && found.size > 0) return found;
    }
    deferred.throwIfAny();
    return found;
  }

  private arrowAll(tupleset: string, computed: string, ids: readonly string[]): ReadonlySet<string> {
    const subjectsOf = new Map<string, SubjectRef[]>();
    const idsByType = new Map<string, Set<string>>();
    for (const id of ids) {
      const list: SubjectRef[] = [];
      for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
        list.push(subj);
        if (subj.id === WILDCARD) continue;
        let set = idsByType.get(subj.type);
        if (set === undefined) idsByType.set(subj.type, (set = new Set()));
        set.add(subj.id);
      }
      subjectsOf.set(id, list);
    }
    const membersByType = new Map<string, ReadonlySet<string>>();
    for (const [type, subjectIds] of idsByType) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      const list = [...subjectIds];
      membersByType.set(type, this.dispatch(type, computed, list, list.length === 1 ? 'any' : 'all'));
    }
    const found = new Set<string>();
    for (const [id, subjects] of subjectsOf) {
      if (subjects.length === 0) continue;
      if (subjects.every((subj) => subj.id !== WILDCARD && (membersByType.get(subj.type)?.has(subj.id) ?? false))) found.add(id);
    }
    return found;
  }

  /** Dispatches `type:subjectId#relation` for each key of `bySubject` and marks the mapped resources found. */
  private dispatchMapped(type: string, relation: string, bySubject: ReadonlyMap<string, readonly string[]>, found: Set<string>, results: ResultsSetting): void {
    // Every subject is dispatched, even one whose resources another group already found: SpiceDB
    // runs the groups at once, and under `all` an error from any of them is the answer.
    const subjectIds = [...bySubject.keys()];
    if (subjectIds.length === 0) return;
    const members = this.dispatch(type, relation, subjectIds, results);
    for (const sid of members) for (const rid of bySubject.get(sid)!) found.add(rid);
  }

  /** A check of `type:ids#relation` one hop deeper, in chunks, short-circuiting under `any`. */
  private dispatch(type: string, relation: string, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    const s = this.subject;
    const found = new Set<string>();
    let pending = ids;
    // As SpiceDB does before dispatching: the subject itself is a member without another hop.
    if (s.type === type && s.relation === relation && ids.includes(s.id)) {
      found.add(s.id);
      if (results === 'any') return found;
      pending = ids.filter((id) => id !== s.id);
    }
    const deferred = new DeferredDepthError();
    for (const part of chunk(pending, DISPATCH_CHUNK_SIZE)) {
      deferred.run(results, () => {
        const r = this.redispatch.dispatchCheck(
          {
            resourceType: type,
            resourceIds: part,
            relation,
            subject: s,
            results: part.length === 1 ? 'any' : results,
            meta: childMeta(this.req.meta),
          },
          this.env,
        );
        if (r.depthRequired > this.childDepth) this.childDepth = r.depthRequired;
        for (const id of r.members) found.add(id);
      });
      if (results === 'any' && found.size > 0) return found;
    }
    deferred.throwIfAny();
    return found;
  }
}

/**
 * The branches of a union as SpiceDB runs them, all at once: under `any` a branch that ran out of
 * depth is set aside while the others may still find a member, and is the answer only if none does;
 * under `all` its error is the answer at once.
 */
class DeferredDepthError {
  private error: MaxDepthExceededError | undefined;

  run(results: ResultsSetting, branch: () => void): void {
    if (results === 'all') return branch();
    try {
      branch();
    } catch (e) {
      if (!(e instanceof MaxDepthExceededError)) throw e;
      this.error ??= e;
    }
  }

  throwIfAny(): void {
    if (this.error !== undefined) throw this.error;
  }
}
