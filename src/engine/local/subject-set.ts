/**
 * Set algebra over SubjectSets, exact in the presence of wildcards. A set is "the concrete ids, plus,
 * if there is a wildcard, every id but the excluded ones". For any boolean operator f, the result's
 * wildcard is f(wildcardA, wildcardB) (true for every id that neither set names), and only the ids
 * that some operand names can differ from that, so they are evaluated one by one. Concrete ids are
 * listed as SpiceDB lists them (internal/datasets/basesubjectset.go): those named concretely by an
 * operand, plus, where no wildcard remains, any id that is still a member: (`*` but `a`) minus
 * (`*` but `b`) is the concrete `b`, unless `b` is `a`.
 *
 * Sharing: operands are never mutated, and a result may be one of its operands (or hold one of its
 * sets) when that is the answer, e.g. a union where one side holds the other. Most operands are
 * cached sub-problem answers, read-only and shared, so copying them per operation only fed the minor
 * GCs that make up LookupSubjects' latency tail.
 */
import type { SubjectSet } from '../dispatcher.js';

const NO_IDS: ReadonlySet<string> = new Set<string>();

/**
 * Results are instances of a class, never object literals: V8 pretenures a literal's allocation site
 * once its objects tend to survive (as cached answers do in a warm server). A pretenured holder is
 * born in old space, and the young sets it points to are then promoted at every scavenge even once
 * the holder is garbage: scavenges of 5-20 ms instead of ~1 ms, measured after a warm-up.
 */
class Subjects implements SubjectSet {
  constructor(
    readonly concrete: ReadonlySet<string>,
    readonly wildcard: ReadonlySet<string> | undefined,
  ) {}
}

export function subjectSetOf(concrete: ReadonlySet<string>, wildcard?: ReadonlySet<string>): SubjectSet {
  return new Subjects(concrete, wildcard);
}

export const EMPTY_SUBJECT_SET: SubjectSet = Object.freeze({ concrete: NO_IDS, wildcard: undefined });

/** `*` with no exclusions. */
const ALL_SUBJECTS: SubjectSet = Object.freeze({ concrete: NO_IDS, wildcard: NO_IDS });

export function hasSubject(set: SubjectSet, id: string): boolean {
  return set.concrete.has(id) || (set.wildcard !== undefined && !set.wildcard.has(id));
}

export function isEmptySubjectSet(s: SubjectSet): boolean {
  return s.concrete.size === 0 && s.wildcard === undefined;
}

/** The general case, for operands with a wildcard: every id some operand names, evaluated once. */
function combine(a: SubjectSet, b: SubjectSet, f: (x: boolean, y: boolean) => boolean): SubjectSet {
  const wildcard = f(a.wildcard !== undefined, b.wildcard !== undefined);
  const concrete = new Set<string>();
  const excluded = wildcard ? new Set<string>() : undefined;
  const visit = (id: string, named: boolean): void => {
    if (!f(hasSubject(a, id), hasSubject(b, id))) excluded?.add(id);
    else if (named || !wildcard) concrete.add(id);
  };
  for (const id of a.concrete) visit(id, true);
  for (const id of b.concrete) if (!a.concrete.has(id)) visit(id, true);
  if (a.wildcard !== undefined) {
    for (const id of a.wildcard) if (!a.concrete.has(id) && !b.concrete.has(id)) visit(id, false);
  }
  if (b.wildcard !== undefined) {
    for (const id of b.wildcard) if (!a.concrete.has(id) && !b.concrete.has(id) && !(a.wildcard?.has(id) ?? false)) visit(id, false);
  }
  return new Subjects(concrete, excluded);
}

export function unionSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  if (isEmptySubjectSet(b)) return a;
  if (isEmptySubjectSet(a)) return b;
  if (a.wildcard === undefined && b.wildcard === undefined) {
    const concrete = unionIds(a.concrete, b.concrete);
    if (concrete === a.concrete) return a;
    if (concrete === b.concrete) return b;
    return new Subjects(concrete, undefined);
  }
  return combine(a, b, (x, y) => x || y);
}

export function intersectSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  if (isEmptySubjectSet(a) || isEmptySubjectSet(b)) return EMPTY_SUBJECT_SET;
  if (a.wildcard === undefined && b.wildcard === undefined) {
    const concrete = intersectIds(a.concrete, b.concrete);
    if (concrete === a.concrete) return a;
    if (concrete === b.concrete) return b;
    return concrete.size === 0 ? EMPTY_SUBJECT_SET : new Subjects(concrete, undefined);
  }
  return combine(a, b, (x, y) => x && y);
}

