/** /openapi.json documents every route the app serves, from the same schemas; /docs renders it offline. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/api/http/app.js';
import { FakeWardenService } from './fake-service.js';
import { V1_ROUTES, serveFake, type FakeServer } from './helpers.js';

let srv: FakeServer;
beforeAll(async () => {
  srv = await serveFake({ version: '1.2.3', presharedKey: 'k' });
});
afterAll(() => srv.close());

interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; security?: unknown[] }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const getDoc = async () => (await (await fetch(`${srv.url}/openapi.json`)).json()) as Doc;

describe('/openapi.json', () => {
  it('lists every route the app serves, and nothing else', async () => {
    const doc = await getDoc();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info).toMatchObject({ title: 'Warden', version: '1.2.3' });
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = [...V1_ROUTES.map((r) => `${r.method} ${r.path}`), 'GET /healthz', 'GET /readyz'];
    expect(documented.sort()).toEqual(expected.sort());

    // ...and every route the app registered (bar the document and its page) is documented.
    const app = createHttpApp({ service: new FakeWardenService(), maxBodyBytes: 1024 });
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    served.delete('GET /openapi.json');
    served.delete('GET /docs');
    expect([...served].sort()).toEqual(expected.sort());
  });

  it('documents the pinned request shapes from the zod schemas', async () => {
    const doc = await getDoc();
    const body = (path: string) => doc.paths[path]!.post!.requestBody!.content['application/json']!.schema as { $ref: string };
    expect(body('/v1/permissions/check').$ref).toBe('#/components/schemas/CheckRequest');
    expect(doc.components.schemas.CheckRequest).toMatchObject({
      type: 'object',
      required: ['resource', 'permission', 'subject'],
      properties: { resource: { type: 'string' }, permission: { type: 'string' }, subject: { type: 'string' } },
    });
    expect(doc.components.schemas.WriteRelationshipsRequest).toMatchObject({ required: ['updates'] });
    expect(doc.components.schemas.RelationshipUpdate).toMatchObject({
      properties: { operation: { enum: ['touch', 'create', 'delete'] } },
    });
    expect(doc.components.schemas.Consistency).toMatchObject({ anyOf: expect.any(Array) });
    expect(doc.components.schemas.ExpandTree).toBeDefined();
    expect(Object.keys(doc.paths['/v1/relationships/import']!.post!.requestBody!.content).sort()).toEqual(['application/x-ndjson', 'text/plain']);
  });

  it('marks every /v1 route as needing the bearer key, and the probes as open', async () => {
    const doc = await getDoc();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        expect(Boolean(op.security?.length), path).toBe(path.startsWith('/v1/'));
      }
    }
  });
});

describe('/docs', () => {
  it('is one self-contained HTML page naming every route', async () => {
    const res = await fetch(`${srv.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/<script|<link|https?:\/\//);
    for (const r of V1_ROUTES) expect(html).toContain(`${r.method} ${r.path}`);
    expect(html).toContain('href="#schema-CheckRequest"');
    expect(html).toContain('id="schema-CheckRequest"');
  });
});
