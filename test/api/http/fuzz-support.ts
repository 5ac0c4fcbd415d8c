/** Throws random bodies at every POST route: each answer must be a 2xx or a 4xx JSON error, never a 5xx. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { V1_ROUTES } from './helpers.js';

const POST_PATHS = V1_ROUTES.filter((r) => r.method === 'POST').map((r) => r.path);

const FIELDS = [
  'resource',
  'permission',
  'subject',
  'consistency',
  'updates',
  'preconditions',
  'items',
  'filter',
  'limit',
  'cursor',
  'schema',
  'resourceType',
  'subjectType',
  'maxDepth',
  'afterZookie',
  'heartbeatMs',
  'operation',
  'relationship',
] as const;

const wireString = fc.oneof(
  fc.string(),
  fc.constantFrom('team:sales', 'user:ana', 'user:*', 'team:sales#member', 'member', 'a:b#c@d:e', 'fz1', '', 'x'.repeat(300)),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { maxDepth: 3 },
  wireString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom({ minimizeLatency: true }, { atLeastAsFresh: 'fz1' }, { fullyConsistent: false }, [{ operation: 'touch', relationship: 'a:b#c@d:e' }]),
);
/** Objects with the API's own field names, so that validation is exercised past the first level. */
const shaped = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((o) => JSON.stringify(o));

export const randomBody: fc.Arbitrary<string> = fc.oneof(
  shaped,
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1')),
);

export interface FuzzOutcome {
  statuses: Map<number, number>;
}

/**
 * Sends `runs` random (route, body, content type) requests. Endless streams (watch) are hung up on
 * once their status is known.
 */
export async function fuzzPostRoutes(base: string, runs: number, headers: Record<string, string> = {}): Promise<FuzzOutcome> {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...POST_PATHS),
      randomBody,
      // Mostly JSON, so that most requests get past the media-type check into validation.
      fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', undefined) },
      ),
      async (path, body, contentType) => {
        const abort = new AbortController();
        const res = await fetch(base + path, {
          method: 'POST',
          headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
          body,
          signal: abort.signal,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const type = res.headers.get('content-type') ?? '';
        if (type.startsWith('application/x-ndjson')) {
          abort.abort();
          expect(res.status).toBe(200);
          return;
        }
        const text = await res.text();
        expect(res.status, `${path} ${body} -> ${res.status} ${text}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(type).toMatch(/^application\/json/);
          const parsed = JSON.parse(text) as { error: { code: unknown; reason: unknown; message: unknown } };
          expect(typeof parsed.error.code).toBe('string');
          expect(typeof parsed.error.reason).toBe('string');
          expect(typeof parsed.error.message).toBe('string');
        } else {
          expect(res.status).toBe(200);
        }
      },
    ),
    { numRuns: runs },
  );
  return { statuses };
}
