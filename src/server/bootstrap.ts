/**
 * First-start bootstrap: an empty store gets the example workspace (schema + relationships), so that the
 * README's first requests answer at once. Never touches a store that already has a revision.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WardenService } from '../service/types.js';
import type { Datastore } from '../store/datastore.js';

export interface BootstrapResult {
  loaded: boolean;
  relationships: number;
}

export async function bootstrapIfEmpty(datastore: Datastore, service: WardenService, dir: string): Promise<BootstrapResult> {
  if ((await datastore.headRevision()) > 0) return { loaded: false, relationships: 0 };
  const schemaFile = join(dir, 'schema.zed');
  const relationshipsFile = join(dir, 'relationships.txt');
  if (!existsSync(schemaFile) || !existsSync(relationshipsFile)) {
    throw new Error(`bootstrap: ${schemaFile} and ${relationshipsFile} are needed (or start with --no-bootstrap)`);
  }
  await service.writeSchema({ schema: readFileSync(schemaFile, 'utf8') });
  const lines = readFileSync(relationshipsFile, 'utf8').split('\n');
  const { count } = await service.importRelationships(
    (async function* () {
      yield* lines;
    })(),
  );
  return { loaded: true, relationships: count };
}
