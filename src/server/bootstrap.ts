/**
 * First-start bootstrap: an empty store gets the example workspace (its validation file's schema and
 * relationships), so that the README's first requests answer at once. Never touches a store that
 * already has a revision. Goes through the service, so the data is validated like any other write.
 */
import { join } from 'node:path';
import type { WardenService } from '../service/types.js';
import type { Datastore } from '../store/datastore.js';
import { loadValidationFile } from '../validation/validation-file.js';

export interface BootstrapResult {
  loaded: boolean;
  relationships: number;
}

export async function bootstrapIfEmpty(datastore: Datastore, service: WardenService, dir: string): Promise<BootstrapResult> {
  if ((await datastore.headRevision()) > 0) return { loaded: false, relationships: 0 };
  const file = loadValidationFile(join(dir, 'workspace.yaml'));
  await service.writeSchema({ schema: file.schemaText });
  const { count } = await service.importRelationships(
    (async function* () {
      for (const r of file.relationships) yield r.text;
    })(),
  );
  return { loaded: true, relationships: count };
}
