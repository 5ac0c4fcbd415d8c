/**
 * Replays a workload directory through the whole stack (buildRuntime: datastore, replica and index,
 * consistency, engine, service): writes the schema, imports relationships.txt, then runs every check
 * query and every lookup through WardenService and compares with the file's `expected` and
 * `expected_count`. Any difference, or any error, is a mismatch; a benchmark run refuses to report
 * figures for a stack that gives wrong answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CONFIG } from '../../server/config.js';
import type { ServerConfig } from '../../server/config.js';
import { buildRuntime } from '../../server/build.js';
import type { Runtime } from '../../server/build.js';
import type { Consistency } from '../../service/types.js';
import type { WorkloadDir } from './read-workload.js';

export type DatastoreChoice = 'sqlite' | 'memory';

export interface LoadOptions {
  readonly datastore: DatastoreChoice;
  /** The SQLite file; default a fresh temporary directory, removed by `close()`. */
  readonly sqlitePath?: string;
  readonly importBatchSize?: number;
}

export interface LoadedWorkload {
  readonly runtime: Runtime;
  /** The zookie of the import: every replayed read is at least as fresh as it. */
  readonly zookie: string;
  readonly relationships: number;
  readonly importMs: number;
  readonly sqlitePath: string | undefined;
  /** Subject ids seen per subject type in relationships.txt: the universe a wildcard stands for. */
  readonly subjectIds: ReadonlyMap<string, ReadonlySet<string>>;
  close(): Promise<void>;
}

export interface Mismatch {
  readonly kind: 'check' | 'lookup_resources' | 'lookup_subjects';
  readonly what: string;
  readonly expected: boolean | number;
  readonly actual: boolean | number | string;
}

export interface ReplayReport {
  readonly relationships: number;
  readonly checks: number;
  readonly lookupResources: number;
  readonly lookupSubjects: number;
  readonly mismatchCount: number;
  /** The first few mismatches, in file order. */
  readonly mismatches: Mismatch[];
  readonly importMs: number;
  readonly checkMs: number;
  readonly lookupResourcesMs: number;
  readonly lookupSubjectsMs: number;
}

export class ReplayMismatchError extends Error {
  constructor(readonly report: ReplayReport) {
    super(
      `${report.mismatchCount} mismatch(es) replaying the workload; first: ${report.mismatches
        .slice(0, 5)
        .map((m) => `${m.kind} ${m.what}: expected ${m.expected}, got ${m.actual}`)
        .join('; ')}`,
    );
  }
}

const KEEP_MISMATCHES = 50;

