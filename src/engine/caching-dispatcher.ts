/**
 * A caching decorator for the dispatcher ring. Entries are keyed by revision + schema hash + request
 * (keys.ts) and hold frozen answers. It never caches an error (a thrown dispatch stores nothing), and
 * an answer is reused only by a request with at least the depth the answer needed: with less depth
 * the walk must run again and fail where SpiceDB's would.
 *
 * The bound is memory: each entry's size is estimated when it is stored (key, result ids, collection
 * overhead) and the least recently used entries are evicted while the total is over `maxBytes`
 * (a Map keeps insertion order; a hit re-inserts). An optional entry count bounds it too.
 * One ring serves one store: revisions of different stores would collide in the key.
 *
 * No singleflight decorator sits behind it: the ring is synchronous, so two identical sub-problems are
 * never in flight at once in one process; the second one is a cache hit. Singleflight matters only
 * once sub-problems go to other replicas (asynchronously), and it would wrap this same interface.
 */
import type {
  CheckRequest,
  CheckResult,
  Dispatcher,
  DispatchEnv,
  LookupSubjectsRequest,
  LookupSubjectsResult,
  SubjectSet,
} from './dispatcher.js';
import { checkKey, lookupSubjectsKey } from './keys.js';

export interface CachingDispatcherOptions {
  /** Estimated bytes the entries may hold; default 64 MiB. 0 disables the cache. */
  readonly maxBytes?: number;
  /** Most entries kept, on top of the byte bound; default unbounded. */
  readonly maxEntries?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries held. */
  size: number;
  /** Estimated bytes held. */
  bytes: number;
  evictions: number;
}

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

// V8 costs measured after a forced GC (56k entries: ~620 bytes each for a one-member check answer):
// the Map slot, the key string, the slot and result objects, the read-only Set wrapper and its table.
// Per member, a hash-table slot plus the id string.
const ENTRY_OVERHEAD = 560;
const MEMBER_OVERHEAD = 40;

type Entry = CheckResult | LookupSubjectsResult;

interface Slot {
  readonly entry: Entry;
  readonly bytes: number;
}

export class CachingDispatcher implements Dispatcher {
  private delegate: Dispatcher | undefined;
  private readonly entries = new Map<string, Slot>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(options: CachingDispatcherOptions = {}) {
    this.maxBytes = Math.max(0, options.maxBytes ?? DEFAULT_CACHE_BYTES);
    this.maxEntries = Math.max(0, options.maxEntries ?? Number.POSITIVE_INFINITY);
  }

  setDelegate(delegate: Dispatcher): void {
    this.delegate = delegate;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size, bytes: this.bytes, evictions: this.evictions };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult {
    const key = checkKey(req);
    const hit = this.lookup(key, req.meta.depthRemaining) as CheckResult | undefined;
    if (hit !== undefined) return hit;
    const result = this.next().dispatchCheck(req, env);
    const frozen: CheckResult = Object.freeze({ members: freezeSet(result.members), depthRequired: result.depthRequired });
    this.store(key, frozen, ENTRY_OVERHEAD + key.length + idsBytes(frozen.members));
    return frozen;
  }

  dispatchLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv): LookupSubjectsResult {
    const key = lookupSubjectsKey(req);
    const hit = this.lookup(key, req.meta.depthRemaining) as LookupSubjectsResult | undefined;
    if (hit !== undefined) return hit;
    const result = this.next().dispatchLookupSubjects(req, env);
    const byResource = new Map<string, SubjectSet>();
    for (const [id, set] of result.byResource) byResource.set(id, freezeSubjectSet(set));
    const frozen: LookupSubjectsResult = Object.freeze({ byResource: freezeMap(byResource), depthRequired: result.depthRequired });
    let bytes = ENTRY_OVERHEAD + key.length;
    for (const [id, set] of byResource) {
      bytes += ENTRY_OVERHEAD + id.length + idsBytes(set.concrete) + (set.wildcard ? idsBytes(set.wildcard) : 0);
    }
    this.store(key, frozen, bytes);
    return frozen;
  }

  private next(): Dispatcher {
    if (this.delegate === undefined) throw new Error('CachingDispatcher used before setDelegate()');
    return this.delegate;
  }

  private lookup(key: string, depthRemaining: number): Entry | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined || slot.entry.depthRequired > depthRemaining) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, slot);
    return slot.entry;
  }

  private store(key: string, entry: Entry, bytes: number): void {
    if (this.maxEntries === 0 || bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, { entry, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes || this.entries.size > this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Slot];
      this.entries.delete(oldestKey);
      this.bytes -= oldest.bytes;
      this.evictions++;
    }
  }
}

function idsBytes(ids: ReadonlySet<string>): number {
  let n = 0;
  for (const id of ids) n += MEMBER_OVERHEAD + id.length;
  return n;
}

// Sets and maps cannot be frozen by Object.freeze (their methods still mutate), so cached ones are
// wrapped in read-only views whose mutators throw: a caller that mutates a shared answer is a bug.
function freezeSet<T>(set: ReadonlySet<T>): ReadonlySet<T> {
  if (set instanceof FrozenSet) return set;
  return new FrozenSet(set);
}

function freezeMap<K, V>(map: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
  return new FrozenMap(map);
}

function freezeSubjectSet(s: SubjectSet): SubjectSet {
  return Object.freeze({ concrete: freezeSet(s.concrete), wildcard: s.wildcard === undefined ? undefined : freezeSet(s.wildcard) });
}

class FrozenSet<T> extends Set<T> {
  private sealed = false;
  constructor(values: Iterable<T>) {
    super(values);
    this.sealed = true;
  }
  override add(value: T): this {
    if (this.sealed) throw new TypeError('cached set is read-only');
    return super.add(value);
  }
  override delete(): boolean {
    throw new TypeError('cached set is read-only');
  }
  override clear(): void {
    throw new TypeError('cached set is read-only');
  }
}

class FrozenMap<K, V> extends Map<K, V> {
  private sealed = false;
  constructor(entries: ReadonlyMap<K, V>) {
    super(entries);
    this.sealed = true;
  }
  override set(key: K, value: V): this {
    if (this.sealed) throw new TypeError('cached map is read-only');
    return super.set(key, value);
  }
  override delete(): boolean {
    throw new TypeError('cached map is read-only');
  }
  override clear(): void {
    throw new TypeError('cached map is read-only');
  }
}
