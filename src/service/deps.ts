/** What every operation needs, built once by the composition root (server/). */
import type { Datastore } from '../store/datastore.js';
import type { ConsistencyResolver } from './consistency.js';
import type { Replica } from './replica.js';
import type { Limits } from './types.js';
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
