/**
 * `GET /metrics`, the Prometheus scrape endpoint. The exposition itself is the composition root's
 * (server/metrics.ts): this adapter only serves what `scrape` renders, so the API layer needs no
 * metrics library.
 *
 * Open by default, like /healthz: Prometheus scrapers rarely carry credentials, and the metrics hold
 * counts and timings, no relationship data. `requireKey` puts it behind the preshared key instead.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';

export interface MetricsEndpoint {
  /** The metrics in the Prometheus text format, and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Ask for the preshared key (when the server has one), as /v1 does. */
  requireKey: boolean;
}

export const METRICS_PATH = '/metrics';

export function registerMetricsRoute(app: OpenAPIHono, endpoint: MetricsEndpoint, checkBearer: ((header: string | undefined) => void) | undefined): void {
  app.get(METRICS_PATH, async (c) => {
    if (endpoint.requireKey) checkBearer?.(c.req.header('authorization'));
    const { contentType, body } = await endpoint.scrape();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
