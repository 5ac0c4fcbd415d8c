/** ConsistencyResolver.now answers at once exactly the reads that resolve answers without waiting. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRuntime, type Runtime } from '../../src/server/build.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';
import { ConsistencyResolver } from '../../src/service/consistency.js';
import type { Consistency } from '../../src/service/types.js';

describe('ConsistencyResolver.now', () => {
  let rt: Runtime;
  let resolver: ConsistencyResolver;
  beforeAll(async () => {
    rt = await buildRuntime({ ...DEFAULT_CONFIG, datastore: 'memory', bootstrap: false, gcIntervalMs: 0 });
    await rt.service.writeSchema({ schema: 'definition user {}\ndefinition doc {\n  relation viewer: user\n}\n' });
    resolver = new ConsistencyResolver(rt.replica, { quantizationMs: 60_000, freshnessWaitMs: 100 });
  });
  afterAll(() => rt?.close());

  it('takes minimize_latency (given or by default) and leaves every other shape to resolve', async () => {
    const zookie = resolver.zookie(rt.replica.head);
    const shapes: [Consistency | undefined, boolean][] = [
      [undefined, true],
      [{ minimizeLatency: true }, true],
      [{ fullyConsistent: true }, false],
      [{ minimizeLatency: true, fullyConsistent: true } as unknown as Consistency, false],
      [{ atLeastAsFresh: zookie }, false],
      [{ minimizeLatency: true, atExactSnapshot: zookie } as unknown as Consistency, false],
      [{ minimizeLatency: false } as unknown as Consistency, false],
      [{} as Consistency, false],
    ];
    for (const [c, immediate] of shapes) {
      const now = resolver.now(c);
      expect(now !== undefined, JSON.stringify(c)).toBe(immediate);
      if (now !== undefined) expect(await resolver.resolve(c)).toEqual(now);
    }
  });
});
