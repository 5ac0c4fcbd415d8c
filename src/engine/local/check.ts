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
import type { RelationDef, RewriteExpr } from '../../schema/compiled.js';
import { childMeta, DISPATCH_CHUNK_SIZE } from '../dispatcher.js';
import type { CheckRequest, CheckResult, Dispatcher, DispatchEnv, DispatchMeta, ResultsSetting } from '../dispatcher.js';
import { checkKey } from '../keys.js';
import { chunk, hasRelation, pushTo, relationOf } from './schema-access.js';

const EMPTY: ReadonlySet<string> = new Set();

interface RelationShape {
  /** Types `t` with `t:*` allowed. */
  readonly wildcardTypes: ReadonlySet<string>;
  /** Whether any `type#relation` subject is allowed. */
  readonly usersets: boolean;
}

const shapes = new WeakMap<RelationDef, RelationShape>();

function shapeOf(rel: RelationDef): RelationShape {
  let shape = shapes.get(rel);
  if (shape === undefined) {
    shape = {
      wildcardTypes: new Set(rel.allowed.filter((a) => a.wildcard === true).map((a) => a.type)),
      usersets: rel.allowed.some((a) => a.relation !== undefined),
    };
    shapes.set(rel, shape);
  }
  return shape;
}

const wildcards = new Map<string, SubjectRef>();

/** `type:*`, the subject of a wildcard grant, one frozen object per type. */
function wildcardOf(type: string): SubjectRef {
  let w = wildcards.get(type);
  if (w === undefined) wildcards.set(type, (w = Object.freeze({ type, id: WILDCARD })));
  return w;
}

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
  const ids = req.resourceIds.length === 1 ? req.resourceIds : [...new Set(req.resourceIds)];
  const s = req.subject;
  let pending = ids;
  let self = false;
  if (s.type === req.resourceType && s.relation === req.relation && ids.includes(s.id)) {
    if (req.results === 'any' || ids.length === 1) return { members: new Set([s.id]), depthRequired: 1 };
    self = true;
    pending = ids.filter((id) => id !== s.id);
  }
  const step = new CheckStep(req, env, redispatch);
  const results: ResultsSetting = pending.length === 1 ? 'any' : req.results;
  const found = rel.kind === 'relation' ? step.direct(rel, pending, results) : step.rewrite(rel.rewrite, pending, results);
  let members = found;
  if (self) (members = new Set(found)).add(s.id);
  // The step's set may be a dispatched answer (shared, read-only): it is never changed, only passed on.
  return { members: members.size === 0 ? EMPTY : members, depthRequired: 1 + step.childDepth };
}

class CheckStep {
  childDepth = 0;
  private readonly subject: SubjectRef;
  /** The sub-problems' meta, one object for all of this step's dispatches (it is read-only). */
  private childMeta: DispatchMeta | undefined = undefined;

  constructor(
    private readonly req: CheckRequest,
    private readonly env: DispatchEnv,
    private readonly redispatch: Dispatcher,
  ) {
    this.subject = req.subject;
  }

  /** The direct tuples of a relation: the subject itself, a wildcard, or usersets to follow. */
  direct(rel: RelationDef, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    const { resourceType, relation } = this.req;
    const s = this.subject;
    const graph = this.env.graph;
    // Writes are validated against the schema (and a schema change that would orphan relationships is
    // refused), so the relation can only hold the subject kinds its type annotation allows.
    const shape = shapeOf(rel);
    const wildcard = s.relation === undefined && shape.wildcardTypes.has(s.type) ? wildcardOf(s.type) : undefined;
    let found: Set<string> | undefined;
    // The usersets to follow, grouped by their type and relation (mostly one group, e.g. team#member).
    let groups: UsersetGroup[] | undefined;
    for (const id of ids) {
      // Membership is asked of the index (one lookup, even on a team of thousands); only the usersets
      // are listed, to be followed.
      if (graph.hasSubject(resourceType, id, relation, s) || (wildcard !== undefined && graph.hasSubject(resourceType, id, relation, wildcard))) {
        (found ??= new Set()).add(id);
        if (results === 'any') return found;
        continue;
      }
      if (!shape.usersets) continue;
      for (const u of graph.usersets(resourceType, id, relation)) {
        if (u.id === WILDCARD) continue;
        groups ??= [];
        pushTo(groupOf(groups, u.type, u.relation!), u.id, id);
      }
    }
    if (groups === undefined) return found ?? EMPTY;
    found ??= new Set();
    let depthError: MaxDepthExceededError | undefined;
    for (const g of groups) {
      try {
        this.dispatchMapped(g.type, g.relation, g.bySubject, found, results);
      } catch (e) {
        depthError = deferDepth(results, e, depthError);
      }
      if (results === 'any' && found.size > 0) return found;
    }
    if (depthError !== undefined) throw depthError;
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
        // errors); under `any` the first member returns at once anyway. A single non-empty branch is
        // the answer as is; a set is built only when two branches find members.
        let found: ReadonlySet<string> = EMPTY;
        let own: Set<string> | undefined;
        let depthError: MaxDepthExceededError | undefined;
        for (const child of expr.children) {
          let r: ReadonlySet<string>;
          try {
            r = this.rewrite(child, ids, results);
          } catch (e) {
            depthError = deferDepth(results, e, depthError);
            continue;
          }
          if (r.size === 0) continue;
          if (results === 'any') return r;
          if (found.size === 0) found = r;
          else {
            if (own === undefined) found = own = new Set(found);
            for (const id of r) own.add(id);
          }
        }
        if (depthError !== undefined) throw depthError;
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
    if (ids.length === 1 && results === 'any') return this.arrowAnyOne(tupleset, computed, ids[0]!);
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
    let depthError: MaxDepthExceededError | undefined;
    for (const [type, bySubject] of byType) {
      if (!hasRelation(this.env.schema, type, computed)) continue;
      try {
        this.dispatchMapped(type, computed, bySubject, found, results);
      } catch (e) {
        depthError = deferDepth(results, e, depthError);
      }
      if (results === 'any' && found.size > 0) return found;
    }
    if (depthError !== undefined) throw depthError;
    return found;
  }

