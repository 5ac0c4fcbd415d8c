/**
 * Import rate into SQLite through the Datastore's import path, the one ImportRelationships and `warden
 * import` use: relationships parsed beforehand (not timed), handed to `importRelationships` in batches
 * of BATCH (a revision each) into a fresh file, timed until the store has committed them durably
 * (synchronous=FULL). Into an empty store, as here, SQLite commits all batches in one transaction and
 * builds its text indexes at the end (bulk-import.ts); before that path existed this scenario timed
 * one awaited `write` per batch, which is still what an import into a non-empty store does.
 * The end-to-end import (parse, validate, write, and the replica applying every batch to the index) is
 * timed separately by the runner when it loads the workload.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Relationship } from '../../core/refs.js';
import { parseRelationship } from '../../core/refs.js';
import { compileSchemaOrThrow } from '../../schema/compiler.js';
import { SqliteDatastore } from '../../store/sqlite/sqlite-datastore.js';
import type { WorkloadDir } from '../replay/read-workload.js';
import type { ScenarioResult } from './types.js';
import { BenchMismatchError } from './types.js';

export const IMPORT_BATCH = 5_000;

export interface ImportInput {
  readonly schemaText: string;
  readonly schemaHash: string;
  readonly batches: readonly (readonly Relationship[])[];
  readonly relationships: number;
}

/** Parses relationships.txt into touch batches once; every timed run reuses them. */
export async function prepareImport(workload: WorkloadDir, batchSize = IMPORT_BATCH): Promise<ImportInput> {
  const batches: Relationship[][] = [];
  const seen = new Set<string>();
  let batch: Relationship[] = [];
  let n = 0;
  for await (const raw of workload.relationshipLines()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || line.startsWith('#')) continue;
    const relationship: Relationship = parseRelationship(line);
    // A batch may not name a relationship twice; a duplicate line would fold into one anyway.
    if (seen.has(line)) continue;
    seen.add(line);
    batch.push(relationship);
    n++;
    if (batch.length >= batchSize) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  const schema = compileSchemaOrThrow(workload.schema);
  return { schemaText: workload.schema, schemaHash: schema.hash, batches, relationships: n };
}

export async function runImportScenario(input: ImportInput): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-import-'));
  const path = join(dir, 'import.db');
  try {
    const ds = new SqliteDatastore(path);
    let elapsed: number;
    let cpuMs: number;
    let count: number;
    try {
      await ds.writeSchema(input.schemaText, input.schemaHash);
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      await ds.importRelationships(batchesOf(input));
      elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpu0);
      cpuMs = (cpu.user + cpu.system) / 1000;
      count = await ds.countRelationships({}, await ds.headRevision());
    } finally {
      await ds.close();
    }
    if (count !== input.relationships) {
      throw new BenchMismatchError(`import-sqlite: ${input.relationships} relationships written but ${count} stored`);
    }
    const dbBytes = fileSize(path) + fileSize(`${path}-wal`);
    return {
      scenario: 'import-sqlite',
      values: {
        relationshipsPerSec: (input.relationships * 1000) / elapsed,
        // CPU only: the fsyncs of each commit are wall time that CPU time does not see.
        relationshipsPerCpuSec: (input.relationships * 1000) / cpuMs,
        seconds: elapsed / 1000,
        relationships: input.relationships,
        batchSize: input.batches[0]?.length ?? 0,
        dbBytesPerRelationship: dbBytes / Math.max(1, input.relationships),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function* batchesOf(input: ImportInput): AsyncGenerator<readonly Relationship[]> {
  yield* input.batches;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
