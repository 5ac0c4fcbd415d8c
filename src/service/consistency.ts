/**
 * Resolves a request's consistency to one revision and the schema in force there, once per call.
 * Nothing below the service layer asks for "the latest" revision again.
 */
import { InvalidArgumentError, RevisionUnavailableError, SchemaNotFoundError } from '../core/errors.js';
import type { Revision } from '../core/revision.js';
import { decodeZookie, encodeZookie } from '../core/zookie.js';
import type { Replica, SchemaVersion } from './replica.js';
import type { Consistency } from './types.js';

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

export class ConsistencyResolver {
  private optimized: Revision | undefined;
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

  /** `signal` ends a wait for a revision not applied yet (DeadlineExceededError). */
  async resolve(consistency: Consistency | undefined, signal?: AbortSignal): Promise<ResolvedRead> {
    const c = consistency ?? { minimizeLatency: true as const };
    let revision: Revision;
    let fullyConsistent = false;
    if ('atLeastAsFresh' in c) {
      const z = decodeZookie(c.atLeastAsFresh, this.storeId);
      await this.checkNotCollected(z.revision);
      await this.replica.waitForRevision(z.revision, this.options.freshnessWaitMs, signal);
      revision = Math.max(z.revision, this.optimizedRevision());
    } else if ('atExactSnapshot' in c) {
      const z = decodeZookie(c.atExactSnapshot, this.storeId);
      await this.checkNotCollected(z.revision);
      await this.replica.waitForRevision(z.revision, this.options.freshnessWaitMs, signal);
      revision = z.revision;
    } else if ('fullyConsistent' in c && c.fullyConsistent === true) {
      revision = await this.replica.datastore.headRevision();
      await this.replica.waitForRevision(revision, this.options.freshnessWaitMs, signal);
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

  /** Like resolve, but a missing schema is an error (every graph read needs one). */
  async resolveWithSchema(consistency: Consistency | undefined, signal?: AbortSignal): Promise<ResolvedRead & { schema: SchemaVersion }> {
    const r = await this.resolve(consistency, signal);
    if (!r.schema) throw new SchemaNotFoundError();
    return r as ResolvedRead & { schema: SchemaVersion };
  }

  /** Pins a later page to the revision of the first one (from a cursor). */
  async pinned(revision: Revision, signal?: AbortSignal): Promise<ResolvedRead> {
    await this.checkNotCollected(revision);
    await this.replica.waitForRevision(revision, this.options.freshnessWaitMs, signal);
    return { revision, schema: this.replica.schemaAt(revision), fullyConsistent: false };
  }

  zookie(revision: Revision, schema?: SchemaVersion): string {
    const s = schema ?? this.replica.schemaAt(revision);
    return encodeZookie({ storeId: this.storeId, revision, schemaHash: s?.hash ?? '' });
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
