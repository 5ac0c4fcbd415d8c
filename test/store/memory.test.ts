import { describe, expect, it } from 'vitest';
import { parseRelationship } from '../../src/core/refs.js';
import { MemoryDatastore } from '../../src/store/memory/memory-datastore.js';
import { runDatastoreSuite } from './datastore-suite.js';

runDatastoreSuite('memory', async () => new MemoryDatastore());

describe('MemoryDatastore', () => {
  it('keeps its index current at every commit', async () => {
    const ds = new MemoryDatastore({ storeId: 'fixed' });
    expect(ds.storeId).toBe('fixed');
    const r = await ds.write({ updates: [{ operation: 'touch', relationship: parseRelationship('doc:d1#viewer@user:ana') }] });
    expect(ds.index.head).toBe(r);
    expect([...ds.index.snapshot(r).subjects('doc', 'd1', 'viewer')]).toEqual([{ type: 'user', id: 'ana' }]);
    const s = await ds.writeSchema('definition user {}', 'h');
    expect(ds.index.head).toBe(s);
  });

  it('gives each instance its own store id', () => {
    expect(new MemoryDatastore().storeId).not.toBe(new MemoryDatastore().storeId);
  });
});
