/**
 * The subjects an expansion finds, as `zed validate` counts them for the `validation` block: every
 * subject in a leaf of the fully expanded tree (usersets such as `team:x#member` as well as the users
 * they expand to), each with the relations that hold it directly, and the set operations applied
 * along the way. SpiceDB builds this from its Expand tree (internal/developmentmembership); doing the
 * same from Warden's Expand tree keeps the block's meaning identical, and exercises Expand.
 *
 * Sets are kept per subject type and relation; within one, a wildcard carries the ids it excludes.
 * Caveats are not supported, so no found subject is ever caveated.
 */
import { InvalidArgumentError, MaxDepthExceededError } from '../core/errors.js';
import { WILDCARD } from '../core/refs.js';
import type { SubjectRef } from '../core/refs.js';
import type { ExpandNode } from '../engine/engine.js';

export interface FoundSubject {
  readonly subject: SubjectRef;
  /** For a wildcard: the ids (of the same type and relation) it excludes. */
  readonly excluded: ReadonlySet<string>;
  /** `type:id#relation` of the relations that hold the subject directly. */
  readonly grantedBy: ReadonlySet<string>;
}

interface MutableFound {
  subject: SubjectRef;
  /** Excluded id -> the relations of the subject that was subtracted (a wildcard minus a wildcard turns them back into subjects). */
  excluded: Map<string, Set<string>>;
  grantedBy: Set<string>;
}

/**
 * One subject type and relation: concrete subjects by id, and the wildcard if present. The operations
 * follow SpiceDB's BaseSubjectSet without caveats, including which relations a result keeps.
 */
class TypedSet {
  readonly concrete = new Map<string, MutableFound>();
  wildcard: MutableFound | undefined;

  /** Does the wildcard here cover `id`? */
  covers(id: string): boolean {
    return this.wildcard !== undefined && !this.wildcard.excluded.has(id);
  }

  add(f: MutableFound): void {
    if (f.subject.id === WILDCARD) {
      if (this.wildcard === undefined) {
        this.wildcard = copy(f);
      } else {
        // The union of two wildcards excludes only what both exclude.
        for (const [id, by] of [...this.wildcard.excluded]) {
          const other = f.excluded.get(id);
          if (other === undefined) this.wildcard.excluded.delete(id);
          else merge(by, other);
        }
        merge(this.wildcard.grantedBy, f.grantedBy);
      }
      for (const id of this.concrete.keys()) this.wildcard.excluded.delete(id);
      return;
    }
    const existing = this.concrete.get(f.subject.id);
    if (existing) merge(existing.grantedBy, f.grantedBy);
    else this.concrete.set(f.subject.id, copy(f));
    // A concrete subject in the union is no longer excluded from the wildcard.
    this.wildcard?.excluded.delete(f.subject.id);
  }

  /** Removes from this set everything in `other`. */
  subtract(other: TypedSet): void {
    for (const id of [...this.concrete.keys()]) {
      if (other.concrete.has(id) || other.covers(id)) this.concrete.delete(id);
    }
    if (this.wildcard === undefined) return;
    if (other.wildcard !== undefined) {
      // `* - A` minus `* - B` leaves the ids of B that are not in A (nor concrete in the other set).
      for (const [id, by] of other.wildcard.excluded) {
        if (!this.wildcard.excluded.has(id) && !other.concrete.has(id)) {
          // A concrete subject kept here (the other wildcard excludes it) is united with the one the
          // wildcards produce, relations and all, as SpiceDB's unionConcrete does.
          const kept = this.concrete.get(id);
          const grantedBy = kept ? union(kept.grantedBy, by) : new Set(by);
          this.concrete.set(id, { subject: { ...this.wildcard.subject, id }, excluded: new Map(), grantedBy });
        }
      }
      this.wildcard = undefined;
      return;
    }
    for (const [id, f] of other.concrete) {
      const by = this.wildcard.excluded.get(id);
      if (by === undefined) this.wildcard.excluded.set(id, new Set(f.grantedBy));
      else merge(by, f.grantedBy);
    }
  }

  /**
   * Keeps only what is also in `other`. A subject found on both sides keeps the relations of both; a
   * subject that meets a wildcard keeps its own.
   */
  intersect(other: TypedSet): void {
    const kept = new Map<string, MutableFound>();
    for (const [id, f] of this.concrete) {
      const o = other.concrete.get(id);
      if (o) kept.set(id, { ...f, grantedBy: union(f.grantedBy, o.grantedBy) });
      else if (other.covers(id)) kept.set(id, f);
    }
    for (const [id, o] of other.concrete) {
      if (!kept.has(id) && this.covers(id)) kept.set(id, o);
    }
    let wildcard: MutableFound | undefined;
    if (this.wildcard !== undefined && other.wildcard !== undefined) {
      const excluded = new Map<string, Set<string>>();
      for (const side of [this.wildcard, other.wildcard]) {
        for (const [id, by] of side.excluded) {
          const mine = excluded.get(id);
          if (mine === undefined) excluded.set(id, new Set(by));
          else merge(mine, by);
        }
      }
      wildcard = { subject: this.wildcard.subject, excluded, grantedBy: union(this.wildcard.grantedBy, other.wildcard.grantedBy) };
    }
    this.concrete.clear();
    for (const [id, f] of kept) this.concrete.set(id, f);
    this.wildcard = wildcard;
  }
}

