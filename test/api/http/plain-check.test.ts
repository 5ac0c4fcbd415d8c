/**
 * The plain shapes of Check and CheckBulk (src/api/http/plain-check.ts, the bodies the check lane serves)
 * are only bodies that the declared route's zod schema accepts unchanged: whatever they take, zod parses
 * to an equal value. Everything else is left to the declared route (errors.test.ts pins its answers).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { isPlainCheck, isPlainCheckBulk } from '../../../src/api/http/plain-check.js';
import { checkBulkRoute, checkRoute } from '../../../src/api/http/permission-routes.js';

const schemaOf = (route: typeof checkRoute | typeof checkBulkRoute) => route.request.body.content['application/json'].schema as z.ZodType;

// Mostly the right names and types, with the odd missing or extra key, wrong type or bad consistency.
const field = fc.oneof(
  { arbitrary: fc.string({ maxLength: 6 }), weight: 6 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
);
const consistency = fc.oneof(
  fc.constant({ minimizeLatency: true }),
  fc.constant({ fullyConsistent: true }),
  fc.record({ atLeastAsFresh: fc.string({ maxLength: 4 }) }),
  fc.record({ atExactSnapshot: field }),
  fc.constant({ minimizeLatency: false }),
  fc.constant({ minimizeLatency: true, fullyConsistent: true }),
  fc.constant({}),
  fc.constant(null),
  fc.string({ maxLength: 3 }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 2 });
const withExtras = (core: fc.Arbitrary<Record<string, unknown>>, extras: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(core, fc.record(Object.fromEntries(Object.entries(extras).map(([k, a]) => [k, maybe(a)]))), fc.nat(4)).map(([c, e, drop]) => {
    const o: Record<string, unknown> = { ...c };
    for (const [k, v] of Object.entries(e)) if (v !== null) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    if (drop === 0) delete o[Object.keys(o)[0]!];
    return o;
  });
const item = withExtras(fc.record({ resource: field, permission: field, subject: field }), { extra: field, __proto__: field });
const check = withExtras(fc.record({ resource: field, permission: field, subject: field }), { consistency, other: field });
const bulk = withExtras(fc.record({ items: fc.oneof({ arbitrary: fc.array(item, { maxLength: 4 }), weight: 5 }, { arbitrary: field, weight: 1 }) }), {
  consistency,
  other: field,
});
const body = (arb: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: arb, weight: 8 }, { arbitrary: field, weight: 1 }, { arbitrary: fc.array(field, { maxLength: 2 }), weight: 1 });

let taken = 0;
function agreesWithZod(schema: z.ZodType, accepts: (b: unknown) => boolean, b: unknown): void {
  // Through JSON, as the route sees it (`__proto__` stays an own key, as JSON.parse makes it).
  const parsed: unknown = JSON.parse(JSON.stringify(b) ?? 'null');
  if (!accepts(parsed)) return;
  taken++;
  const r = schema.safeParse(parsed);
  expect(r.success).toBe(true);
  expect(r.data).toEqual(parsed);
}

describe('the HTTP fast path of Check and CheckBulk', () => {
  it('accepts the plain bodies', () => {
    expect(isPlainCheck({ resource: 'doc:1', permission: 'view', subject: 'user:a' })).toBe(true);
    expect(isPlainCheck({ resource: 'doc:1', permission: 'view', subject: 'user:a', consistency: { atLeastAsFresh: 'z' } })).toBe(true);
    expect(isPlainCheckBulk({ items: [{ resource: 'doc:1', permission: 'view', subject: 'user:a' }], consistency: { minimizeLatency: true } })).toBe(true);
    expect(isPlainCheckBulk({ items: [] })).toBe(true);
  });

  it('leaves the rest to the declared route', () => {
    expect(isPlainCheck({ resource: 'doc:1', permission: 'view', subject: 'user:a', consistancy: { fullyConsistent: true } })).toBe(false);
    expect(isPlainCheck({ resource: 'doc:1', permission: 'view', subject: 'user:a', consistency: null })).toBe(false);
    expect(isPlainCheck({ resource: 'doc:1', permission: 'view' })).toBe(false);
    expect(isPlainCheck(JSON.parse('{"resource":"a:b","permission":"view","subject":"user:a","__proto__":{}}'))).toBe(false);
    expect(isPlainCheckBulk({ items: [{ resource: 'doc:1', permission: 'view', subject: 'user:a', consistency: { minimizeLatency: true } }] })).toBe(false);
    expect(isPlainCheckBulk({ items: [null] })).toBe(false);
  });

  it('never takes a body that zod would refuse or change (Check)', () => {
    taken = 0;
    fc.assert(fc.property(body(check), (b) => agreesWithZod(schemaOf(checkRoute), isPlainCheck, b)), { numRuns: 2_000 });
    expect(taken).toBeGreaterThan(50);
  });

  it('never takes a body that zod would refuse or change (CheckBulk)', () => {
    taken = 0;
    fc.assert(fc.property(body(bulk), (b) => agreesWithZod(schemaOf(checkBulkRoute), isPlainCheckBulk, b)), { numRuns: 2_000 });
    expect(taken).toBeGreaterThan(50);
  });
});
