/**
 * Set algebra over SubjectSets, exact in the presence of wildcards. A set is "the concrete ids, plus,
 * if there is a wildcard, every id but the excluded ones". For any boolean operator f, the result's
 * wildcard is f(wildcardA, wildcardB) (true for every id that neither set names), and only the ids
 * that some operand names can differ from that, so they are evaluated one by one. Concrete ids are
 * listed as SpiceDB lists them (internal/datasets/basesubjectset.go): those named concretely by an
 * operand, plus, where no wildcard remains, any id that is still a member: (`*` but `a`) minus
 * (`*` but `b`) is the concrete `b`, unless `b` is `a`.
 */
import type { SubjectSet } from '../dispatcher.js';

export const EMPTY_SUBJECT_SET: SubjectSet = Object.freeze({ concrete: new Set<string>(), wildcard: undefined });

export function hasSubject(set: SubjectSet, id: string): boolean {
  return set.concrete.has(id) || (set.wildcard !== undefined && !set.wildcard.has(id));
}

function combine(a: SubjectSet, b: SubjectSet, f: (x: boolean, y: boolean) => boolean): SubjectSet {
  const wildcard = f(a.wildcard !== undefined, b.wildcard !== undefined);
  const named = new Set<string>([...a.concrete, ...b.concrete]);
  const candidates = new Set<string>(named);
  if (a.wildcard) for (const id of a.wildcard) candidates.add(id);
  if (b.wildcard) for (const id of b.wildcard) candidates.add(id);
  const concrete = new Set<string>();
  const excluded = wildcard ? new Set<string>() : undefined;
  for (const id of candidates) {
    const member = f(hasSubject(a, id), hasSubject(b, id));
    if (!member) excluded?.add(id);
    else if (named.has(id) || !wildcard) concrete.add(id);
  }
  return { concrete, wildcard: excluded };
}

export function unionSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  if (a.wildcard === undefined && b.wildcard === undefined) {
    if (b.concrete.size === 0) return a;
    if (a.concrete.size === 0) return b;
    return { concrete: new Set([...a.concrete, ...b.concrete]), wildcard: undefined };
  }
  return combine(a, b, (x, y) => x || y);
}

export function intersectSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  return combine(a, b, (x, y) => x && y);
}

export function subtractSubjects(a: SubjectSet, b: SubjectSet): SubjectSet {
  return combine(a, b, (x, y) => x && !y);
}

export function isEmptySubjectSet(s: SubjectSet): boolean {
  return s.concrete.size === 0 && s.wildcard === undefined;
}

/** A mutable accumulator for unions, cheaper than folding unionSubjects over many small sets. */
export class SubjectSetBuilder {
  private concrete = new Set<string>();
  private wildcard: SubjectSet | undefined;

  addConcrete(id: string): void {
    this.concrete.add(id);
  }

  addWildcard(): void {
    this.addSet({ concrete: new Set(), wildcard: new Set() });
  }

  addSet(s: SubjectSet): void {
    for (const id of s.concrete) this.concrete.add(id);
    if (s.wildcard !== undefined) {
      const w: SubjectSet = { concrete: new Set(), wildcard: s.wildcard };
      this.wildcard = this.wildcard === undefined ? w : unionSubjects(this.wildcard, w);
    }
  }

  build(): SubjectSet {
    if (this.wildcard === undefined) return { concrete: this.concrete, wildcard: undefined };
    return unionSubjects({ concrete: this.concrete, wildcard: undefined }, this.wildcard);
  }
}
