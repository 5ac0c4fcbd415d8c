/** The WardenService: one method per operation, each delegating to the file of the same name. */
import { AuthzError } from '../core/errors.js';
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
  check(req: T.CheckRequest, call?: T.CallOptions) {
    return check(this.deps, req, call);
  }
  checkBulk(req: T.CheckBulkRequest, call?: T.CallOptions) {
    return checkBulk(this.deps, req, call);
  }
  expand(req: T.ExpandRequest, call?: T.CallOptions) {
    return expand(this.deps, req, call);
  }
  lookupResources(req: T.LookupResourcesRequest, call?: T.CallOptions) {
    return lookupResources(this.deps, req, call);
  }
  lookupSubjects(req: T.LookupSubjectsRequest, call?: T.CallOptions) {
    return lookupSubjects(this.deps, req, call);
  }
  writeRelationships(req: T.WriteRelationshipsRequest, call?: T.CallOptions) {
    return writeRelationships(this.deps, req, call);
  }
  deleteRelationships(req: T.DeleteRelationshipsRequest, call?: T.CallOptions) {
    return deleteRelationships(this.deps, req, call);
  }
  readRelationships(req: T.ReadRelationshipsRequest, call?: T.CallOptions) {
    return readRelationships(this.deps, req, call);
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
  writeSchema(req: T.WriteSchemaRequest, call?: T.CallOptions) {
    return writeSchema(this.deps, req, call);
  }
  readSchema(req: T.ReadSchemaRequest, call?: T.CallOptions) {
    return readSchema(this.deps, req, call);
  }
  health() {
    return { ok: true };
  }
  async ready(): Promise<{ ready: boolean; reason?: string }> {
    try {
      // A probe must answer quickly even when the database silently drops packets.
      const head = await withTimeout(this.deps.datastore.headRevision(), READY_TIMEOUT_MS);
      if (head === undefined) return { ready: false, reason: `datastore unavailable: no answer within ${READY_TIMEOUT_MS} ms` };
      if (this.deps.replica.head < head) return { ready: false, reason: `catching up: applied ${this.deps.replica.head} of ${head}` };
      return { ready: true };
    } catch (e) {
      // The probe is open without a key: only a typed error's message is written for clients. A driver's
      // own (a table or schema name, SQL) goes back up to the transport, which logs it and says "not ready".
      if (!(e instanceof AuthzError)) throw e;
      return { ready: false, reason: `datastore unavailable: ${e.message}` };
    }
  }
}

const READY_TIMEOUT_MS = 2_000;

/** Resolves with the promise's value, or undefined once `ms` passed (the promise is left to settle on its own). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  p.catch(() => undefined); // a late rejection after the timeout must not go unhandled
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
