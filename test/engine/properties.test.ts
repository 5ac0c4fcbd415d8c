/**
 * Property tests: on random schemas and acyclic random data, Check agrees with the naive reference
 * for every (resource, relation or permission, subject); LookupResources returns exactly the
 * resources Check allows; LookupSubjects exactly the subjects, wildcards and exclusions included.
 * Each run goes through the full ring (with its cache) and through a bare local dispatcher.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/engine.js';
import { LocalDispatcher } from '../../src/engine/local/local-dispatcher.js';
import { RelationshipIndex } from '../../src/store/relationship-index.js';
import { assertCheckAgrees, assertLookupResourcesExact, assertLookupSubjectsExact } from './support/agreement.js';
import { ArrayGraph } from './support/array-graph.js';
import { MemoReference } from './support/memo-reference.js';
import { randomModel } from './support/random-model.js';

const RUNS = Number(process.env.ENGINE_PROPERTY_RUNS ?? 300);
// Shrinking a failing random model can take long; set ENGINE_PROPERTY_NO_SHRINK=1 to report the first failure as is.
const OPTIONS = { numRuns: RUNS, endOnFailure: process.env.ENGINE_PROPERTY_NO_SHRINK === '1' };

describe('engine agrees with the reference on acyclic data', () => {
  it(`check, lookupResources and lookupSubjects (${RUNS} runs)`, () => {
    const counts = { checks: 0, lookupResources: 0, lookupSubjects: 0 };
    fc.assert(
      fc.property(randomModel({ acyclic: true }), (model) => {
        const ref = new MemoReference(model.schema, model.relationships);
        const ctx: EngineContext = { schema: model.schema, graph: new ArrayGraph(model.relationships) };
        const ring = new Engine(buildDispatcherRing({ maxEntries: 1000 }).head);
        const local = new Engine(new LocalDispatcher());
        counts.checks += assertCheckAgrees(model, ring, ctx, ref);
        counts.lookupResources += assertLookupResourcesExact(model, ring, ctx, ref);
        counts.lookupSubjects += assertLookupSubjectsExact(model, ring, ctx, ref);
        // Without the cache: the same answers.
        counts.checks += assertCheckAgrees(model, local, ctx, ref);
        // The real in-memory index behind the same questions.
        const index = new RelationshipIndex();
        index.load(model.relationships);
        const indexed: EngineContext = { schema: model.schema, graph: index.snapshot(index.head) };
        const onIndex = new Engine(buildDispatcherRing({ maxEntries: 1000 }).head);
        counts.checks += assertCheckAgrees(model, onIndex, indexed, ref);
        counts.lookupResources += assertLookupResourcesExact(model, onIndex, indexed, ref);
        counts.lookupSubjects += assertLookupSubjectsExact(model, onIndex, indexed, ref);
      }),
      OPTIONS,
    );
    console.info(`engine properties: ${RUNS} runs, ${counts.checks} checks, ${counts.lookupResources} lookupResources, ${counts.lookupSubjects} lookupSubjects`);
    expect(counts.checks).toBeGreaterThan(RUNS * 100);
  });

  it(`with a small max depth every answer is right or a MaxDepthExceededError, never wrong (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(randomModel({ acyclic: true }), fc.integer({ min: 1, max: 4 }), (model, maxDepth) => {
        const ref = new MemoReference(model.schema, model.relationships);
        const ctx: EngineContext = { schema: model.schema, graph: new ArrayGraph(model.relationships), maxDepth };
        const engine = new Engine(buildDispatcherRing().head);
        assertCheckAgrees(model, engine, ctx, ref, true);
        assertLookupResourcesExact(model, engine, ctx, ref, true);
        assertLookupSubjectsExact(model, engine, ctx, ref, true);
      }),
      OPTIONS,
    );
  });
});