/** Builds the stack, writes the schema and imports every relationship. */
export async function loadWorkload(workload: WorkloadDir, options: LoadOptions): Promise<LoadedWorkload> {
  let tempDir: string | undefined;
  let sqlitePath = options.sqlitePath;
  if (options.datastore === 'sqlite' && sqlitePath === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
    sqlitePath = join(tempDir, 'warden.db');
  }
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    datastore: options.datastore,
    datastorePath: sqlitePath ?? ':memory:',
    bootstrap: false,
    importBatchSize: options.importBatchSize ?? DEFAULT_CONFIG.importBatchSize,
  };
  const runtime = await buildRuntime(config);
  const cleanup = async () => {
    await runtime.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await runtime.service.writeSchema({ schema: workload.schema });
    const wanted = new Set(workload.lookups.lookup_subjects.map((c) => c.subject_type));
    const subjectIds = new Map<string, Set<string>>([...wanted].map((t) => [t, new Set<string>()]));
    const started = performance.now();
    const imported = await runtime.service.importRelationships(collectSubjects(workload.relationshipLines(), subjectIds));
    const importMs = performance.now() - started;
    return {
      runtime,
      zookie: imported.zookie,
      relationships: imported.count,
      importMs,
      sqlitePath,
      subjectIds,
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Passes lines through, noting `@type:id` subjects of the wanted types. */
async function* collectSubjects(lines: AsyncIterable<string>, into: Map<string, Set<string>>): AsyncIterable<string> {
  for await (const line of lines) {
    if (into.size > 0) {
      const at = line.indexOf('@');
      const colon = line.indexOf(':', at);
      if (at > 0 && colon > at) {
        const set = into.get(line.slice(at + 1, colon));
        if (set !== undefined) {
          const hash = line.indexOf('#', colon);
          const id = (hash < 0 ? line.slice(colon + 1) : line.slice(colon + 1, hash)).trim();
          if (id !== '*' && hash < 0) set.add(id);
        }
      }
    }
    yield line;
  }
}

/** Runs every query and lookup of the workload against a loaded stack. */
export async function replayQueries(workload: WorkloadDir, loaded: LoadedWorkload): Promise<ReplayReport> {
  const service = loaded.runtime.service;
  const consistency: Consistency = { atLeastAsFresh: loaded.zookie };
  const mismatches: Mismatch[] = [];
  let mismatchCount = 0;
  const miss = (m: Mismatch) => {
    mismatchCount++;
    if (mismatches.length < KEEP_MISMATCHES) mismatches.push(m);
  };

  let t = performance.now();
  for (const q of workload.queries) {
    const what = `${q.resource_type}:${q.resource_id}#${q.permission}@${q.subject_type}:${q.subject_id}`;
    try {
      const r = await service.check({ resource: `${q.resource_type}:${q.resource_id}`, permission: q.permission, subject: `${q.subject_type}:${q.subject_id}`, consistency });
      if (r.allowed !== q.expected) miss({ kind: 'check', what, expected: q.expected, actual: r.allowed });
    } catch (e) {
      miss({ kind: 'check', what, expected: q.expected, actual: `error: ${(e as Error).message}` });
    }
  }
  const checkMs = performance.now() - t;

  t = performance.now();
  const pageLimit = service.limits.maxPageSize;
  for (const c of workload.lookups.lookup_resources) {
    const what = `(${c.resource_type}, ${c.permission}, ${c.subject_type}:${c.subject_id})`;
    try {
      let n = 0;
      let cursor: string | undefined;
      do {
        const page = await service.lookupResources({
          resourceType: c.resource_type,
          permission: c.permission,
          subject: `${c.subject_type}:${c.subject_id}`,
          consistency,
          limit: pageLimit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        n += page.resources.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      if (n !== c.expected_count) miss({ kind: 'lookup_resources', what, expected: c.expected_count, actual: n });
    } catch (e) {
      miss({ kind: 'lookup_resources', what, expected: c.expected_count, actual: `error: ${(e as Error).message}` });
    }
  }
  const lookupResourcesMs = performance.now() - t;

  t = performance.now();
  for (const c of workload.lookups.lookup_subjects) {
    const what = `(${c.resource_type}:${c.resource_id}, ${c.permission}, ${c.subject_type})`;
    try {
      const concrete = new Set<string>();
      let excluded: Set<string> | undefined;
      let cursor: string | undefined;
      do {
        const page = await service.lookupSubjects({
          resource: `${c.resource_type}:${c.resource_id}`,
          permission: c.permission,
          subjectType: c.subject_type,
          consistency,
          limit: pageLimit,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        for (const s of page.subjects) {
          if (s.id === '*') excluded = new Set(s.excluded ?? []);
          else concrete.add(s.id);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
      let n = concrete.size;
      if (excluded !== undefined) {
        // A wildcard stands for every subject of the type in the data, minus its exclusions.
        for (const id of loaded.subjectIds.get(c.subject_type) ?? []) if (!concrete.has(id) && !excluded.has(id)) n++;
      }
      if (n !== c.expected_count) miss({ kind: 'lookup_subjects', what, expected: c.expected_count, actual: n });
    } catch (e) {
      miss({ kind: 'lookup_subjects', what, expected: c.expected_count, actual: `error: ${(e as Error).message}` });
    }
  }
  const lookupSubjectsMs = performance.now() - t;

  return {
    relationships: loaded.relationships,
    checks: workload.queries.length,
    lookupResources: workload.lookups.lookup_resources.length,
    lookupSubjects: workload.lookups.lookup_subjects.length,
    mismatchCount,
    mismatches,
    importMs: loaded.importMs,
    checkMs,
    lookupResourcesMs,
    lookupSubjectsMs,
  };
}

/** Load, replay, close. Throws ReplayMismatchError unless every answer matched. */
export async function replayWorkload(workload: WorkloadDir, options: LoadOptions): Promise<ReplayReport> {
  const loaded = await loadWorkload(workload, options);
  try {
    const report = await replayQueries(workload, loaded);
    if (report.mismatchCount > 0) throw new ReplayMismatchError(report);
    return report;
  } finally {
    await loaded.close();
  }
}
