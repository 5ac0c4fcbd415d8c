/**
 * The cache's byte bound is only as good as its per-entry estimate. This fills a cache with answers of
 * the usual shapes in a child process (`--expose-gc`, so the heap can be measured after a full GC) and
 * requires the estimate to cover what V8 really holds: `--cache-mib` must bound real memory.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../../dist/engine/caching-dispatcher.js');

// Runs in the child: N distinct one-id check answers (half members, half not), as a warm server holds.
const PROBE = `
const { CachingDispatcher } = await import(${JSON.stringify(DIST)});
const N = 50000;
// As the local resolver answers: a fresh one-member Set, or one shared empty Set.
const NONE = new Set();
const delegate = {
  dispatchCheck: (req) => ({ members: req.resourceIds[0].endsWith('0') ? new Set([req.resourceIds[0]]) : NONE, depthRequired: 2 }),
  dispatchLookupSubjects: () => { throw new Error('unused'); },
};
const cache = new CachingDispatcher({ maxBytes: 1 << 30 });
cache.setDelegate(delegate);
const meta = { revision: 7, schemaHash: 'abcdef0123456789', depthRemaining: 50, maxDepth: 50 };
const env = {};
const ids = Array.from({ length: N }, (_, i) => 'ch' + (i % 500) + '_' + i);
const users = Array.from({ length: N }, (_, i) => 'u' + (i % 5000));
gc(); gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i++) {
  cache.dispatchCheck({ resourceType: 'channel', resourceIds: [ids[i]], relation: 'send', subject: { type: 'user', id: users[i] }, results: 'any', meta }, env);
}
gc(); gc();
const after = process.memoryUsage().heapUsed;
const s = cache.stats();
console.log(JSON.stringify({ measured: (after - before) / N, estimated: s.bytes / s.size, size: s.size }));
`;

describe('cache memory estimate', () => {
  it('covers the bytes V8 really holds per entry', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE], { encoding: 'utf8' });
    const { measured, estimated, size } = JSON.parse(out.trim().split('\n').pop()!) as { measured: number; estimated: number; size: number };
    console.log(`cache entry: measured ${measured.toFixed(0)} B, estimated ${estimated.toFixed(0)} B (${size} entries)`);
    expect(size).toBe(50000);
    // Never under by more than 10 %, never over by more than 2x (a cache that wastes its budget).
    expect(estimated).toBeGreaterThanOrEqual(measured * 0.9);
    expect(estimated).toBeLessThanOrEqual(measured * 2);
  });
});
