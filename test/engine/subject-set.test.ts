/**
 * The SubjectSet algebra against a plain reference (the copy-everything version it replaced): same
 * concrete ids, same wildcard and exclusions, for every operator and for n-ary unions, on random sets
 * with and without wildcards. Operands are read-only sets that throw on any mutation, because results
 * now share operands (a union where one side holds the other is that side, unchanged).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SubjectSet } from '../../src/engine/dispatcher.js';
import {
  EMPTY_SUBJECT_SET,
  hasSubject,
  intersectSubjects,
  isEmptySubjectSet,
  SubjectSetBuilder,
  subtractSubjects,
  unionSubjects,
} from '../../src/engine/local/subject-set.js';

const UNIVERSE = ['a', 'b', 'c', 'd', 'e', 'f'];

class ReadOnlyIds extends Set<string> {
  private sealed = false;
  constructor(ids: Iterable<string>) {
    super(ids);
    this.sealed = true;
  }
  override add(id: string): this {
    if (this.sealed) throw new Error('operand mutated');
    return super.add(id);
  }
  override delete(): boolean {
    throw new Error('operand mutated');
  }
  override clear(): void {
    throw new Error('operand mutated');
  }
}

const subjectSet = fc
  .tuple(fc.subarray(UNIVERSE), fc.option(fc.subarray(UNIVERSE), { nil: undefined }))
  .map(([concrete, excluded]): SubjectSet => ({
    concrete: new ReadOnlyIds(concrete),
    // Invariant of the type: no id both concrete and excluded.
    wildcard: excluded === undefined ? undefined : new ReadOnlyIds(excluded.filter((id) => !concrete.includes(id))),
  }));

/** The reference: every id any operand names, evaluated one by one, into fresh sets. */
function reference(a: SubjectSet, b: SubjectSet, f: (x: boolean, y: boolean) => boolean): SubjectSet {
  const wildcard = f(a.wildcard !== undefined, b.wildcard !== undefined);
  const named = new Set<string>([...a.concrete, ...b.concrete]);
  const candidates = new Set<string>([...named, ...(a.wildcard ?? []), ...(b.wildcard ?? [])]);
  const concrete = new Set<string>();
  const excluded = wildcard ? new Set<string>() : undefined;
  for (const id of candidates) {
    if (!f(hasSubject(a, id), hasSubject(b, id))) excluded?.add(id);
    else if (named.has(id) || !wildcard) concrete.add(id);
  }
  return { concrete, wildcard: excluded };
}

const show = (s: SubjectSet) => ({ concrete: [...s.concrete].sort(), wildcard: s.wildcard === undefined ? undefined : [...s.wildcard].sort() });
const or = (x: boolean, y: boolean) => x || y;
const and = (x: boolean, y: boolean) => x && y;
const andNot = (x: boolean, y: boolean) => x && !y;

describe('subject-set algebra', () => {
  it('union, intersection and subtraction list exactly what the reference lists, operands untouched', () => {
    fc.assert(
      fc.property(subjectSet, subjectSet, (a, b) => {
        const before = [show(a), show(b)];
        expect(show(unionSubjects(a, b))).toEqual(show(reference(a, b, or)));
        expect(show(intersectSubjects(a, b))).toEqual(show(reference(a, b, and)));
        expect(show(subtractSubjects(a, b))).toEqual(show(reference(a, b, andNot)));
        expect([show(a), show(b)]).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('the builder is the fold of unions, whatever the parts and loose ids', () => {
    fc.assert(
      fc.property(fc.array(subjectSet, { maxLength: 5 }), fc.subarray(UNIVERSE), fc.boolean(), (parts, ids, wildcard) => {
        const before = parts.map(show);
        const b = new SubjectSetBuilder();
        let expected: SubjectSet = { concrete: new Set(ids), wildcard: wildcard ? new Set() : undefined };
        for (const id of ids) b.addConcrete(id);
        if (wildcard) b.addWildcard();
        for (const p of parts) {
          b.addSet(p);
          expected = reference(expected, p, or);
        }
        expect(show(b.build())).toEqual(show(expected));
        expect(parts.map(show)).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('shares an operand when it is the answer instead of copying it', () => {
    const big: SubjectSet = { concrete: new ReadOnlyIds(['a', 'b', 'c']), wildcard: undefined };
    const small: SubjectSet = { concrete: new ReadOnlyIds(['b']), wildcard: undefined };
    expect(unionSubjects(big, small)).toBe(big);
    expect(unionSubjects(small, big)).toBe(big);
    expect(unionSubjects(big, EMPTY_SUBJECT_SET)).toBe(big);
    expect(intersectSubjects(big, small)).toBe(small);
    expect(subtractSubjects(small, { concrete: new ReadOnlyIds(['z']), wildcard: undefined })).toBe(small);
    const one = new SubjectSetBuilder();
    one.addSet(big);
    one.addSet(EMPTY_SUBJECT_SET);
    expect(one.build()).toBe(big);
    // Several parts: the largest is the base, and it holds the rest: no copy.
    const two = new SubjectSetBuilder();
    two.addSet(small);
    two.addSet(big);
    two.addConcrete('a');
    expect(two.build().concrete).toBe(big.concrete);
    const three = new SubjectSetBuilder();
    three.addSet(big);
    three.addConcrete('d');
    const built = three.build();
    expect([...built.concrete].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...big.concrete]).toEqual(['a', 'b', 'c']);
    expect(isEmptySubjectSet(new SubjectSetBuilder().build())).toBe(true);
  });
});
