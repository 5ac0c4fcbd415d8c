/**
 * Reads a workload directory in the shared format (../workload/format.ts), from Warden's generator or
 * from anyone else's: the schema, queries and lookups are read whole; relationships.txt is streamed,
 * because at large it is ~50 MB and the import wants lines anyway.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WORKLOAD_FILES } from '../workload/format.js';
import type { CheckQuery, LookupResourcesCase, LookupSubjectsCase, LookupsFile } from '../workload/format.js';

export class WorkloadFormatError extends Error {}

export interface WorkloadDir {
  readonly dir: string;
  readonly schema: string;
  readonly queries: CheckQuery[];
  readonly lookups: LookupsFile;
  /** meta.json if present (it is informative only). */
  readonly meta: Record<string, unknown> | undefined;
  /** relationships.txt, line by line. */
  relationshipLines(): AsyncIterable<string>;
}

export function readWorkloadDir(dir: string): WorkloadDir {
  const path = (name: string) => join(dir, name);
  for (const name of [WORKLOAD_FILES.schema, WORKLOAD_FILES.relationships, WORKLOAD_FILES.queries, WORKLOAD_FILES.lookups]) {
    if (!existsSync(path(name))) throw new WorkloadFormatError(`${dir} is not a workload directory: ${name} is missing`);
  }
  const schema = readFileSync(path(WORKLOAD_FILES.schema), 'utf8');
  const queries = parseQueries(readFileSync(path(WORKLOAD_FILES.queries), 'utf8'), path(WORKLOAD_FILES.queries));
  const lookups = parseLookups(readFileSync(path(WORKLOAD_FILES.lookups), 'utf8'), path(WORKLOAD_FILES.lookups));
  const metaPath = path(WORKLOAD_FILES.meta);
  const meta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>) : undefined;
  const relPath = path(WORKLOAD_FILES.relationships);
  return {
    dir,
    schema,
    queries,
    lookups,
    meta,
    relationshipLines: () => createInterface({ input: createReadStream(relPath, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity }),
  };
}

export function parseQueries(text: string, where: string): CheckQuery[] {
  const out: CheckQuery[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new WorkloadFormatError(`${where}:${i + 1}: not valid JSON`);
    }
    const q = o as Partial<CheckQuery>;
    for (const f of ['resource_type', 'resource_id', 'permission', 'subject_type', 'subject_id'] as const) {
      if (typeof q[f] !== 'string') throw new WorkloadFormatError(`${where}:${i + 1}: \`${f}\` must be a string`);
    }
    if (typeof q.expected !== 'boolean') throw new WorkloadFormatError(`${where}:${i + 1}: \`expected\` must be true or false`);
    out.push(q as CheckQuery);
  });
  return out;
}

export function parseLookups(text: string, where: string): LookupsFile {
  let o: Partial<LookupsFile>;
  try {
    o = JSON.parse(text) as Partial<LookupsFile>;
  } catch {
    throw new WorkloadFormatError(`${where}: not valid JSON`);
  }
  const lr = o.lookup_resources ?? [];
  const ls = o.lookup_subjects ?? [];
  if (!Array.isArray(lr) || !Array.isArray(ls)) throw new WorkloadFormatError(`${where}: lookup_resources and lookup_subjects must be arrays`);
  lr.forEach((c: Partial<LookupResourcesCase>, i) => {
    for (const f of ['resource_type', 'permission', 'subject_type', 'subject_id'] as const) {
      if (typeof c[f] !== 'string') throw new WorkloadFormatError(`${where}: lookup_resources[${i}].${f} must be a string`);
    }
    if (typeof c.expected_count !== 'number') throw new WorkloadFormatError(`${where}: lookup_resources[${i}].expected_count must be a number`);
  });
  ls.forEach((c: Partial<LookupSubjectsCase>, i) => {
    for (const f of ['resource_type', 'resource_id', 'permission', 'subject_type'] as const) {
      if (typeof c[f] !== 'string') throw new WorkloadFormatError(`${where}: lookup_subjects[${i}].${f} must be a string`);
    }
    if (typeof c.expected_count !== 'number') throw new WorkloadFormatError(`${where}: lookup_subjects[${i}].expected_count must be a number`);
  });
  return { lookup_resources: lr, lookup_subjects: ls };
}
