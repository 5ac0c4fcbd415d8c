/** Liveness and readiness, open without a key so that orchestrators can probe them. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { WardenService } from '../../service/types.js';
import { logUnexpected } from './http-errors.js';
import { jsonResponse } from './schemas.js';

const HealthSchema = z.object({ ok: z.boolean() }).openapi('Health');
const ReadySchema = z.object({ ready: z.boolean(), reason: z.string().optional() }).openapi('Ready');

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness',
  description: 'The process answers.',
  responses: { 200: jsonResponse(HealthSchema, 'Alive'), 503: jsonResponse(HealthSchema, 'Not healthy') },
});

export const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness',
  description: 'The store answers and the in-memory index has caught up; 503 with a reason otherwise.',
  responses: { 200: jsonResponse(ReadySchema, 'Ready'), 503: jsonResponse(ReadySchema, 'Not ready') },
});

export function registerHealthRoutes(app: OpenAPIHono, service: WardenService): void {
  app.openapi(healthRoute, (c) => {
    const { ok } = service.health();
    return ok ? c.json({ ok }, 200) : c.json({ ok }, 503);
  });
  app.openapi(readyRoute, async (c) => {
    let r: { ready: boolean; reason?: string };
    try {
      r = await service.ready();
    } catch (err) {
      // A probe that cannot even ask is "not ready", the answer an orchestrator acts on, not a 500.
      logUnexpected(c.req.method, c.req.path, err);
      r = { ready: false, reason: 'the readiness check failed' };
    }
    const body = { ready: r.ready, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
    return r.ready ? c.json(body, 200) : c.json(body, 503);
  });
}
