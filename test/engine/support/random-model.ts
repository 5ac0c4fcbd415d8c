/**
 * fast-check generators of random schemas (as CompiledSchema IR) and relationships that respect them.
 *
 * Schemas: `user` plus 2-3 definitions; each has 1-3 relations allowing a mix of `user`, `user:*`,
 * plain objects and subject relations (`team#rela`, possibly permissions, possibly recursive), and
 * 0-2 permissions over every operator, `->` and `.all()`. Names come from one shared pool so that an
 * arrow's computed relation exists on some subject types and not on others. A permission's computed
 * references only reach relations and earlier permissions, so recursion only goes through data.
 *
 * Data: with `acyclic`, every relationship's subject object ranks below its resource in a random total
 * order of objects, so every walk terminates; without it, cycles are likely.
 */
import fc from 'fast-check';
import type { Relationship, SubjectRef } from '../../../src/core/refs.js';
import type { AllowedSubject, CompiledSchema, RewriteExpr } from '../../../src/schema/compiled.js';
import { buildSchema } from './schema-builder.js';
import type { Member } from './schema-builder.js';

export const RELATION_NAMES = ['rela', 'relb', 'relc'] as const;
export const PERMISSION_NAMES = ['pera', 'perb'] as const;
const TYPE_NAMES = ['team', 'folder', 'doc'] as const;
export const IDS: Record<string, readonly string[]> = { user: ['u1', 'u2', 'u3'], team: ['t1', 't2'], folder: ['f1', 'f2'], doc: ['d1', 'd2'] };

export interface RandomModel {
  readonly schema: CompiledSchema;
  readonly relationships: readonly Relationship[];
  /** Non-user types with their relation and permission names. */
  readonly types: ReadonlyMap<string, readonly string[]>;
}

export interface ModelOptions {
  readonly acyclic: boolean;
  /** Leave exclusions out (monotone schemas, for cyclic data). */
  readonly noExclusion?: boolean;
  readonly maxRelationships?: number;
}

type Gen = <T>(arb: fc.Arbitrary<T>) => T;

export function randomModel(options: ModelOptions): fc.Arbitrary<RandomModel> {
  // fc.gen() draws from builders (`g(fc.integer, {...})`); wrap it to draw from ready arbitraries.
  return fc.gen().map((g) => buildModel((arb) => g(() => arb), options));
}

function pick<T>(g: Gen, items: readonly T[]): T {
  return items[g(fc.noBias(fc.integer({ min: 0, max: items.length - 1 })))]!;
}

function buildModel(g: Gen, options: ModelOptions): RandomModel {
  const typeCount = g(fc.integer({ min: 2, max: 3 }));
  const typeNames = TYPE_NAMES.slice(0, typeCount);
  const relationsOf = new Map<string, string[]>();
  const permissionsOf = new Map<string, string[]>();
  for (const t of typeNames) {
    relationsOf.set(t, RELATION_NAMES.slice(0, g(fc.integer({ min: 1, max: 3 }))));
    permissionsOf.set(t, PERMISSION_NAMES.slice(0, g(fc.integer({ min: 0, max: 2 }))));
  }
  const allNames = [...RELATION_NAMES, ...PERMISSION_NAMES];
  const subjectChoices: AllowedSubject[] = [{ type: 'user' }, { type: 'user', wildcard: true }];
  for (const t of typeNames) {
    subjectChoices.push({ type: t });
    subjectChoices.push({ type: t, wildcard: true });
    for (const n of [...relationsOf.get(t)!, ...permissionsOf.get(t)!]) subjectChoices.push({ type: t, relation: n });
  }
  const defs: Record<string, Record<string, Member>> = { user: {} };
  for (const t of typeNames) {
    const members: Record<string, Member> = {};
    const relations = relationsOf.get(t)!;
    for (const r of relations) {
      const count = g(fc.integer({ min: 1, max: 3 }));
      const allowed: AllowedSubject[] = [];
      for (let i = 0; i < count; i++) {
        const a = pick(g, subjectChoices);
        if (!allowed.some((x) => x.type === a.type && x.relation === a.relation && x.wildcard === a.wildcard)) allowed.push(a);
      }
      members[r] = { kind: 'relation', allowed };
    }
    const permissions = permissionsOf.get(t)!;
    permissions.forEach((p, index) => {
      const computable = [...relations, ...permissions.slice(0, index)];
      members[p] = { kind: 'permission', rewrite: expression(g, 0, computable, relations, allNames, options) };
    });
    defs[t] = members;
  }
  const schema = buildSchema(defs);
  const types = new Map<string, string[]>();
  for (const t of typeNames) types.set(t, [...relationsOf.get(t)!, ...permissionsOf.get(t)!]);
  return { schema, relationships: relationshipsFor(g, schema, typeNames, options), types };
}

