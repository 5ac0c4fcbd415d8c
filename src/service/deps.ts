/** What every operation needs, built once by the composition root (server/). */
import { DeadlineExceededError } from '../core/errors.js';
import { WalkBudget } from '../engine/walk-budget.js';
import type { Datastore } from '../store/datastore.js';
import type { ConsistencyResolver } from './consistency.js';
import type { Replica } from './replica.js';
import type { CallOptions, Limits } from './types.js';
import type { Engine } from '../engine/engine.js';

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
    signal: call?.signal,
    tally: call?.work,
  });
}

/** Before a write: a caller that has gone away (or run out of time) gets nothing written. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeadlineExceededError();
}
