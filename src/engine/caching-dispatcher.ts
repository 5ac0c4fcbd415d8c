/**
 * A caching decorator for the dispatcher ring. An entry is one sub-problem's answer at one revision
 * and schema hash; it never caches an error (a thrown dispatch stores nothing), and an answer is
 * reused only by a request with at least the depth the answer needed: with less depth the walk must
 * run again and fail where SpiceDB's would.
 *
 * Layout, for the hot path: a warm Check is one cache hit, so a hit must cost less than building a
 * string key would (joining revision, schema hash, relation, subject and ids, then hashing the result,
 * measured at ~1 µs, more than the rest of a warm Check). Entries are therefore found by a short key
 * of two ids (subject id and resource ids for a check; resource ids and subject type for a lookup),
 * which leads to a bucket of one or two entries (the relations asked of that pair); the bucket is
 * scanned comparing the other fields, mostly by string identity. A hit is memory-latency bound: each
 * level of indirection is a likely cache miss on a large cache, so there are as few as possible.
 * Building and hashing the joined key is most of what a miss costs the cache (~7 % of a cold Check),
 * but the two ways around it measured slower where it matters most, on hits (medium workload, warm
 * Check, paired runs in one process): maps in two levels (subject id, then ids: no new string, hashes
 * V8 already holds) cost 21 % of warm throughput for 2-8 % on cold; a table of our own, hashing the
 * two ids in JS, cost 2 % on warm and gained nothing measurable on cold.
 * A newer answer to the same question replaces the older revision's entry in its bucket, so buckets
 * do not grow with the revisions a busy subject is asked at.
 *
 * Bound: estimated bytes (`maxBytes`), plus an optional entry count. Eviction is CLOCK (second chance):
 * a hit only sets a flag, and the sweep moves flagged entries to the back instead of evicting them,
 * so hits never reorder anything. The order is a doubly linked list through the entries themselves:
 * a miss adds and (when full) evicts with a few pointer writes, where a Set of entries hashed each one
 * on every add and delete and cost each entry a hash-table slot.
 *
 * Check answers are shared, not copied: every caller gets the same ReadonlySet, and the readonly type
 * is the guard (a defensive copy per stored answer cost as much as the walk step it saved). Lookup
 * answers, built from many shared pieces and far rarer, are copied into read-only views whose mutators
 * throw, so code that unions them can never corrupt a cached answer.
 * One ring serves one store: revisions of different stores would collide.
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
  DispatchMeta,
  LookupSubjectsRequest,
  LookupSubjectsResult,
  ResultsSetting,
  SubjectSet,
} from './dispatcher.js';

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

// V8 costs measured after a forced GC (test/engine/cache-memory.test.ts measures them): the entry
// object (CLOCK links included), its key string and its Map slot, 220 B a one-id entry in that test.
// A member costs a Set of its own (~110 B) or a hash-table slot.
const ENTRY_OVERHEAD = 210;
const MEMBER_OVERHEAD = 110;

/**
 * One cached answer. For a check the entry is itself the CheckResult handed out (one object less to
 * reach on a hit); for a lookup, `result` holds it. The bucket key (subject id and ids for a check;
 * ids and subject type for a lookup) is not repeated here: entries of one bucket share it.
 */
class Entry implements CheckResult {
  // Declared, and assigned in the constructor, rather than initialised as class fields: V8 runs field
  // initialisers as a separate function per construction (~2 % of a cold Check in a profile), and the
  // assignment order is the layout, so the fields a hit reads come first.
  declare readonly revision: number;
  declare readonly schemaHash: string;
  declare readonly relation: string;
  declare readonly resourceType: string;
  /** The subject's type (check) or '' (lookup: the subject type is in the key). */
  declare readonly subjectType: string;
  /** '' for a plain subject (check) or `...` (lookup subjects). */
  declare readonly subjectRelation: string;
  declare readonly results: ResultsSetting;
  declare readonly depthRequired: number;
  declare readonly members: ReadonlySet<string>;
  /** The next entry of the same bucket: a chain, not an array (two objects less per bucket to collect). */
  declare next: Entry | undefined;
  /** Set by a hit, cleared by the eviction sweep. */
  declare used: boolean;
  declare readonly key: string;
  declare readonly result: LookupSubjectsResult | undefined;
  declare readonly bytes: number;
  /** Neighbours in the CLOCK order, a list through the entries themselves (see CachingDispatcher.oldest). */
  declare older: Entry | undefined;
  declare newer: Entry | undefined;

