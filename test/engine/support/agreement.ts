/**
 * The agreement assertions shared by the property tests: Check against the reference, and
 * LookupResources / LookupSubjects against Check's (the reference's) answers. Plain comparisons that
 * throw with a precise message: `expect` per comparison would dominate the run time.
 */
import { MaxDepthExceededError } from '../../../src/core/errors.js';
import type { SubjectRef } from '../../../src/core/refs.js';
import type { Engine, EngineContext } from '../../../src/engine/engine.js';
import type { MemoReference } from './memo-reference.js';
import { IDS, subjectsOf } from './random-model.js';
import type { RandomModel } from './random-model.js';

export function show(s: SubjectRef): string {
  return `${s.type}:${s.id}${s.relation ? `#${s.relation}` : ''}`;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Runs an engine call. With `depthErrorsAllowed`, a MaxDepthExceededError is an acceptable outcome
 * (undefined: nothing to compare); any other error, and any answer, is judged as usual.
 */
function attempt<T>(f: () => T, depthErrorsAllowed: boolean): T | undefined {
  try {
    return f();
  } catch (e) {
    if (depthErrorsAllowed && e instanceof MaxDepthExceededError) return undefined;
    throw e;
  }
}

/** Check = reference for every resource, relation or permission, and subject. Returns the count. */
export function assertCheckAgrees(model: RandomModel, engine: Engine, ctx: EngineContext, ref: MemoReference, depthErrorsAllowed = false): number {
  let n = 0;
  for (const subject of subjectsOf(model)) {
    for (const [type, names] of model.types) {
      for (const id of IDS[type]!) {
        for (const name of names) {
          const expected = ref.check({ type, id }, name, subject);
          const actual = attempt(() => engine.check(ctx, { type, id }, name, subject), depthErrorsAllowed);
          if (actual !== undefined && actual !== expected) fail(`check ${type}:${id}#${name}@${show(subject)}: engine ${actual}, reference ${expected}`);
          n++;
        }
      }
    }
  }
  return n;
}

/** LookupResources = the ids for which the reference says yes, sorted. Returns the count. */
export function assertLookupResourcesExact(model: RandomModel, engine: Engine, ctx: EngineContext, ref: MemoReference, depthErrorsAllowed = false): number {
  let n = 0;
  for (const subject of subjectsOf(model)) {
    for (const [type, names] of model.types) {
      for (const name of names) {
        const expected = IDS[type]!.filter((id) => ref.check({ type, id }, name, subject));
        const actual = attempt(() => engine.lookupResources(ctx, type, name, subject).resourceIds, depthErrorsAllowed);
        if (actual !== undefined && !same(actual, expected)) fail(`lookupResources ${type}#${name}@${show(subject)}: engine [${actual}], reference [${expected}]`);
        n++;
      }
    }
  }
  return n;
}

/**
 * LookupSubjects = the subjects for which the reference says yes: a concrete id only if allowed; a
 * wildcard iff a never-mentioned id is allowed, and then its exclusions are exactly the known ids
 * that are not; without a wildcard, the concrete ids are exactly the allowed ones.
 */
export function assertLookupSubjectsExact(model: RandomModel, engine: Engine, ctx: EngineContext, ref: MemoReference, depthErrorsAllowed = false): number {
  const kinds: [string, string | undefined][] = [['user', undefined]];
  for (const [type, names] of model.types) {
    kinds.push([type, undefined]);
    for (const n of names) kinds.push([type, n]);
  }
  let n = 0;
  for (const [type, names] of model.types) {
    for (const id of IDS[type]!) {
      for (const name of names) {
        for (const [subjectType, subjectRelation] of kinds) {
          const label = `lookupSubjects ${type}:${id}#${name} -> ${subjectType}#${subjectRelation ?? '...'}`;
          const results = attempt(() => engine.lookupSubjects(ctx, { type, id }, name, subjectType, subjectRelation), depthErrorsAllowed);
          if (results === undefined) continue;
          const allowed = (sid: string): boolean => ref.check({ type, id }, name, { type: subjectType, id: sid, relation: subjectRelation });
          const ids = results.map((r) => r.subjectId);
          if (!same(ids, [...new Set(ids)].sort())) fail(`${label}: not sorted or duplicated: [${ids}]`);
          const universe = IDS[subjectType]!;
          const wildcard = results.find((r) => r.subjectId === '*');
          const concrete = results.filter((r) => r.subjectId !== '*');
          for (const c of concrete) {
            if (c.excludedSubjectIds.length > 0) fail(`${label}: concrete ${c.subjectId} has exclusions`);
            if (!allowed(c.subjectId)) fail(`${label}: ${c.subjectId} listed but not allowed`);
          }
          if ((wildcard !== undefined) !== allowed('zznew')) fail(`${label}: wildcard ${wildcard !== undefined}, reference ${!wildcard}`);
          if (wildcard === undefined) {
            const expected = universe.filter(allowed);
            if (!same(concrete.map((c) => c.subjectId), expected)) fail(`${label}: engine [${ids}], reference [${expected}]`);
          } else {
            const expected = universe.filter((sid) => !allowed(sid));
            if (!same(wildcard.excludedSubjectIds, expected)) fail(`${label}: exclusions [${wildcard.excludedSubjectIds}], reference [${expected}]`);
          }
          n++;
        }
      }
    }
  }
  return n;
}