  /**
   * `tupleset->computed` for one resource under `any` (the usual case): its subjects of each type are
   * one batched dispatch, and the first type with a member answers. No resource-id bookkeeping needed.
   */
  private arrowAnyOne(tupleset: string, computed: string, id: string): ReadonlySet<string> {
    // subject type -> subject ids, in the order the types come (one type, nearly always).
    const types: string[] = [];
    const idsOf: string[][] = [];
    for (const subj of this.env.graph.subjects(this.req.resourceType, id, tupleset)) {
      if (subj.id === WILDCARD) continue;
      const t = types.indexOf(subj.type);
      if (t >= 0) idsOf[t]!.push(subj.id);
      else {
        types.push(subj.type);
        idsOf.push([subj.id]);
      }
    }
    let depthError: MaxDepthExceededError | undefined;
    for (let t = 0; t < types.length; t++) {
      if (!hasRelation(this.env.schema, types[t]!, computed)) continue;
      try {
        if (this.dispatch(types[t]!, computed, idsOf[t]!, 'any').size > 0) return new Set([id]);
      } catch (e) {
        depthError = deferDepth('any', e, depthError);
      }
    }
    if (depthError !== undefined) throw depthError;
    return EMPTY;
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

  /**
   * A check of `type:ids#relation` one hop deeper, in chunks, short-circuiting under `any`. With one
   * chunk the answer is the dispatched one as is (possibly a cached, shared set: read-only).
   */
  private dispatch(type: string, relation: string, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    const s = this.subject;
    let pending = ids;
    let found: Set<string> | undefined;
    // As SpiceDB does before dispatching: the subject itself is a member without another hop.
    if (s.type === type && s.relation === relation && ids.includes(s.id)) {
      found = new Set([s.id]);
      if (results === 'any') return found;
      pending = ids.filter((id) => id !== s.id);
    }
    if (pending.length <= DISPATCH_CHUNK_SIZE && found === undefined) {
      return pending.length === 0 ? EMPTY : this.dispatchOne(type, relation, pending, results);
    }
    found ??= new Set<string>();
    let depthError: MaxDepthExceededError | undefined;
    for (const part of chunk(pending, DISPATCH_CHUNK_SIZE)) {
      try {
        for (const id of this.dispatchOne(type, relation, part, results)) found.add(id);
      } catch (e) {
        depthError = deferDepth(results, e, depthError);
      }
      if (results === 'any' && found.size > 0) return found;
    }
    if (depthError !== undefined) throw depthError;
    return found;
  }

  private dispatchOne(type: string, relation: string, ids: readonly string[], results: ResultsSetting): ReadonlySet<string> {
    const r = this.redispatch.dispatchCheck(
      {
        resourceType: type,
        resourceIds: ids,
        relation,
        subject: this.subject,
        results: ids.length === 1 ? 'any' : results,
        meta: (this.childMeta ??= childMeta(this.req.meta)),
      },
      this.env,
    );
    if (r.depthRequired > this.childDepth) this.childDepth = r.depthRequired;
    return r.members;
  }
}

/** Userset subjects of one `type#relation`: subject id -> the resource ids that reach it. */
interface UsersetGroup {
  readonly type: string;
  readonly relation: string;
  readonly bySubject: Map<string, string[]>;
}

// A linear scan, not a map keyed by a joined `type#relation` string: there are one or two groups, and
// their names are the index's own strings, so the comparisons are mostly by identity.
function groupOf(groups: UsersetGroup[], type: string, relation: string): Map<string, string[]> {
  for (const g of groups) if (g.relation === relation && g.type === type) return g.bySubject;
  const g: UsersetGroup = { type, relation, bySubject: new Map() };
  groups.push(g);
  return g.bySubject;
}

/**
 * The branches of a union as SpiceDB runs them, all at once: under `any` a branch that ran out of
 * depth is set aside (returned, to be thrown if no other branch finds a member); under `all` its
 * error is the answer at once, as is any other error.
 */
function deferDepth(results: ResultsSetting, e: unknown, before: MaxDepthExceededError | undefined): MaxDepthExceededError {
  if (results === 'all' || !(e instanceof MaxDepthExceededError)) throw e;
  return before ?? e;
}
