/**
 * Warden's own generator of the composer workload: `generateWorkload` builds it in memory,
 * `writeWorkload` writes it in the shared directory format (format.ts). Same size and seed: byte-identical
 * files, so two servers (or two commits) can be measured on exactly the same work.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSER_SCHEMA } from './composer-schema.js';
import { WORKLOAD_FILES } from './format.js';
import type { CheckQuery, LookupsFile } from './format.js';
import { buildModel } from './model.js';
import type { ComposerModel } from './model.js';
import { makePrng } from './prng.js';
import { generateLookups, generateQueries } from './queries.js';
import { QUERY_MIX, SIZES } from './sizes.js';
import type { SizeName, SizeParams } from './sizes.js';
import { MAX_TEAM_LEVEL, buildWorld, relationshipsOf } from './world.js';
import type { World } from './world.js';

export const DEFAULT_SEED = 42;

export interface GenerateOptions {
  readonly size: SizeName;
  readonly seed?: number;
  /** Overrides of the size's parameters (tests use smaller query counts). */
  readonly params?: Partial<SizeParams>;
}

export interface Workload {
  readonly schema: string;
  readonly relationships: string[];
  readonly queries: CheckQuery[];
  readonly lookups: LookupsFile;
  /** meta.json without the file hash (added when written). */
  readonly meta: Record<string, unknown>;
  /** Not written: the world and the model the answers came from (tests ask the model more questions). */
  readonly world: World;
  readonly model: ComposerModel;
}

export function generateWorkload(options: GenerateOptions): Workload {
  const seed = options.seed ?? DEFAULT_SEED;
  const params: SizeParams = { ...SIZES[options.size], ...options.params };
  // Separate streams for data, queries and lookups: changing the query count leaves the data unchanged.
  const world = buildWorld(params, makePrng(`warden-composer/${seed}/world`));
  const relationships = relationshipsOf(world);
  const model = buildModel(world);
  const { queries, offTarget } = generateQueries(world, model, makePrng(`warden-composer/${seed}/queries`), params.queries);
  const lookups = generateLookups(world, model, makePrng(`warden-composer/${seed}/lookups`), params.lookups);
  const counts: Record<string, number> = {};
  for (const r of relationships) {
    const key = `${r.slice(0, r.indexOf(':'))}#${r.slice(r.indexOf('#') + 1, r.indexOf('@'))}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const allowed = queries.filter((q) => q.expected).length;
  return {
    schema: COMPOSER_SCHEMA,
    relationships,
    queries,
    lookups: { lookup_resources: lookups.lookupResources, lookup_subjects: lookups.lookupSubjects },
    meta: {
      generator: 'warden',
      size: options.size,
      params,
      seed,
      relationships: relationships.length,
      relationship_counts: counts,
      queries: queries.length,
      query_mix: QUERY_MIX,
      queries_allowed: allowed,
      queries_off_target: offTarget,
      max_team_depth: MAX_TEAM_LEVEL + 1,
    },
    world,
    model,
  };
}

/** Writes the five files into `dir` (created if needed); returns the sha256 of relationships.txt. */
export function writeWorkload(workload: Workload, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, WORKLOAD_FILES.schema), workload.schema);
  const hash = createHash('sha256');
  const fd = openSync(join(dir, WORKLOAD_FILES.relationships), 'w');
  try {
    // In slices: one 60 MB string at large would be a needless peak.
    const rels = workload.relationships;
    for (let i = 0; i < rels.length; i += 10_000) {
      const text = `${rels.slice(i, i + 10_000).join('\n')}\n`;
      hash.update(text);
      writeSync(fd, text);
    }
  } finally {
    closeSync(fd);
  }
  const digest = hash.digest('hex');
  writeFileSync(join(dir, WORKLOAD_FILES.queries), workload.queries.map((q) => `${JSON.stringify(q)}\n`).join(''));
  writeFileSync(join(dir, WORKLOAD_FILES.lookups), `${JSON.stringify(workload.lookups, null, 1)}\n`);
  writeFileSync(join(dir, WORKLOAD_FILES.meta), `${JSON.stringify({ ...workload.meta, relationships_txt_sha256: digest }, null, 1)}\n`);
  return digest;
}
