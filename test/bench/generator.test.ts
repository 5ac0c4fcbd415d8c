/**
 * Warden's composer workload generator: deterministic, in the shared format, and its plain-set model
 * agrees with Warden's engine on every question the tiny world allows (not only the sampled queries):
 * every (resource, permission, user) Check, LookupResources for every user, LookupSubjects for every
 * channel, through the cached ring and through a bare local dispatcher.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorkload, writeWorkload } from '../../src/bench/workload/generate-workload.js';
import type { Workload } from '../../src/bench/workload/generate-workload.js';
import { parseRelationship } from '../../src/core/refs.js';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/engine.js';
import { LocalDispatcher } from '../../src/engine/local/local-dispatcher.js';
import { compileSchemaOrThrow } from '../../src/schema/compiler.js';
import { RelationshipIndex } from '../../src/store/relationship-index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warden-bench-gen-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

describe('generator: determinism and format', () => {
  it('writes byte-identical files for the same size and seed, and different ones for another seed', () => {
    const a = tempDir();
    const b = tempDir();
    const c = tempDir();
    writeWorkload(generateWorkload({ size: 'tiny', seed: 7 }), a);
    writeWorkload(generateWorkload({ size: 'tiny', seed: 7 }), b);
    writeWorkload(generateWorkload({ size: 'tiny', seed: 8 }), c);
    const fa = filesOf(a);
    expect(Object.keys(fa).sort()).toEqual(['lookups.json', 'meta.json', 'queries.jsonl', 'relationships.txt', 'schema.zed']);
    expect(filesOf(b)).toEqual(fa);
    expect(filesOf(c)['relationships.txt']).not.toEqual(fa['relationships.txt']);
  });

  it('uses the shared format field names, in order', () => {
    const dir = tempDir();
    writeWorkload(generateWorkload({ size: 'tiny' }), dir);
    const q = readFileSync(join(dir, 'queries.jsonl'), 'utf8').split('\n')[0]!;
    expect(Object.keys(JSON.parse(q) as object)).toEqual(['resource_type', 'resource_id', 'permission', 'subject_type', 'subject_id', 'expected']);
    const lookups = JSON.parse(readFileSync(join(dir, 'lookups.json'), 'utf8')) as Record<string, object[]>;
    expect(Object.keys(lookups)).toEqual(['lookup_resources', 'lookup_subjects']);
    expect(Object.keys(lookups.lookup_resources![0]!)).toEqual(['resource_type', 'permission', 'subject_type', 'subject_id', 'expected_count']);
    expect(Object.keys(lookups.lookup_subjects![0]!)).toEqual(['resource_type', 'resource_id', 'permission', 'subject_type', 'expected_count']);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(meta.relationships).toBe(readFileSync(join(dir, 'relationships.txt'), 'utf8').trimEnd().split('\n').length);
    expect(meta.relationships_txt_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has no duplicate relationships, every line parses, and queries are about half allowed', () => {
    for (const size of ['tiny', 'small'] as const) {
      const w = generateWorkload({ size, params: { queries: 2000, lookups: 20 } });
      expect(new Set(w.relationships).size).toBe(w.relationships.length);
      for (const r of w.relationships) parseRelationship(r);
      const allowed = w.queries.filter((q) => q.expected).length / w.queries.length;
      expect(allowed).toBeGreaterThan(0.4);
      expect(allowed).toBeLessThan(0.6);
    }
  });

  it('keeps the data the same when only the query count changes', () => {
    const a = generateWorkload({ size: 'tiny', params: { queries: 10 } });
    const b = generateWorkload({ size: 'tiny', params: { queries: 500 } });
    expect(b.relationships).toEqual(a.relationships);
  });
});

describe('generator: the model agrees with the engine on tiny', () => {
  const w: Workload = generateWorkload({ size: 'tiny' });
  const index = new RelationshipIndex();
  index.load(w.relationships.map((r) => parseRelationship(r)), 1);
  const ctx: EngineContext = { schema: compileSchemaOrThrow(w.schema), graph: index.snapshot(1), maxDepth: 50 };
  const engines: [string, Engine][] = [
    ['ring', new Engine(buildDispatcherRing().head)],
    ['local', new Engine(new LocalDispatcher())],
  ];
  const users = [...w.world.userWs.keys()];
  const resources: [string, string, string[]][] = [
    ...w.world.channels.map((c): [string, string, string[]] => ['channel', c.id, ['send', 'view']]),
    ...w.world.contacts.map((c): [string, string, string[]] => ['contact', c.id, ['view', 'reply']]),
    ...w.world.fields.map((f): [string, string, string[]] => ['contact_field', f.id, ['view', 'edit']]),
  ];

  it.each(engines)('every query of queries.jsonl (%s)', (_, engine) => {
    const wrong = w.queries.filter(
      (q) => engine.check(ctx, { type: q.resource_type, id: q.resource_id }, q.permission, { type: q.subject_type, id: q.subject_id }) !== q.expected,
    );
    expect(wrong).toEqual([]);
  });

  it.each(engines)('every (resource, permission, user) of the world (%s)', (_, engine) => {
    const wrong: string[] = [];
    let n = 0;
    for (const [type, id, permissions] of resources) {
      for (const permission of permissions) {
        for (const u of users) {
          const expected = w.model.check(type, id, permission, u);
          if (engine.check(ctx, { type, id }, permission, { type: 'user', id: u }) !== expected) wrong.push(`${type}:${id}#${permission}@user:${u} expected ${expected}`);
          n++;
        }
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(n).toBeGreaterThan(10_000);
  });

  it.each(engines)('LookupResources(channel, send, user) for every user, exact sets (%s)', (_, engine) => {
    for (const u of users) {
      const expected = w.world.channels.filter((c) => w.model.check('channel', c.id, 'send', u)).map((c) => c.id).sort();
      expect(engine.lookupResources(ctx, 'channel', 'send', { type: 'user', id: u }).resourceIds, u).toEqual(expected);
    }
  });

  it.each(engines)('LookupSubjects(channel, send, user) for every channel, exact sets (%s)', (_, engine) => {
    for (const c of w.world.channels) {
      const expected = [...w.model.channelSenders(c.id)].sort();
      const found = engine.lookupSubjects(ctx, { type: 'channel', id: c.id }, 'send', 'user').map((s) => s.subjectId);
      expect(found, c.id).toEqual(expected);
    }
  });

  it('the expected counts in lookups.json agree with the engine', () => {
    const engine = engines[0]![1];
    for (const c of w.lookups.lookup_resources) {
      expect(engine.lookupResources(ctx, c.resource_type, c.permission, { type: c.subject_type, id: c.subject_id }).resourceIds.length).toBe(c.expected_count);
    }
    for (const c of w.lookups.lookup_subjects) {
      expect(engine.lookupSubjects(ctx, { type: c.resource_type, id: c.resource_id }, c.permission, c.subject_type).length).toBe(c.expected_count);
    }
  });
});
