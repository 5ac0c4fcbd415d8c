/** The WardenService: one method per operation, each delegating to the file of the same name. */
import { check } from './check.js';
import { checkBulk } from './check-bulk.js';
import { deleteRelationships } from './delete-relationships.js';
import type { ServiceDeps } from './deps.js';
import { expand } from './expand.js';
import { exportRelationships } from './export-relationships.js';
import { importRelationships } from './import-relationships.js';
import { lookupResources } from './lookup-resources.js';
import { lookupSubjects } from './lookup-subjects.js';
import { readRelationships } from './read-relationships.js';
import { readSchema } from './read-schema.js';
import type * as T from './types.js';
import { watch } from './watch.js';
import { writeRelationships } from './write-relationships.js';
import { writeSchema } from './write-schema.js';

export class DefaultWardenService implements T.WardenService {
  constructor(private readonly deps: ServiceDeps) {}

  get limits(): T.Limits {
    return this.deps.limits;
  }
  check(req: T.CheckRequest) {
    return check(this.deps, req);
  }
  checkBulk(req: T.CheckBulkRequest) {
    return checkBulk(this.deps, req);
  }
  expand(req: T.ExpandRequest) {
    return expand(this.deps, req);
  }
  lookupResources(req: T.LookupResourcesRequest) {
    return lookupResources(this.deps, req);
  }
  lookupSubjects(req: T.LookupSubjectsRequest) {
    return lookupSubjects(this.deps, req);
  }
  writeRelationships(req: T.WriteRelationshipsRequest) {
    return writeRelationships(this.deps, req);
  }
  deleteRelationships(req: T.DeleteRelationshipsRequest) {
    return deleteRelationships(this.deps, req);
  }
  readRelationships(req: T.ReadRelationshipsRequest) {
    return readRelationships(this.deps, req);
  }
  importRelationships(lines: AsyncIterable<string>, signal?: AbortSignal) {
    return importRelationships(this.deps, lines, signal);
  }
  exportRelationships(req: T.ExportRequest, signal?: AbortSignal) {
    return exportRelationships(this.deps, req, signal);
  }
  watch(req: T.WatchRequest, signal: AbortSignal) {
    return watch(this.deps, req, signal);
  }
  writeSchema(req: T.WriteSchemaRequest) {
    return writeSchema(this.deps, req);
  }
  readSchema(req: T.ReadSchemaRequest) {
    return readSchema(this.deps, req);
  }
  health() {
    return { ok: true };
  }
  async ready(): Promise<{ ready: boolean; reason?: string }> {
    try {
      const head = await this.deps.datastore.headRevision();
      if (this.deps.replica.head < head) return { ready: false, reason: `catching up: applied ${this.deps.replica.head} of ${head}` };
      return { ready: true };
    } catch (e) {
      return { ready: false, reason: `datastore unavailable: ${(e as Error).message}` };
    }
  }
}
