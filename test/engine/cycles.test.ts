/**
 * Cycles in the data. Warden follows SpiceDB, which does not track visited objects: a cycle that a
 * walk has to follow ends in MaxDepthExceededError; a union that finds the subject first answers
 * without meeting it. Whatever the engine answers must be right, and it must never overflow the stack.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MaxDepthExceededError } from '../../src/core/errors.js';
import { parseSubjectRef } from '../../src/core/refs.js';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { MAX_SUPPORTED_DEPTH } from '../../src/engine/dispatcher.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/engine.js';
import { ReferenceCycleError } from './reference/reference-evaluator.js';
import { show } from './support/agreement.js';
import { ArrayGraph } from './support/array-graph.js';
import { MemoReference } from './support/memo-reference.js';
import { IDS, randomModel, subjectsOf } from './support/random-model.js';
import type { RandomModel } from './support/random-model.js';
import { buildSchema, computed, permission, relation } from './support/schema-builder.js';

const RUNS = Math.ceil(Number(process.env.ENGINE_PROPERTY_RUNS ?? 300) / 3);
const OPTIONS = { numRuns: RUNS, endOnFailure: process.env.ENGINE_PROPERTY_NO_SHRINK === '1' };

/** Runs `f`; a MaxDepthExceededError is an allowed outcome (undefined), anything else is rethrown. */
function orDepthError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof MaxDepthExceededError) return undefined;
    throw e;
  }
}

const groups = buildSchema({
  user: {},
  group: { member: relation('user', 'group#member') },
  doc: { viewer: relation('user', 'group#member'), view: permission(computed('viewer')) },
});

describe('cycles in the data', () => {
  const cyclic = ArrayGraph.of(
    'group:a#member@group:b#member',
    'group:b#member@group:c#member',
    'group:c#member@group:a#member',
    'group:c#member@user:tom',
    'doc:1#viewer@group:a#member',
  );
  const ctx: EngineContext = { schema: groups, graph: cyclic };
  const engine = new Engine(buildDispatcherRing().head);

  it('a check that must go round the cycle is a max-depth error, not a silent false', () => {
    expect(() => engine.check(ctx, { type: 'doc', id: '1' }, 'view', parseSubjectRef('user:ann'))).toThrow(MaxDepthExceededError);
  });

  it('a check that finds the subject before the cycle closes answers true', () => {
    expect(engine.check(ctx, { type: 'group', id: 'c' }, 'member', parseSubjectRef('user:tom'))).toBe(true);
    expect(engine.check(ctx, { type: 'doc', id: '1' }, 'view', parseSubjectRef('user:tom'))).toBe(true);
  });

  it('lookups, which walk everything, report the cycle', () => {
    expect(() => engine.lookupResources(ctx, 'doc', 'view', parseSubjectRef('user:tom'))).toThrow(MaxDepthExceededError);
    expect(() => engine.lookupSubjects(ctx, { type: 'doc', id: '1' }, 'view', 'user')).toThrow(MaxDepthExceededError);
  });

  it('the largest max depth on a cycle ends in the error, not a stack overflow', () => {
    const deep = new Engine(buildDispatcherRing().head);
    const maxDepth = MAX_SUPPORTED_DEPTH;
    expect(() => deep.check({ ...ctx, maxDepth }, { type: 'doc', id: '1' }, 'view', parseSubjectRef('user:ann'))).toThrow(MaxDepthExceededError);
    expect(() => deep.lookupSubjects({ ...ctx, maxDepth }, { type: 'doc', id: '1' }, 'view', 'user')).toThrow(MaxDepthExceededError);
    expect(() => deep.check({ ...ctx, maxDepth: maxDepth + 1 }, { type: 'doc', id: '1' }, 'view', parseSubjectRef('user:ann'))).toThrow(InvalidArgumentError);
  });

  it('a self-loop is a cycle too', () => {
    const loop: EngineContext = { schema: groups, graph: ArrayGraph.of('group:a#member@group:a#member') };
    expect(() => engine.check(loop, { type: 'group', id: 'a' }, 'member', parseSubjectRef('user:x'))).toThrow(MaxDepthExceededError);
    expect(() => engine.lookupResources(loop, 'group', 'member', parseSubjectRef('group:a#member'))).toThrow(MaxDepthExceededError);
  });
});

function assertSoundOnCycles(model: RandomModel, ref: MemoReference, exactWhenAnswered: boolean): void {
  // A short max depth: the outcomes allowed are the same, and going round a cycle 50 times is slow.
  const ctx: EngineContext = { schema: model.schema, graph: new ArrayGraph(model.relationships), maxDepth: 12 };
  const engine = new Engine(buildDispatcherRing({ maxEntries: 1000 }).head);
  const expected = (type: string, id: string, name: string, s: Parameters<MemoReference['check']>[2]): boolean | undefined => {
    try {
      return ref.check({ type, id }, name, s);
    } catch (e) {
      if (e instanceof ReferenceCycleError) return undefined;
      throw e;
    }
  };
  for (const subject of subjectsOf(model)) {
    for (const [type, names] of model.types) {
      for (const name of names) {
        for (const id of IDS[type]!) {
          const actual = orDepthError(() => engine.check(ctx, { type, id }, name, subject));
          const want = expected(type, id, name, subject);
          if (actual !== undefined && want !== undefined && actual !== want) {
            throw new Error(`check ${type}:${id}#${name}@${show(subject)}: engine ${actual}, reference ${want}`);
          }
        }
        const page = orDepthError(() => engine.lookupResources(ctx, type, name, subject));
        if (page !== undefined && exactWhenAnswered) {
          const want = IDS[type]!.filter((id) => expected(type, id, name, subject));
          if (page.resourceIds.join() !== want.join()) throw new Error(`lookupResources ${type}#${name}@${show(subject)}: [${page.resourceIds}] vs [${want}]`);
        }
      }
    }
  }
}

describe('random cyclic data', () => {
  it(`monotone schemas: every answer is the least fixed point, or a max-depth error (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(randomModel({ acyclic: false, noExclusion: true, maxRelationships: 16 }), (model) => {
        assertSoundOnCycles(model, new MemoReference(model.schema, model.relationships, { onCycle: 'prune' }), true);
      }),
      OPTIONS,
    );
  });

  it(`any schema: the engine answers as a cycle-free evaluation does, or with a max-depth error (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(randomModel({ acyclic: false, maxRelationships: 16 }), (model) => {
        assertSoundOnCycles(model, new MemoReference(model.schema, model.relationships, { onCycle: 'throw' }), false);
      }),
      OPTIONS,
    );
  });
});
