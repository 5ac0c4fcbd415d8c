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
import type { ServerConfig } from './config.js';

export interface Runtime {
  datastore: Datastore;
  /** The sub-problem cache, for its statistics. */
  cache: CachingDispatcher;
  replica: Replica;
  service: WardenService;
  close(): Promise<void>;
}

export async function buildRuntime(config: ServerConfig): Promise<Runtime> {
  let datastore: Datastore;
  let replica: Replica;
  switch (config.datastore) {
    case 'memory': {
      const ds = new MemoryDatastore();
      datastore = ds;
      replica = new Replica(ds, ds.index, { sharedIndex: true });
      break;
    }
    case 'sqlite': {
      if (config.datastorePath !== ':memory:') mkdirSync(dirname(config.datastorePath), { recursive: true });
      datastore = new SqliteDatastore(config.datastorePath);
      replica = new Replica(datastore, new RelationshipIndex(), { onError: (e) => console.error(`warden: catching up failed: ${(e as Error).message}`) });
      break;
    }
    case 'postgres': {
      const ds = await PostgresDatastore.open(config.datastoreUrl!, {
        ...(config.datastoreSchema ? { schema: config.datastoreSchema } : {}),
        migrate: config.migrate,
        warn: (m) => console.error(`warden: ${m}`),
      });
      datastore = ds;
      replica = new Replica(ds, new RelationshipIndex(), { onError: (e) => console.error(`warden: catching up failed: ${(e as Error).message}`) });
      break;
    }
  }
  await replica.start();
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
    async close() {
      replica.stop();
      await datastore.close();
    },
  };
}