function expression(g: Gen, depth: number, computable: readonly string[], tuplesets: readonly string[], allNames: readonly string[], options: ModelOptions): RewriteExpr {
  const leafOnly = depth >= 2;
  const kinds = leafOnly ? ['computed', 'computed', 'arrow', 'nil'] : ['computed', 'arrow', 'union', 'intersection', 'exclusion', 'computed', 'arrow', 'nil'];
  let kind = pick(g, kinds);
  if (kind === 'exclusion' && options.noExclusion) kind = 'union';
  switch (kind) {
    case 'computed':
      return { kind: 'computed', relation: pick(g, computable) };
    case 'arrow':
      return { kind: 'arrow', tupleset: pick(g, tuplesets), computed: pick(g, allNames), mode: g(fc.boolean()) ? 'any' : 'all' };
    case 'nil':
      return { kind: 'nil' };
    case 'union':
    case 'intersection': {
      const n = g(fc.integer({ min: 2, max: 3 }));
      return { kind, children: Array.from({ length: n }, () => expression(g, depth + 1, computable, tuplesets, allNames, options)) };
    }
    default:
      return {
        kind: 'exclusion',
        base: expression(g, depth + 1, computable, tuplesets, allNames, options),
        subtract: expression(g, depth + 1, computable, tuplesets, allNames, options),
      };
  }
}

function relationshipsFor(g: Gen, schema: CompiledSchema, typeNames: readonly string[], options: ModelOptions): Relationship[] {
  const objects: { type: string; id: string }[] = [];
  for (const t of typeNames) for (const id of IDS[t]!) objects.push({ type: t, id });
  const ranks = g(fc.shuffledSubarray(objects.map((_, i) => i), { minLength: objects.length, maxLength: objects.length }));
  // Users have no relations, so they rank below everything: a user subject never closes a cycle.
  const rank = new Map<string, number>(IDS.user!.map((id) => [`user:${id}`, -1]));
  ranks.forEach((objectIndex, position) => rank.set(`${objects[objectIndex]!.type}:${objects[objectIndex]!.id}`, position));
  const count = g(fc.noBias(fc.integer({ min: 0, max: options.maxRelationships ?? 30 })));
  const out: Relationship[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; attempt < count * 4 && out.length < count; attempt++) {
    const type = pick(g, typeNames);
    const def = schema.definitions.get(type)!;
    const relations = [...def.relations.values()].filter((r) => r.kind === 'relation');
    const rel = pick(g, relations);
    if (rel.kind !== 'relation') continue;
    const a = pick(g, rel.allowed);
    const resourceId = pick(g, IDS[type]!);
    let subject: SubjectRef;
    if (a.wildcard) subject = { type: a.type, id: '*' };
    else {
      let ids = IDS[a.type]!;
      if (options.acyclic) {
        const limit = rank.get(`${type}:${resourceId}`)!;
        ids = ids.filter((id) => rank.get(`${a.type}:${id}`)! < limit);
      }
      if (ids.length === 0) continue;
      const id = pick(g, ids);
      subject = a.relation === undefined ? { type: a.type, id } : { type: a.type, id, relation: a.relation };
    }
    const key = `${type}:${resourceId}#${rel.name}@${subject.type}:${subject.id}#${subject.relation ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ resource: { type, id: resourceId }, relation: rel.name, subject });
  }
  return out;
}

/** Every subject the property tests ask about: users (one never mentioned), objects and usersets. */
export function subjectsOf(model: RandomModel): SubjectRef[] {
  const out: SubjectRef[] = IDS.user!.map((id) => ({ type: 'user', id }));
  out.push({ type: 'user', id: 'unew' });
  for (const [type, names] of model.types) {
    for (const id of IDS[type]!) {
      out.push({ type, id });
      for (const n of names) out.push({ type, id, relation: n });
    }
  }
  return out;
}