  constructor(
    key: string,
    revision: number,
    schemaHash: string,
    resourceType: string,
    relation: string,
    subjectType: string,
    subjectRelation: string,
    results: ResultsSetting,
    members: ReadonlySet<string>,
    depthRequired: number,
    result: LookupSubjectsResult | undefined,
    bytes: number,
  ) {
    this.revision = revision;
    this.schemaHash = schemaHash;
    this.relation = relation;
    this.resourceType = resourceType;
    this.subjectType = subjectType;
    this.subjectRelation = subjectRelation;
    this.results = results;
    this.depthRequired = depthRequired;
    this.members = members;
    this.next = undefined;
    this.used = false;
    this.key = key;
    this.result = result;
    this.bytes = bytes;
    this.older = undefined;
    this.newer = undefined;
  }

  /**
   * The same question as the rest of the bucket's key says, at any revision. No field says check or
   * lookup (a hit reads fewer bytes): a lookup's subjectType is '', never a check's (a schema type).
   */
  asks(resourceType: string, relation: string, subjectType: string, subjectRelation: string, results: ResultsSetting): boolean {
    // The names are usually the schema's own strings, so these compare by identity.
    return (
      this.relation === relation &&
      this.resourceType === resourceType &&
      this.subjectType === subjectType &&
      this.subjectRelation === subjectRelation &&
      this.results === results
    );
  }
}

const NO_MEMBERS: ReadonlySet<string> = new Set();

export class CachingDispatcher implements Dispatcher {
  private delegate: Dispatcher | undefined;
  /** Bucket key -> the first entry of its chain. */
  private readonly buckets = new Map<string, Entry>();
  /** The CLOCK order, oldest first (see the header). */
  private oldest: Entry | undefined = undefined;
  private newest: Entry | undefined = undefined;
  private size = 0;
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
    return { hits: this.hits, misses: this.misses, size: this.size, bytes: this.bytes, evictions: this.evictions };
  }

  clear(): void {
    this.buckets.clear();
    // Cut the links: an answer a caller still holds must not keep every other old entry alive.
    for (let e = this.oldest; e !== undefined; ) {
      const n = e.newer;
      e.older = e.newer = e.next = undefined;
      e = n;
    }
    this.oldest = this.newest = undefined;
    this.size = 0;
    this.bytes = 0;
  }

  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult {
    const s = req.subject;
    // Ids and subject ids never contain a space (core/refs.ts), so the key is unambiguous.
    const key = `${s.id} ${idsKey(req.resourceIds)}`;
    // With one id, `any` and `all` ask the same question.
    const results = req.resourceIds.length === 1 ? 'any' : req.results;
    const subjectRelation = s.relation ?? '';
    const hit = this.lookup(key, req.meta, req.resourceType, req.relation, s.type, subjectRelation, results);
    if (hit !== undefined) return hit;
    const r = this.next().dispatchCheck(req, env);
    const entry = new Entry(
      key,
      req.meta.revision,
      req.meta.schemaHash,
      req.resourceType,
      req.relation,
      s.type,
      subjectRelation,
      results,
      r.members,
      r.depthRequired,
      undefined,
      ENTRY_OVERHEAD + key.length + idsBytes(r.members),
    );
    return this.store(entry) ? entry : r;
  }

  dispatchLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv): LookupSubjectsResult {
    const key = `${idsKey(req.resourceIds)} ${req.subjectType}`;
    const subjectRelation = req.subjectRelation ?? '...';
    const hit = this.lookup(key, req.meta, req.resourceType, req.relation, '', subjectRelation, 'all');
    if (hit !== undefined) return hit.result!;
    const result = freezeLookup(this.next().dispatchLookupSubjects(req, env));
    let bytes = ENTRY_OVERHEAD + key.length;
    for (const [id, set] of result.byResource) {
      bytes += ENTRY_OVERHEAD + id.length + idsBytes(set.concrete) + (set.wildcard ? idsBytes(set.wildcard) : 0);
    }
    const entry = new Entry(
      key,
      req.meta.revision,
      req.meta.schemaHash,
      req.resourceType,
      req.relation,
      '',
      subjectRelation,
      'all',
      NO_MEMBERS,
      result.depthRequired,
      result,
      bytes,
    );
    this.store(entry);
    return result;
  }

  private next(): Dispatcher {
    if (this.delegate === undefined) throw new Error('CachingDispatcher used before setDelegate()');
    return this.delegate;
  }

  private lookup(
    key: string,
    meta: DispatchMeta,
    resourceType: string,
    relation: string,
    subjectType: string,
    subjectRelation: string,
    results: ResultsSetting,
  ): Entry | undefined {
    for (let e = this.buckets.get(key); e !== undefined; e = e.next) {
      if (e.revision !== meta.revision || e.schemaHash !== meta.schemaHash) continue;
      if (!e.asks(resourceType, relation, subjectType, subjectRelation, results)) continue;
      if (e.depthRequired > meta.depthRemaining) break;
      e.used = true;
      this.hits++;
      return e;
    }
    this.misses++;
    return undefined;
  }

  /** Adds `entry` unless it is over the bound on its own; true when it was stored. */
  private store(entry: Entry): boolean {
    if (this.maxEntries === 0 || entry.bytes > this.maxBytes) return false;
    // The same question at another revision (or answered again with more depth) is replaced.
    const first = this.buckets.get(entry.key);
    let e = first;
    while (e !== undefined && !e.asks(entry.resourceType, entry.relation, entry.subjectType, entry.subjectRelation, entry.results)) e = e.next;
    let moved = e !== undefined;
    if (moved) this.drop(e!);
    // Room is made before the entry joins the order: otherwise a sweep over entries that were all
    // used would come round to the newcomer and evict it at once.
    while (this.size > 0 && (this.bytes + entry.bytes > this.maxBytes || this.size >= this.maxEntries)) {
      this.evictOne();
      moved = true;
    }
    // The bucket's head is looked up again only if a drop may have changed it.
    entry.next = moved ? this.buckets.get(entry.key) : first;
    this.buckets.set(entry.key, entry);
    this.append(entry);
    this.bytes += entry.bytes;
    return true;
  }

  private evictOne(): void {
    for (let e = this.oldest; e !== undefined; e = this.oldest) {
      if (e.used) {
        // Second chance: to the back of the line.
        e.used = false;
        this.remove(e);
        this.append(e);
        continue;
      }
      this.drop(e);
      this.evictions++;
      return;
    }
  }

  /** Out of its bucket and the order. */
  private drop(e: Entry): void {
    this.remove(e);
    this.unlink(e);
    e.next = undefined;
    this.bytes -= e.bytes;
  }

  /** To the newest end of the CLOCK order. */
  private append(e: Entry): void {
    const last = this.newest;
    e.older = last;
    e.newer = undefined;
    if (last === undefined) this.oldest = e;
    else last.newer = e;
    this.newest = e;
    this.size++;
  }

  /** Out of the CLOCK order (not out of its bucket). */
  private remove(e: Entry): void {
    const { older, newer } = e;
    if (older === undefined) this.oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.newest = older;
    else newer.older = older;
    e.older = e.newer = undefined;
    this.size--;
  }

  private unlink(e: Entry): void {
    const first = this.buckets.get(e.key)!;
    if (first === e) {
      if (e.next === undefined) this.buckets.delete(e.key);
      else this.buckets.set(e.key, e.next);
      return;
    }
    let prev = first;
    while (prev.next !== e) prev = prev.next!;
    prev.next = e.next;
  }
}

