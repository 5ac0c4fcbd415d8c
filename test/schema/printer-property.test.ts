/**
 * Property: for random valid compiled schemas, printing and compiling again gives the same IR and the
 * same hash. The generator only builds schemas the type checker accepts (see the comments below for
 * the rules it follows), so any failure is a printer, parser or compiler bug.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllowedSubject, Definition, RelationOrPermission, RewriteExpr } from '../../src/schema/compiled.js';
import { buildSchema, compileSchema } from '../../src/schema/compiler.js';
import { normalizeComment } from '../../src/schema/lexer.js';
import { printSchema } from '../../src/schema/printer.js';
import { plainSchema } from './helpers.js';

type Gen = fc.GeneratorValue;

// Valid names (3+ characters, see core/refs), including soft keywords that SpiceDB schemas may use as
// names. Drawn from fixed pools: generating strings per draw made each run ~70 ms.
const NAMES = [
  'user', 'team', 'doc', 'folder', 'org', 'group', 'viewer', 'editor', 'owner', 'parent', 'member', 'admin',
  'a_b', 'x9z', 'long_name_with_digits_42', 'reader', 'writer', 'banned', 'channel', 'contact',
  'use', 'with', 'any', 'all', 'expiration', 'and', 'import', 'from', 'partial',
];
const segmentArb = fc.constantFrom(...NAMES);
const typeNameArb = fc.tuple(fc.constantFrom('', 'acme/', 'org/eu_west/', 'tenant/'), segmentArb).map(([p, s]) => p + s);
const TEXTS = ['', 'who can view', 'A team, of agents.', '  padded  ', 'x'];
const textArb = fc.constantFrom(...TEXTS);
const commentArb = fc.option(
  fc.oneof(
    textArb.map((t) => `// ${t}`),
    fc.array(textArb, { minLength: 1, maxLength: 3 }).map((ls) => `// ${ls.join('\n// ')}`),
    textArb.map((t) => `/** ${t} */`),
    fc.array(textArb, { minLength: 1, maxLength: 3 }).map((ls) => `/**\n * ${ls.join('\n * ')}\n */`),
  ),
  { nil: undefined },
);

interface Draft {
  name: string;
  relations: { name: string; mayWildcard: boolean; allowed: AllowedSubject[]; comment: string | undefined }[];
  permissions: { name: string; comment: string | undefined }[];
  comment: string | undefined;
}

function uniqueNames(g: Gen, min: number, max: number, arb: fc.Arbitrary<string>, taken: Set<string>): string[] {
  return g(() => fc.uniqueArray(arb.filter((n) => !taken.has(n)), { minLength: min, maxLength: max }));
}

function drawSchema(g: Gen): Map<string, Definition> {
  const defNames = uniqueNames(g, 1, 5, typeNameArb, new Set());
  const drafts: Draft[] = defNames.map((name) => {
    const relNames = uniqueNames(g, 0, 4, segmentArb, new Set());
    const permNames = uniqueNames(g, 0, 4, segmentArb, new Set(relNames));
    return {
      name,
      comment: g(() => commentArb),
      relations: relNames.map((n) => ({ name: n, mayWildcard: g(fc.boolean), allowed: [], comment: g(() => commentArb) })),
      permissions: permNames.map((n) => ({ name: n, comment: g(() => commentArb) })),
    };
  });
  const byName = new Map(drafts.map((d) => [d.name, d]));

  // Allowed subjects. Wildcards only on relations flagged mayWildcard; subject sets only to relations
  // without that flag (or to permissions), so no wildcard is ever included transitively and every
  // relation without the flag is safe on the left of an arrow.
  for (const d of drafts) {
    for (const r of d.relations) {
      const candidates: AllowedSubject[] = [];
      for (const t of drafts) {
        candidates.push({ type: t.name });
        if (r.mayWildcard) candidates.push({ type: t.name, wildcard: true });
        for (const sub of t.relations) if (!sub.mayWildcard) candidates.push({ type: t.name, relation: sub.name });
        for (const p of t.permissions) candidates.push({ type: t.name, relation: p.name });
      }
      r.allowed = g(fc.subarray, candidates, { minLength: 1, maxLength: Math.min(3, candidates.length) });
    }
  }

  const defs = new Map<string, Definition>();
  for (const d of drafts) {
    const members: RelationOrPermission[] = d.relations.map((r) => ({
      kind: 'relation',
      name: r.name,
      allowed: r.allowed,
      ...(r.comment !== undefined ? { comment: normalizeComment(r.comment) } : {}),
    }));
    const arrowTargets: { tupleset: string; computed: string }[] = [];
    for (const r of d.relations) {
      if (r.mayWildcard) continue;
      for (const a of r.allowed) {
        const target = byName.get(a.type)!;
        for (const name of [...target.relations.map((x) => x.name), ...target.permissions.map((x) => x.name)]) {
          arrowTargets.push({ tupleset: r.name, computed: name });
        }
      }
    }
    const earlier: string[] = [];
    for (const p of d.permissions) {
      // Only relations and earlier permissions: no same-object cycles, so every permission is grounded.
      const refs = [...d.relations.map((r) => r.name), ...earlier];
      members.push({
        kind: 'permission',
        name: p.name,
        rewrite: normalize(g(() => exprArb(refs, arrowTargets))),
        ...(p.comment !== undefined ? { comment: normalizeComment(p.comment) } : {}),
      });
      earlier.push(p.name);
    }
    const order = g(fc.shuffledSubarray, members.map((m) => m.name), { minLength: members.length, maxLength: members.length });
    defs.set(d.name, {
      name: d.name,
      relations: new Map(members.map((m) => [m.name, m])),
      order,
      ...(d.comment !== undefined ? { comment: normalizeComment(d.comment) } : {}),
    });
  }
  return defs;
}

function exprArb(refs: string[], arrows: { tupleset: string; computed: string }[]): fc.Arbitrary<RewriteExpr> {
  const leaves: fc.Arbitrary<RewriteExpr>[] = [fc.constant<RewriteExpr>({ kind: 'nil' })];
  if (refs.length > 0) leaves.push(fc.constantFrom(...refs).map((relation): RewriteExpr => ({ kind: 'computed', relation })));
  if (arrows.length > 0) {
    leaves.push(
      fc.tuple(fc.constantFrom(...arrows), fc.constantFrom('any' as const, 'all' as const)).map(
        ([a, mode]): RewriteExpr => ({ kind: 'arrow', tupleset: a.tupleset, computed: a.computed, mode }),
      ),
    );
  }
  const { expr } = fc.letrec<{ expr: RewriteExpr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
      ...leaves,
      fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((children): RewriteExpr => ({ kind: 'union', children })),
      fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((children): RewriteExpr => ({ kind: 'intersection', children })),
      fc.tuple(tie('expr'), tie('expr')).map(([base, subtract]): RewriteExpr => ({ kind: 'exclusion', base, subtract })),
    ),
  }));
  return expr;
}

/** The compiler's normal form: nested unions (and intersections) merged into their parent. */
function normalize(e: RewriteExpr): RewriteExpr {
  if (e.kind === 'union' || e.kind === 'intersection') {
    const children = e.children.map(normalize).flatMap((c) => (c.kind === e.kind ? c.children : [c]));
    return { kind: e.kind, children };
  }
  if (e.kind === 'exclusion') return { kind: 'exclusion', base: normalize(e.base), subtract: normalize(e.subtract) };
  return e;
}

describe('printer round trip on random schemas', () => {
  it('compile(print(ir)) gives back the IR and its hash', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const schema = buildSchema(drawSchema(g));
        const text = printSchema(schema);
        const result = compileSchema(text);
        if (!result.ok) throw new Error(`printed schema does not compile:\n${text}\n${JSON.stringify(result.diagnostics, null, 1)}`);
        expect(plainSchema(result.schema)).toEqual(plainSchema(schema));
        expect(result.schema.hash).toBe(schema.hash);
      }),
      { numRuns: Number(process.env.RUNS ?? 100), endOnFailure: true },
    );
  });
});