class TrackingSet {
  readonly byKey = new Map<string, TypedSet>();

  private typed(key: string): TypedSet {
    let s = this.byKey.get(key);
    if (s === undefined) this.byKey.set(key, (s = new TypedSet()));
    return s;
  }

  add(f: MutableFound): void {
    this.typed(keyOf(f.subject)).add(f);
  }

  addAll(other: TrackingSet): void {
    for (const [key, set] of other.byKey) {
      const mine = this.typed(key);
      if (set.wildcard) mine.add(set.wildcard);
      for (const f of set.concrete.values()) mine.add(f);
    }
  }

  subtract(other: TrackingSet): void {
    for (const [key, set] of this.byKey) {
      const o = other.byKey.get(key);
      if (o) set.subtract(o);
    }
  }

  intersect(other: TrackingSet): void {
    for (const [key, set] of [...this.byKey]) {
      const o = other.byKey.get(key);
      if (o) set.intersect(o);
      else this.byKey.delete(key);
    }
  }

  toList(): FoundSubject[] {
    const out: FoundSubject[] = [];
    for (const set of this.byKey.values()) {
      if (set.wildcard) out.push(freeze(set.wildcard));
      for (const f of set.concrete.values()) out.push(freeze(f));
    }
    return out;
  }
}

/**
 * The subjects found by the expansion `tree`, each once. A branch the expansion had to cut (depth ran
 * out, usually a cycle) is an error rather than a partial answer, as in SpiceDB.
 */
export function foundSubjects(tree: ExpandNode, maxDepth: number): FoundSubject[] {
  return collect(tree, maxDepth).toList();
}

function collect(node: ExpandNode, maxDepth: number): TrackingSet {
  switch (node.kind) {
    case 'truncated':
      throw new MaxDepthExceededError(maxDepth, `${node.resource.type}:${node.resource.id}#${node.relation}`);
    case 'nil':
      return new TrackingSet();
    case 'leaf': {
      const out = new TrackingSet();
      const at = `${node.resource.type}:${node.resource.id}#${node.relation}`;
      for (const subject of node.subjects) out.add({ subject, excluded: new Map(), grantedBy: new Set([at]) });
      for (const child of node.children) out.addAll(collect(child, maxDepth));
      return out;
    }
    case 'union':
      return unionOf(node.children, maxDepth);
    case 'arrow':
      if (node.mode === 'any') return unionOf(node.children, maxDepth);
      // SpiceDB expands `.all()` over no objects to an intersection with no children, which its
      // membership builder refuses ("found intersection with no children") instead of calling empty.
      if (node.children.length === 0) {
        throw new InvalidArgumentError(
          `cannot compute the subjects of \`${node.resource.type}:${node.resource.id}#${node.relation}\`: \`${node.tupleset}.all(${node.computed})\` has no \`${node.tupleset}\` objects to intersect`,
        );
      }
      return intersectionOf(node.children, maxDepth);
    case 'intersection':
      return intersectionOf(node.children, maxDepth);
    case 'exclusion': {
      const out = collect(node.children[0], maxDepth);
      out.subtract(collect(node.children[1], maxDepth));
      return out;
    }
  }
}

function unionOf(children: readonly ExpandNode[], maxDepth: number): TrackingSet {
  const out = new TrackingSet();
  for (const child of children) out.addAll(collect(child, maxDepth));
  return out;
}

function intersectionOf(children: readonly ExpandNode[], maxDepth: number): TrackingSet {
  if (children.length === 0) return new TrackingSet();
  const out = collect(children[0]!, maxDepth);
  for (const child of children.slice(1)) out.intersect(collect(child, maxDepth));
  return out;
}

/** Subjects are grouped by type and relation: `user:*` covers `user:x`, never `team:x#member`. */
function keyOf(s: SubjectRef): string {
  return `${s.type}#${s.relation ?? '...'}`;
}

function copy(f: MutableFound): MutableFound {
  return { subject: f.subject, excluded: new Map([...f.excluded].map(([id, by]) => [id, new Set(by)])), grantedBy: new Set(f.grantedBy) };
}

function freeze(f: MutableFound): FoundSubject {
  return { subject: f.subject, excluded: new Set(f.excluded.keys()), grantedBy: new Set(f.grantedBy) };
}

function merge(into: Set<string>, from: ReadonlySet<string>): void {
  for (const x of from) into.add(x);
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set(a);
  merge(out, b);
  return out;
}
