/** The caching decorator: keyed by revision, schema hash and request; never caches errors. */
import { describe, expect, it } from 'vitest';
import { MaxDepthExceededError } from '../../src/core/errors.js';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { CachingDispatcher } from '../../src/engine/caching-dispatcher.js';
import type { CheckRequest, Dispatcher } from '../../src/engine/dispatcher.js';
import { Engine } from '../../src/engine/engine.js';
import { LocalDispatcher } from '../../src/engine/local/local-dispatcher.js';
import { ArrayGraph } from './support/array-graph.js';
import { obj, subj } from './support/fixtures.js';
import { buildSchema, computed, permission, relation } from './support/schema-builder.js';

const schema = buildSchema({
  user: {},
  group: { member: relation('user', 'group#member') },
  doc: { viewer: relation('user', 'group#member'), view: permission(computed('viewer')) },
});

describe('CachingDispatcher', () => {
  it('serves repeated sub-problems from the cache, answering the same', () => {
    const ring = buildDispatcherRing();
    const engine = new Engine(ring.head);
    const ctx = { schema, graph: ArrayGraph.of('doc:1#viewer@group:g#member', 'group:g#member@user:ann') };
    expect(engine.check(ctx, obj('doc:1'), 'view', subj('user:ann'))).toBe(true);
    const misses = ring.cache.stats().misses;
    expect(engine.check(ctx, obj('doc:1'), 'view', subj('user:ann'))).toBe(true);
    expect(ring.cache.stats().misses).toBe(misses);
    expect(ring.cache.stats().hits).toBeGreaterThan(0);
  });

  it('keys on the revision: a newer snapshot is never answered from an older entry', () => {
    const engine = new Engine(buildDispatcherRing().head);
    const before = new ArrayGraph([], 1);
    const after = ArrayGraph.of('doc:1#viewer@user:ann');
    expect(engine.check({ schema, graph: before }, obj('doc:1'), 'view', subj('user:ann'))).toBe(false);
    expect(engine.check({ schema, graph: after }, obj('doc:1'), 'view', subj('user:ann'))).toBe(true);
    expect(engine.check({ schema, graph: before }, obj('doc:1'), 'view', subj('user:ann'))).toBe(false);
  });

  it('keys on the schema hash', () => {
    const engine = new Engine(buildDispatcherRing().head);
    const graph = ArrayGraph.of('doc:1#viewer@user:ann');
    const closed = buildSchema({ user: {}, group: { member: relation('user', 'group#member') }, doc: { viewer: relation('user', 'group#member'), view: permission({ kind: 'nil' }) } });
    expect(engine.check({ schema, graph }, obj('doc:1'), 'view', subj('user:ann'))).toBe(true);
    expect(engine.check({ schema: closed, graph }, obj('doc:1'), 'view', subj('user:ann'))).toBe(false);
  });

  it('does not cache errors', () => {
    let calls = 0;
    const failing: Dispatcher = {
      dispatchCheck: () => {
        calls++;
        throw new MaxDepthExceededError(1);
      },
      dispatchLookupSubjects: () => {
        throw new Error('unused');
      },
    };
    const cache = new CachingDispatcher();
    cache.setDelegate(failing);
    const req: CheckRequest = {
      resourceType: 'doc',
      resourceIds: ['1'],
      relation: 'view',
      subject: subj('user:ann'),
      results: 'any',
      meta: { revision: 1, schemaHash: schema.hash, depthRemaining: 5, maxDepth: 5 },
    };
    const env = { schema, graph: new ArrayGraph([]) };
    expect(() => cache.dispatchCheck(req, env)).toThrow(MaxDepthExceededError);
    expect(() => cache.dispatchCheck(req, env)).toThrow(MaxDepthExceededError);
    expect(calls).toBe(2);
    expect(cache.stats().size).toBe(0);
  });

  it('shares one answer object between hits, and stays within its entry bound', () => {
    const cache = new CachingDispatcher({ maxEntries: 2 });
    const local = new LocalDispatcher({ redispatch: cache });
    cache.setDelegate(local);
    const env = { schema, graph: ArrayGraph.of('doc:1#viewer@user:ann', 'doc:2#viewer@user:ann', 'doc:3#viewer@user:ann') };
    const meta = { revision: env.graph.revision, schemaHash: schema.hash, depthRemaining: 50, maxDepth: 50 };
    const ask = (ids: string[]) => cache.dispatchCheck({ resourceType: 'doc', resourceIds: ids, relation: 'viewer', subject: subj('user:ann'), results: 'all', meta }, env);
    const r = ask(['1', '2']);
    expect([...r.members].sort()).toEqual(['1', '2']);
    // The order the ids come in is not part of the question.
    expect(ask(['2', '1', '2'])).toBe(r);
    for (const id of ['1', '2', '3']) cache.dispatchCheck({ resourceType: 'doc', resourceIds: [id], relation: 'view', subject: subj('user:ann'), results: 'any', meta }, env);
    expect(cache.stats().size).toBeLessThanOrEqual(2);
  });

  it('hands out lookup answers that cannot be mutated', () => {
    const cache = new CachingDispatcher();
    const local = new LocalDispatcher({ redispatch: cache });
    cache.setDelegate(local);
    const env = { schema, graph: ArrayGraph.of('doc:1#viewer@user:ann', 'doc:1#viewer@group:g#member', 'group:g#member@user:bob') };
    const meta = { revision: env.graph.revision, schemaHash: schema.hash, depthRemaining: 50, maxDepth: 50 };
    const r = cache.dispatchLookupSubjects({ resourceType: 'doc', resourceIds: ['1'], relation: 'view', subjectType: 'user', subjectRelation: undefined, meta }, env);
    const set = r.byResource.get('1')!;
    expect([...set.concrete].sort()).toEqual(['ann', 'bob']);
    expect(() => (set.concrete as Set<string>).add('eve')).toThrow(TypeError);
    expect(() => (r.byResource as Map<string, unknown>).delete('1')).toThrow(TypeError);
  });

  it('keeps one entry per question: a newer revision replaces the older answer in place', () => {
    const cache = new CachingDispatcher({ maxEntries: 1 });
    const local = new LocalDispatcher({ redispatch: cache });
    cache.setDelegate(local);
    const ask = (graph: ArrayGraph) =>
      cache.dispatchCheck(
        { resourceType: 'doc', resourceIds: ['1'], relation: 'viewer', subject: subj('user:ann'), results: 'any', meta: { revision: graph.revision, schemaHash: schema.hash, depthRemaining: 50, maxDepth: 50 } },
        { schema, graph },
      );
    const old = new ArrayGraph([], 5);
    const now = new ArrayGraph([ArrayGraph.of('doc:1#viewer@user:ann').relationships[0]!], 6);
    expect(ask(old).members.size).toBe(0);
    expect(ask(now).members.has('1')).toBe(true);
    expect(cache.stats().size).toBe(1);
    // The old revision is asked again: recomputed (a miss), and right.
    const misses = cache.stats().misses;
    expect(ask(old).members.size).toBe(0);
    expect(cache.stats().misses).toBe(misses + 1);
    // Another question evicts the replaced entry cleanly (bucket and order stay in step).
    const other = cache.dispatchCheck(
      { resourceType: 'doc', resourceIds: ['2'], relation: 'viewer', subject: subj('user:ann'), results: 'any', meta: { revision: 6, schemaHash: schema.hash, depthRemaining: 50, maxDepth: 50 } },
      { schema, graph: now },
    );
    expect(other.members.size).toBe(0);
    expect(cache.stats()).toMatchObject({ size: 1, evictions: 1 });
  });

  it('is bounded by memory: eviction keeps the estimated bytes under maxBytes, and recently used entries survive (CLOCK)', () => {
    const maxBytes = 4096;
    const cache = new CachingDispatcher({ maxBytes });
    const local = new LocalDispatcher({ redispatch: cache });
    cache.setDelegate(local);
    const rels = Array.from({ length: 200 }, (_, i) => `doc:${i}#viewer@user:ann`);
    const env = { schema, graph: ArrayGraph.of(...rels) };
    const meta = { revision: env.graph.revision, schemaHash: schema.hash, depthRemaining: 50, maxDepth: 50 };
    const ask = (id: number) =>
      cache.dispatchCheck({ resourceType: 'doc', resourceIds: [String(id)], relation: 'viewer', subject: subj('user:ann'), results: 'any', meta }, env);
    for (let i = 0; i < 200; i++) {
      ask(i);
      ask(0); // keep doc:0 the most recently used
      expect(cache.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const s = cache.stats();
    expect(s.evictions).toBeGreaterThan(0);
    expect(s.size).toBeGreaterThan(1);
    expect(s.size).toBeLessThan(200);
    const hits = s.hits;
    ask(0);
    expect(cache.stats().hits).toBe(hits + 1);
    ask(1); // among the first stored, long since evicted
    expect(cache.stats().misses).toBe(s.misses + 1);
  });

  it('shares one evaluation between identical concurrent requests (no singleflight needed: the ring is synchronous)', async () => {
    let calls = 0;
    const cache = new CachingDispatcher();
    const local = new LocalDispatcher({ redispatch: cache });
    const counting: Dispatcher = {
      dispatchCheck: (req, env) => {
        calls++;
        return local.dispatchCheck(req, env);
      },
      dispatchLookupSubjects: (req, env) => local.dispatchLookupSubjects(req, env),
    };
    cache.setDelegate(counting);
    const engine = new Engine(cache);
    const ctx = { schema, graph: ArrayGraph.of('doc:1#viewer@group:g#member', 'group:g#member@user:ann') };
    const answers = await Promise.all(Array.from({ length: 50 }, () => Promise.resolve().then(() => engine.check(ctx, obj('doc:1'), 'view', subj('user:ann')))));
    expect(answers.every((a) => a)).toBe(true);
    const first = calls;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(3); // view -> viewer -> group member: one evaluation each, then hits
  });
});
