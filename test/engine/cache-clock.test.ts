/**
 * The cache's CLOCK order, a list linked through the entries: which entry the sweep evicts, the second
 * chance a hit buys, a replaced answer taking its question's place, and clear(). The delegate answers
 * at once (no nested dispatches), so the only entries are the ones these tests ask for.
 */
import { describe, expect, it } from 'vitest';
import { CachingDispatcher } from '../../src/engine/caching-dispatcher.js';
import type { CheckRequest, DispatchEnv } from '../../src/engine/dispatcher.js';

const env = {} as DispatchEnv;
const NONE: ReadonlySet<string> = new Set();

function harness(options: { maxEntries?: number; maxBytes?: number }) {
  const cache = new CachingDispatcher(options);
  let computed = 0;
  cache.setDelegate({
    dispatchCheck: () => {
      computed++;
      return { members: NONE, depthRequired: 1 };
    },
    dispatchLookupSubjects: () => {
      throw new Error('unused');
    },
  });
  const req = (id: string, revision = 1, relation = 'viewer', subject = 'ann'): CheckRequest => ({
    resourceType: 'doc',
    resourceIds: [id],
    relation,
    subject: { type: 'user', id: subject },
    results: 'any',
    meta: { revision, schemaHash: 'h', depthRemaining: 10, maxDepth: 10 },
  });
  /** Asks, and says whether the answer came from the cache. */
  const ask = (id: string, revision = 1, relation = 'viewer', subject = 'ann'): boolean => {
    const before = computed;
    cache.dispatchCheck(req(id, revision, relation, subject), env);
    return computed === before;
  };
  return { cache, ask };
}

describe('cache CLOCK order', () => {
  it('evicts the oldest entry that was not used since the sweep last passed it', () => {
    const { cache, ask } = harness({ maxEntries: 3 });
    for (const id of ['1', '2', '3']) expect(ask(id)).toBe(false);
    expect(ask('1')).toBe(true); // 1 earns a second chance
    ask('4'); // the sweep spares 1 (to the back), evicts 2: order 3, 1, 4
    ask('5'); // evicts 3: order 1, 4, 5
    ask('6'); // 1's chance was spent: evicts 1; order 4, 5, 6
    expect(cache.stats()).toMatchObject({ size: 3, evictions: 3 });
    expect(ask('4')).toBe(true);
    expect(ask('5')).toBe(true);
    expect(ask('6')).toBe(true);
    expect(ask('2')).toBe(false); // all three flagged: one lap clears them, then 4 is the oldest
    expect(cache.stats().size).toBe(3);
  });

  it('sweeps a full lap when every entry was used, then evicts the oldest', () => {
    const { cache, ask } = harness({ maxEntries: 2 });
    ask('1');
    ask('2');
    ask('1');
    ask('2');
    ask('3'); // both flagged: each goes to the back unflagged, then 1 is the oldest again
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    expect(ask('2')).toBe(true);
    expect(ask('3')).toBe(true);
    expect(ask('1')).toBe(false);
  });

  it('puts a newer revision of the same question at the back, in place of the old one', () => {
    const { cache, ask } = harness({ maxEntries: 2 });
    ask('1', 5);
    ask('2', 5);
    expect(ask('1', 6)).toBe(false); // replaces 1@5: order 2, 1@6
    expect(cache.stats().size).toBe(2);
    ask('3', 6); // evicts 2, not the replaced question
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    expect(ask('1', 6)).toBe(true);
    expect(ask('1', 5)).toBe(false); // the older answer is gone
  });

  it('evicts an entry that is not the first of its bucket (two relations of one subject and resource)', () => {
    const { cache, ask } = harness({ maxEntries: 2 });
    ask('1', 1, 'viewer');
    ask('1', 1, 'editor'); // same bucket, now its first entry
    ask('2'); // evicts 1#viewer, the bucket's second
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    expect(ask('1', 1, 'editor')).toBe(true);
    expect(ask('2')).toBe(true);
    expect(ask('1', 1, 'viewer')).toBe(false);
  });

  it('keeps subjects apart and drops a subject once its last entry goes', () => {
    const { cache, ask } = harness({ maxEntries: 2 });
    ask('1', 1, 'viewer', 'ann');
    ask('1', 1, 'viewer', 'bob');
    expect(ask('1', 1, 'viewer', 'ann')).toBe(true);
    expect(ask('1', 1, 'viewer', 'bob')).toBe(true);
    ask('2', 1, 'viewer', 'eve'); // full lap, then evicts ann's only entry
    ask('3', 1, 'viewer', 'eve'); // evicts bob's
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 2 });
    expect(ask('2', 1, 'viewer', 'eve')).toBe(true);
    expect(ask('3', 1, 'viewer', 'eve')).toBe(true);
  });

  it('clear() empties the order; the cache fills and evicts as new afterwards', () => {
    const { cache, ask } = harness({ maxEntries: 2 });
    ask('1');
    ask('2');
    ask('1');
    cache.clear();
    expect(cache.stats()).toMatchObject({ size: 0, bytes: 0 });
    expect(ask('1')).toBe(false);
    ask('2');
    ask('3'); // evicts 1
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
    expect(ask('2')).toBe(true);
    expect(ask('3')).toBe(true);
    expect(ask('1')).toBe(false);
  });

  it('keeps its byte count exact through replacements, evictions and clear()', () => {
    // Ids of one length and one subject: every entry costs the same, so the count must be size × that.
    const fresh = harness({});
    for (const id of ['10', '11', '12']) fresh.ask(id);
    const three = fresh.cache.stats().bytes;
    const { cache, ask } = harness({ maxEntries: 3 });
    for (let i = 0; i < 100; i++) ask(String(10 + (i % 13)), 1 + (i % 3));
    expect(cache.stats()).toMatchObject({ size: 3, bytes: three });
    ask('10', 7, 'viewer', 'bob');
    cache.clear();
    expect(cache.stats()).toMatchObject({ size: 0, bytes: 0 });
    for (const id of ['20', '21', '22']) ask(id);
    expect(cache.stats()).toMatchObject({ size: 3, bytes: three });
  });
});
