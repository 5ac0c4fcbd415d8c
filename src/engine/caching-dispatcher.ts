/**
 * A caching decorator for the dispatcher ring. Entries are keyed by revision + schema hash + request
 * (keys.ts) and hold frozen answers. It never caches an error (a thrown dispatch stores nothing), and
 * an answer is reused only by a request with at least the depth the answer needed: with less depth
 * the walk must run again and fail where SpiceDB's would.
 *
 * The bound is a plain entry count with least-recently-used eviction (a Map keeps insertion order;
 * a hit re-inserts). A memory-bounded cache and singleflight come later; they wrap the same interface.
 * One ring serves one store: revisions of different stores would collide in the key.
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
  /** Most entries kept; default 100 000. */
  readonly maxEntries?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

type Entry = CheckResult | LookupSubjectsResult;

export class CachingDispatcher implements Dispatcher {
  private delegate: Dispatcher | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private hits = 0;
  private misses = 0;

  constructor(options: CachingDispatcherOptions = {}) {
    this.maxEntries = Math.max(0, options.maxEntries ?? 100_000);
  }

  setDelegate(delegate: Dispatcher): void {
    this.delegate = delegate;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }

  clear(): void {
    this.entries.clear();
  }

  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult {
    const key = checkKey(req);
    const hit = this.lookup(key, req.meta.depthRemaining) as CheckResult | undefined;
    if (hit !== undefined) return hit;
    const result = this.next().dispatchCheck(req, env);
    const frozen: CheckResult = Object.freeze({ members: freezeSet(result.members), depthRequired: result.depthRequired });
    this.store(key, frozen);
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
    this.store(key, frozen);
    return frozen;
  }

  private next(): Dispatcher {
    if (this.delegate === undefined) throw new Error('CachingDispatcher used before setDelegate()');
    return this.delegate;
  }

  private lookup(key: string, depthRemaining: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.depthRequired > depthRemaining) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private store(key: string, entry: Entry): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
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
