/**
 * The composition root's builders: the only place that names concrete classes. Everything above gets
 * interfaces (Datastore, WardenService); everything below never learns which implementation it runs on.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildDispatcherRing } from '../engine/build-ring.js';
import type { CachingDispatcher } from '../engine/caching-dispatcher.js';
import { Engine } from '../engine/engine.js';
import { LocalDispatcher } from '../engine/local/local-dispatcher.js';
import { ConsistencyResolver } from '../service/consistency.js';
import { Replica } from '../service/replica.js';
import { DefaultWardenService } from '../service/warden-service.js';
import type { WardenService } from '../service/types.js';
import type { Datastore } from '../store/datastore.js';
import { MemoryDatastore } from '../store/memory/memory-datastore.js';
import { RelationshipIndex } from '../store/relationship-index.js';
import { SqliteDatastore } from '../store/sqlite/sqlite-datastore.js';
import { PostgresDatastore } from '../store/postgres/postgres-datastore.js';
import { TimedDatastore, type DatastoreTimer } from '../store/proxy/timed-datastore.js';
import type { ServerConfig } from './config.js';
import { GcScheduler, type GcDeps } from './gc.js';

export interface Runtime {
  datastore: Datastore;
  /** The sub-problem cache, for its statistics. */
  cache: CachingDispatcher;
  replica: Replica;
  service: WardenService;
  /** Garbage collection of history older than the window, in the store and in this process's index. */
  gc: GcScheduler;
  close(): Promise<void>;
}

/** Optional instrumentation; without it the runtime is exactly the bare one (benchmarks use it so). */
export interface RuntimeHooks {
  /** Times every call to the store (the TimedDatastore decorator). */
  datastoreTimer?: DatastoreTimer;
}

export async function buildRuntime(config: ServerConfig, hooks: RuntimeHooks = {}): Promise<Runtime> {
  const timed = (ds: Datastore): Datastore => (hooks.datastoreTimer ? new TimedDatastore(ds, hooks.datastoreTimer) : ds);
  let datastore: Datastore;
  let replica: Replica;
  let gcSource: Pick<GcDeps, 'revisionAt' | 'index'> = {};
  switch (config.datastore) {
    case 'memory': {
      const ds = new MemoryDatastore();
      datastore = timed(ds);
      replica = new Replica(datastore, ds.index, { sharedIndex: true });
      break;
    }
    case 'sqlite': {
      if (config.datastorePath !== ':memory:') mkdirSync(dirname(config.datastorePath), { recursive: true });
      const ds = new SqliteDatastore(config.datastorePath);
      const index = new RelationshipIndex();
      datastore = timed(ds);
      replica = new Replica(datastore, index, {
        snapshot: () => ds.snapshotLive(),
        onError: (e) => console.error(`warden: catching up failed: ${(e as Error).message}`),
      });
      gcSource = { revisionAt: (t) => ds.revisionAt(t), index };
      break;
    }
    case 'postgres': {
      const ds = await PostgresDatastore.open(config.datastoreUrl!, {
        ...(config.datastoreSchema ? { schema: config.datastoreSchema } : {}),
        migrate: config.migrate,
        warn: (m) => console.error(`warden: ${m}`),
      });
      const index = new RelationshipIndex();
      datastore = timed(ds);
      replica = new Replica(datastore, index, { onError: (e) => console.error(`warden: catching up failed: ${(e as Error).message}`) });
      gcSource = { revisionAt: (t) => ds.revisionAt(t), index };
      break;
    }
  }
  await replica.start();
  const gc = new GcScheduler(
    { datastore, ...gcSource, log: (m) => console.log(`warden: ${m}`), warn: (m) => console.error(`warden: ${m}`) },
    { windowMs: config.gcWindowMs, intervalMs: config.gcIntervalMs },
  );
  gc.start();
  const consistency = new ConsistencyResolver(replica, {
    quantizationMs: config.quantizationMs,
    freshnessWaitMs: config.freshnessWaitMs,
  });
  const ring = buildDispatcherRing({ maxBytes: config.cacheMiB * 1024 * 1024 });
  const engine = new Engine(ring.head);
  const uncachedEngine = new Engine(new LocalDispatcher());
  const service = new DefaultWardenService({
    datastore,
    replica,
    consistency,
    engine,
    uncachedEngine,
    limits: config.limits,
    importBatchSize: config.importBatchSize,
    freshnessWaitMs: config.freshnessWaitMs,
  });
  return {
    datastore,
    cache: ring.cache,
    replica,
    service,
    gc,
    async close() {
      await gc.stop();
      replica.stop();
      await datastore.close();
    },
  };
}