/** One id as is; several as their sorted distinct ids, so the order they came in does not matter. */
function idsKey(ids: readonly string[]): string {
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 2) {
    const [a, b] = ids as [string, string];
    return a === b ? a : a < b ? `${a},${b}` : `${b},${a}`;
  }
  // Sorted, then duplicates skipped as they come out next to each other: no Set per key.
  const sorted = ids.slice().sort();
  let key = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) key += `,${sorted[i]!}`;
  return key;
}

function idsBytes(ids: ReadonlySet<string>): number {
  if (ids.size === 0) return 0;
  let n = 0;
  for (const id of ids) n += MEMBER_OVERHEAD + id.length;
  return n;
}

function freezeLookup(result: LookupSubjectsResult): LookupSubjectsResult {
  const byResource = new Map<string, SubjectSet>();
  for (const [id, set] of result.byResource) {
    byResource.set(id, new CachedSubjectSet(freezeSet(set.concrete), set.wildcard === undefined ? undefined : freezeSet(set.wildcard)));
  }
  return new CachedLookup(new FrozenMap(byResource), result.depthRequired);
}

// Classes, not frozen literals: cached answers survive, so V8 would pretenure a literal's allocation
// site; its objects are then born in old space and keep the young sets they point to alive through
// every scavenge (5-20 ms scavenges measured at large, ~1 ms with classes). Fields are readonly.
class CachedSubjectSet implements SubjectSet {
  constructor(
    readonly concrete: ReadonlySet<string>,
    readonly wildcard: ReadonlySet<string> | undefined,
  ) {
    Object.freeze(this);
  }
}

class CachedLookup implements LookupSubjectsResult {
  constructor(
    readonly byResource: ReadonlyMap<string, SubjectSet>,
    readonly depthRequired: number,
  ) {
    Object.freeze(this);
  }
}

function freezeSet<T>(set: ReadonlySet<T>): ReadonlySet<T> {
  return set instanceof FrozenSet ? set : new FrozenSet(set);
}

// Sets and maps cannot be frozen by Object.freeze (their methods still mutate): read-only subclasses.
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