export function subtractSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  if (isEmptySubjectSet(a)) return EMPTY_SUBJECT_SET;
  if (isEmptySubjectSet(b)) return a;
  if (a.wildcard === undefined && b.wildcard === undefined) {
    const concrete = subtractIds(a.concrete, b.concrete);
    if (concrete === a.concrete) return a;
    return concrete.size === 0 ? EMPTY_SUBJECT_SET : new Subjects(concrete, undefined);
  }
  return combine(a, b, (x, y) => x && !y);
}

/** a ∪ b; the larger operand itself when it holds the other, else one copy of the larger. */
function unionIds(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  const big = a.size >= b.size ? a : b;
  const small = big === a ? b : a;
  let out: Set<string> | undefined;
  for (const id of small) {
    if (out === undefined) {
      if (big.has(id)) continue;
      out = copyIds(big);
    }
    out.add(id);
  }
  return out ?? big;
}

/** a ∩ b; the smaller operand itself when the larger holds it all. */
function intersectIds(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  const big = a.size >= b.size ? a : b;
  const small = big === a ? b : a;
  let kept = 0;
  for (const id of small) if (big.has(id)) kept++;
  if (kept === small.size) return small;
  const out = new Set<string>();
  if (kept > 0) for (const id of small) if (big.has(id)) out.add(id);
  return out;
}

/** a \ b; `a` itself when nothing of `b` is in it. */
function subtractIds(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (b.size < a.size) {
    let out: Set<string> | undefined;
    for (const id of b) {
      if (!a.has(id)) continue;
      out ??= copyIds(a);
      out.delete(id);
    }
    return out ?? a;
  }
  let hit = false;
  for (const id of a) {
    if (b.has(id)) {
      hit = true;
      break;
    }
  }
  if (!hit) return a;
  const out = new Set<string>();
  for (const id of a) if (!b.has(id)) out.add(id);
  return out;
}

/**
 * A plain loop rather than `new Set(ids)`: the constructor's fast path does not apply to the cache's
 * read-only Set subclass, and its slow path allocates an iterator result per id.
 */
function copyIds(ids: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const id of ids) out.add(id);
  return out;
}

/**
 * An n-ary union, cheaper than folding unionSubjects: the parts are only collected until build(),
 * which starts from the largest and copies it only if another part adds something to it. A single
 * part comes back as it is.
 */
export class SubjectSetBuilder {
  /** Ids added one by one, kept as a list until build() knows whether they or a part is the base. */
  private readonly ids: string[] = [];
  private readonly parts: SubjectSet[] = [];

  addConcrete(id: string): void {
    this.ids.push(id);
  }

  addWildcard(): void {
    this.parts.push(ALL_SUBJECTS);
  }

  addSet(s: SubjectSet): void {
    if (!isEmptySubjectSet(s)) this.parts.push(s);
  }

  build(): SubjectSet {
    const { ids, parts } = this;
    if (ids.length === 0) {
      if (parts.length === 0) return EMPTY_SUBJECT_SET;
      if (parts.length === 1) return parts[0]!;
    }
    let base: ReadonlySet<string> | undefined;
    let wild: SubjectSet | undefined;
    for (const p of parts) {
      if (p.concrete.size > (base?.size ?? 0)) base = p.concrete;
      // Exclusions only: the concrete ids are the union's concrete ids whatever the grouping.
      if (p.wildcard !== undefined) wild = unionSubjects(wild ?? EMPTY_SUBJECT_SET, p.concrete.size === 0 ? p : new Subjects(NO_IDS, p.wildcard));
    }
    let out: Set<string> | undefined;
    if (base === undefined || ids.length >= base.size) {
      out = new Set(ids);
      base = out;
    }
    const from = base;
    const add = (id: string): void => {
      if (out === undefined) {
        if (from.has(id)) return;
        out = copyIds(from);
      }
      out.add(id);
    };
    if (from !== out) for (const id of ids) add(id);
    for (const p of parts) if (p.concrete !== from) for (const id of p.concrete) add(id);
    const concrete: ReadonlySet<string> = out ?? from;
    const union = new Subjects(concrete, undefined);
    return wild === undefined ? union : unionSubjects(union, wild);
  }
}
