/**
 * This process's view of the store: the in-memory relationship index the engine reads, the schema
 * history, and the follower that keeps both current from the store's change feed. Loaded once at start
 * by replaying the change feed (so reads at any revision still in the store's history are exact), then
 * advanced on every commit wake-up. The feed lists every committed revision, empty ones included, so
 * the applied head only ever moves to a revision whose changes were applied. A lost wake-up loses nothing: the next catch-up reads from the
 * index's own head, and `waitForRevision` polls the store while it waits.
 */
import { compileSchemaOrThrow } from '../schema/compiler.js';
import type { CompiledSchema } from '../schema/compiled.js';
import { DeadlineExceededError, RevisionUnavailableError } from '../core/errors.js';
import type { Revision } from '../core/revision.js';
import type { Relationship } from '../core/refs.js';
import type { Datastore, RevisionChanges } from '../store/datastore.js';
import type { GraphSnapshot } from '../store/graph.js';
import { readAllRelationships } from '../store/read-all.js';

/** The part of the in-memory index the replica drives. */
export interface FollowedIndex {
  readonly head: Revision;
  /** Relationships live at the head (for the relationship-count metric). */
  readonly liveCount: number;
  apply(changes: RevisionChanges): void;
  /** Bulk-loads the state at `at` into an empty index. */
  load(relationships: Iterable<Relationship>, at: Revision): number;
  snapshot(revision: Revision): GraphSnapshot;
}

export interface SchemaVersion {
  readonly revision: Revision;
  readonly text: string;
  readonly hash: string;
  readonly schema: CompiledSchema;
}

export interface ReplicaOptions {
  /** True when the datastore itself updates `index` on commit (the memory store): only follow the schema. */
  sharedIndex?: boolean;
  /** How many revisions to read from the change feed per round trip. */
  batchRevisions?: number;
  /** Told about a background catch-up that failed (it is retried at the next wake-up). */
  onError?: (error: unknown) => void;
}

export class Replica {
  private readonly schemas: SchemaVersion[] = [];
  private readonly compiled = new Map<string, CompiledSchema>();
  private appliedHead: Revision = 0;
  private catching: Promise<void> | undefined;
  private again = false;
  private readonly waiters = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly datastore: Datastore,
    readonly index: FollowedIndex,
    private readonly options: ReplicaOptions = {},
  ) {}

  /**
   * Loads the state at the oldest readable revision page by page, then replays the change feed from
   * there: reads at every revision the store still keeps are exact, and nothing older is needed.
   */
  async start(): Promise<void> {
    this.unsubscribe = this.datastore.onCommit(() => this.catchUpInBackground());
    const oldest = await this.datastore.oldestReadableRevision();
    if (oldest > 0) {
      const schema = await this.datastore.readSchema(oldest);
      if (schema) this.addSchema(oldest, schema.text, schema.hash);
      if (!this.options.sharedIndex) {
        for await (const page of readAllRelationships(this.datastore, {}, oldest)) this.index.load(page, oldest);
      }
      this.appliedHead = oldest;
    }
    await this.catchUp();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const w of this.waiters) w();
  }

  /** The newest revision this process has applied: reads at or below it are answered from memory. */
  get head(): Revision {
    return this.appliedHead;
  }

  /**
   * A wake-up's catch-up: a failure (the database is unreachable) is reported and left for the next
   * wake-up or wait to retry, never an unhandled rejection that would end the process.
   */
  private catchUpInBackground(): void {
    this.catchUp().catch((e: unknown) => this.options.onError?.(e));
  }

  /** Reads the change feed until the index holds the store's head. Concurrent callers share one run. */
  catchUp(): Promise<void> {
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again);
      } finally {
        this.catching = undefined;
      }
    })();
    return this.catching;
  }

  private async drain(): Promise<void> {
    const limit = this.options.batchRevisions ?? 1000;
    const before = this.appliedHead;
    for (;;) {
      const batch = await this.datastore.changesSince(this.appliedHead, limit);
      for (const rc of batch) {
        if (rc.revision <= this.appliedHead) continue;
        if (!this.options.sharedIndex && rc.revision > this.index.head) this.index.apply(rc);
        if (rc.schema) this.addSchema(rc.schema.revision, rc.schema.text, rc.schema.hash);
        this.appliedHead = rc.revision;
      }
      if (batch.length < limit) break;
    }
    // Only progress wakes the waiters: a waiter woken by a catch-up that found nothing would start the
    // next catch-up at once, and with a store that answers without I/O (memory, SQLite) that loop never
    // yields to the event loop until the wait times out, stalling every other request meanwhile.
    if (this.appliedHead !== before) for (const w of [...this.waiters]) w();
  }

  private addSchema(revision: Revision, text: string, hash: string): void {
    const last = this.schemas[this.schemas.length - 1];
    if (last && last.revision >= revision) return;
    this.schemas.push({ revision, text, hash, schema: this.compile(text, hash) });
  }

  private compile(text: string, hash: string): CompiledSchema {
    let schema = this.compiled.get(hash);
    if (!schema) {
      schema = compileSchemaOrThrow(text);
      this.compiled.set(hash, schema);
    }
    return schema;
  }

  /** The schema in force at `revision`, or undefined if none was written by then. */
  schemaAt(revision: Revision): SchemaVersion | undefined {
    let lo = 0;
    let hi = this.schemas.length - 1;
    let found: SchemaVersion | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.schemas[mid]!;
      if (s.revision <= revision) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Waits (bounded) until this process has applied `revision`. An abort of `signal` (the caller went
   * away, or its deadline passed) ends the wait at once with DeadlineExceededError.
   */
  async waitForRevision(revision: Revision, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.appliedHead >= revision) return;
    const deadline = Date.now() + timeoutMs;
    while (this.appliedHead < revision) {
      if (signal?.aborted) throw new DeadlineExceededError();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RevisionUnavailableError(
          `revision ${revision} is not available yet on this server (it has applied ${this.appliedHead}); retry, or check the zookie came from this store`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        // Poll too: a networked store's wake-up can be lost.
        const timer = setTimeout(done, Math.min(left, 50));
        this.waiters.add(done);
        this.catchUpInBackground();
      });
    }
  }
}
