/** What every operation needs, built once by the composition root (server/). */
import { DeadlineExceededError } from '../core/errors.js';
import type { Revision } from '../core/revision.js';
import { WalkBudget } from '../engine/walk-budget.js';
import type { Datastore } from '../store/datastore.js';
import type { ConsistencyResolver, ResolvedRead } from './consistency.js';
import type { Replica, SchemaVersion } from './replica.js';
import type { CallOptions, Consistency, Limits } from './types.js';
import type { Engine, EngineContext } from '../engine/engine.js';

export interface ServiceDeps {
  readonly datastore: Datastore;
  readonly replica: Replica;
  readonly consistency: ConsistencyResolver;
  /** Behind the sub-problem cache: every read but fully_consistent. */
  readonly engine: Engine;
  /** The same walk without the cache, for fully_consistent reads. */
  readonly uncachedEngine: Engine;
  readonly limits: Limits;
  /** Relationships per committed batch when importing. */
  readonly importBatchSize: number;
  /** How long a write waits for this process to apply its own commit before answering. */
  readonly freshnessWaitMs: number;
}

/** fully_consistent reads skip the cache: they exist to see past anything cached. */
export function engineFor(deps: ServiceDeps, read: { fullyConsistent: boolean }): Engine {
  return read.fullyConsistent ? deps.uncachedEngine : deps.engine;
}

/** One budget per call: every walk of the call (each item of a CheckBulk) spends the same one. */
export function walkBudget(deps: ServiceDeps, call: CallOptions | undefined): WalkBudget {
  return new WalkBudget({
    maxDispatches: deps.limits.maxDispatchesPerRequest,
    deadline: call?.deadline,
    // Walks are synchronous, so a signal cannot fire during one: only a signal that has already fired
    // matters, and asking `aborted` first spares making one for every call.
    signal: isAborted(call) ? call?.signal : undefined,
    tally: call?.work,
  });
}

function isAborted(call: CallOptions | undefined): boolean {
  return call?.aborted ?? call?.signal?.aborted ?? false;
}

/** What a graph walk of one call reads: the schema and snapshot at the call's revision, its limits. */
export function engineContext(deps: ServiceDeps, revision: Revision, schema: SchemaVersion, call: CallOptions | undefined): EngineContext {
  return { schema: schema.schema, graph: deps.replica.index.snapshot(revision), maxDepth: deps.limits.maxDepth, budget: walkBudget(deps, call) };
}

/**
 * The revision of one page of a listing: a later page's cursor pins the revision of the first, so
 * that results come exactly once across pages; a first page resolves the request's consistency.
 */
export function readForPage(
  deps: ServiceDeps,
  cursor: { revision: Revision } | undefined,
  consistency: Consistency | undefined,
  call: CallOptions | undefined,
): Promise<ResolvedRead> {
  return cursor ? deps.consistency.pinned(cursor.revision, call) : deps.consistency.resolve(consistency, call);
}

/** Before a write: a caller that has gone away (or run out of time) gets nothing written. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeadlineExceededError();
}
