/**
 * Resolves a request's consistency to one revision and the schema in force there, once per call.
 * Nothing below the service layer asks for "the latest" revision again.
 */
import { InvalidArgumentError, RevisionUnavailableError, SchemaNotFoundError } from '../core/errors.js';
import type { Revision } from '../core/revision.js';
import { decodeZookie, encodeZookie } from '../core/zookie.js';
import type { Replica, SchemaVersion } from './replica.js';
import type { CallOptions, Consistency } from './types.js';

const OLDEST_TTL_MS = 1_000;

export interface ConsistencyOptions {
  /** minimize_latency reads at the newest revision at most this old, so concurrent reads share cache entries. */
  quantizationMs: number;
  /** How long at_least_as_fresh / fully_consistent wait for this process to apply a newer revision. */
  freshnessWaitMs: number;
}

export interface ResolvedRead {
  revision: Revision;
  /** Undefined when no schema had been written at `revision`. */
  schema: SchemaVersion | undefined;
  /** True when the caller asked for fully_consistent: callers skip caches. */
  fullyConsistent: boolean;
}

/** What a resolution may wait on: the call's signal, read only when there is something to wait for. */
export type Waiter = Pick<CallOptions, 'signal'> | undefined;

export class ConsistencyResolver {
  private optimized: Revision | undefined;
  // Most answers carry the zookie of the same quantized revision and schema: encoded once for all of them.
  private lastZookie: { revision: Revision; hash: string; token: string } | undefined;
  private optimizedAt = 0;
  private oldestSeen: Revision = 0;
  private oldestAt = 0;

  constructor(
    private readonly replica: Replica,
    private readonly options: ConsistencyOptions,
  ) {}

  get storeId(): string {
    return this.replica.datastore.storeId;
  }

  /** `call.signal` ends a wait for a revision not applied yet (DeadlineExceededError). */
  async resolve(consistency: Consistency | undefined, call?: Waiter): Promise<ResolvedRead> {
    const c = consistency ?? { minimizeLatency: true as const };
    let revision: Revision;
    let fullyConsistent = false;
    if ('atLeastAsFresh' in c) {
      const z = decodeZookie(c.atLeastAsFresh, this.storeId);
      await this.checkNotCollected(z.revision);
      await this.replica.waitForRevision(z.revision, this.options.freshnessWaitMs, call?.signal);
      revision = Math.max(z.revision, this.optimizedRevision());
    } else if ('atExactSnapshot' in c) {
      const z = decodeZookie(c.atExactSnapshot, this.storeId);
      await this.checkNotCollected(z.revision);
      this.checkLoaded(z.revision);
      await this.replica.waitForRevision(z.revision, this.options.freshnessWaitMs, call?.signal);
      revision = z.revision;
    } else if ('fullyConsistent' in c && c.fullyConsistent === true) {
      revision = await this.replica.datastore.headRevision();
      await this.replica.waitForRevision(revision, this.options.freshnessWaitMs, call?.signal);
      fullyConsistent = true;
    } else if ('minimizeLatency' in c && c.minimizeLatency === true) {
      revision = this.optimizedRevision();
    } else {
      throw new InvalidArgumentError(
        'consistency must be one of {"minimizeLatency":true}, {"atLeastAsFresh":"<zookie>"}, {"atExactSnapshot":"<zookie>"}, {"fullyConsistent":true}',
      );
    }
    return { revision, schema: this.replica.schemaAt(revision), fullyConsistent };
  }

  /**
   * The read of a request that waits for nothing (minimize_latency, the default), at once; undefined
   * when `resolve` is needed. Spares the commonest Check two async steps.
   */
  now(consistency: Consistency | undefined): ResolvedRead | undefined {
    const c = consistency ?? { minimizeLatency: true as const };
    // The branches of `resolve`, in its order: only its minimize_latency one is taken here.
    if ('atLeastAsFresh' in c || 'atExactSnapshot' in c || ('fullyConsistent' in c && c.fullyConsistent === true)) return undefined;
    if (!('minimizeLatency' in c) || c.minimizeLatency !== true) return undefined;
    const revision = this.optimizedRevision();
    return { revision, schema: this.replica.schemaAt(revision), fullyConsistent: false };
  }

  /** `now`, with a missing schema an error as in resolveWithSchema. */
  nowWithSchema(consistency: Consistency | undefined): (ResolvedRead & { schema: SchemaVersion }) | undefined {
    const r = this.now(consistency);
    if (r !== undefined && !r.schema) throw new SchemaNotFoundError();
    return r as (ResolvedRead & { schema: SchemaVersion }) | undefined;
  }

  /** Like resolve, but a missing schema is an error (every graph read needs one). */
  async resolveWithSchema(consistency: Consistency | undefined, call?: Waiter): Promise<ResolvedRead & { schema: SchemaVersion }> {
    const r = await this.resolve(consistency, call);
    if (!r.schema) throw new SchemaNotFoundError();
    return r as ResolvedRead & { schema: SchemaVersion };
  }

  /** Pins a later page to the revision of the first one (from a cursor). */
  async pinned(revision: Revision, call?: Waiter): Promise<ResolvedRead> {
    await this.checkNotCollected(revision);
    this.checkLoaded(revision);
    await this.replica.waitForRevision(revision, this.options.freshnessWaitMs, call?.signal);
    return { revision, schema: this.replica.schemaAt(revision), fullyConsistent: false };
  }

  zookie(revision: Revision, schema?: SchemaVersion): string {
    const hash = (schema ?? this.replica.schemaAt(revision))?.hash ?? '';
    const last = this.lastZookie;
    if (last !== undefined && last.revision === revision && last.hash === hash) return last.token;
    const token = encodeZookie({ storeId: this.storeId, revision, schemaHash: hash });
    this.lastZookie = { revision, hash, token };
    return token;
  }

  private optimizedRevision(): Revision {
    const now = Date.now();
    const q = this.options.quantizationMs;
    if (this.optimized === undefined || q <= 0 || now - this.optimizedAt >= q || this.optimized > this.replica.head) {
      this.optimized = this.replica.head;
      this.optimizedAt = now;
    }
    return this.optimized;
  }

  /** The in-memory history starts where this process loaded the store (see Replica); exact reads need it. */
  private checkLoaded(revision: Revision): void {
    const loadedAt = this.replica.loadedAt;
    if (revision < loadedAt) {
      throw new RevisionUnavailableError(
        `revision ${revision} is older than this server's start: it loaded the store at revision ${loadedAt} and keeps history from there; retry with a newer zookie, or with at_least_as_fresh`,
      );
    }
  }

  private async checkNotCollected(revision: Revision): Promise<void> {
    // The horizon only moves forward, so a cached value can only be too permissive by one GC pass;
    // asking the store again before refusing keeps a refusal exact without a query per request.
    if (revision >= this.oldestSeen && Date.now() - this.oldestAt < OLDEST_TTL_MS) return;
    const oldest = await this.replica.datastore.oldestReadableRevision();
    this.oldestSeen = oldest;
    this.oldestAt = Date.now();
    if (revision < oldest) {
      throw new RevisionUnavailableError(
        `the zookie's revision ${revision} is older than the garbage-collection window (oldest readable: ${oldest}); retry with a newer zookie or without one`,
      );
    }
  }
}
