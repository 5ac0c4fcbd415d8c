/**
 * GET /metrics on the real server: every metric family is exposed, a request of each transport is
 * counted with its operation, transport and code, scrape-time values follow the runtime, and the
 * endpoint is open unless --metrics-require-key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample, SCHEMA, startObserved, type ObservedServer } from './support.js';

const FAMILIES = [
  'warden_requests_total',
  'warden_request_duration_seconds',
  'warden_requests_in_flight',
  'warden_request_dispatches',
  'warden_cache_hits_total',
  'warden_cache_misses_total',
  'warden_cache_evictions_total',
  'warden_cache_entries',
  'warden_cache_bytes',
  'warden_revision_lag',
  'warden_replica_revision',
  'warden_relationships',
  'warden_datastore_query_duration_seconds',
  'process_cpu_seconds_total',
  'nodejs_heap_size_used_bytes',
];

describe('GET /metrics', () => {
  let s: ObservedServer;
  beforeAll(async () => {
    s = await startObserved();
    expect((await s.post('/v1/schema', { schema: SCHEMA })).status).toBe(200);
    const w = await s.post('/v1/relationships/write', {
      updates: [
        { operation: 'touch', relationship: 'group:eng#member@user:ana' },
        { operation: 'touch', relationship: 'doc:1#viewer@group:eng#member' },
      ],
    });
    expect(w.status).toBe(200);
  });
  afterAll(() => s?.close());

  async function scrape(headers: Record<string, string> = {}): Promise<{ status: number; text: string; type: string | null }> {
    const res = await fetch(`${s.base}/metrics`, { headers });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  }

  it('exposes every family, unauthenticated, in the Prometheus text format', async () => {
    const r = await scrape();
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of FAMILIES) expect(r.text, family).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
  });

  it('counts a request of each transport by operation, transport and code, with its latency and dispatches', async () => {
    const http = await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana', consistency: { fullyConsistent: true } });
    expect(http.body).toMatchObject({ allowed: true });
    const grpc = await s.client.unary('permissions', 'Check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' });
    expect(grpc.allowed).toBe(true);
    const bad = await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'nope', subject: 'user:ana' });
    expect(bad.status).toBe(412);

    const { text } = await scrape();
    expect(sample(text, 'warden_requests_total', { operation: 'check', transport: 'http', code: 'OK' })).toBe(1);
    expect(sample(text, 'warden_requests_total', { operation: 'check', transport: 'grpc', code: 'OK' })).toBe(1);
    expect(sample(text, 'warden_requests_total', { operation: 'check', transport: 'http', code: 'FAILED_PRECONDITION' })).toBe(1);
    expect(sample(text, 'warden_requests_total', { operation: 'writeSchema', transport: 'http', code: 'OK' })).toBe(1);
    expect(sample(text, 'warden_request_duration_seconds_count', { operation: 'check', transport: 'grpc' })).toBe(1);
    expect(sample(text, 'warden_requests_in_flight', { transport: 'http' })).toBe(0);
    // The fully consistent check walked doc:1#view → viewer → group:eng#member at least.
    expect(sample(text, 'warden_request_dispatches_count', { operation: 'check' })).toBe(3);
    expect(sample(text, 'warden_request_dispatches_sum', { operation: 'check' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'warden_datastore_query_duration_seconds_count', { method: 'write', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'warden_datastore_query_duration_seconds_count', { method: 'writeSchema', outcome: 'ok' })).toBe(1);
  });

  it('reads cache, revision and relationship state at scrape time', async () => {
    await s.post('/v1/permissions/check', { resource: 'doc:1', permission: 'view', subject: 'user:ana' });
    const { text } = await scrape();
    const stats = s.server.runtime.cache.stats();
    expect(sample(text, 'warden_cache_hits_total')).toBe(stats.hits);
    expect(sample(text, 'warden_cache_misses_total')).toBe(stats.misses);
    expect(stats.hits + stats.misses).toBeGreaterThan(0);
    expect(sample(text, 'warden_cache_entries')).toBe(stats.size);
    expect(sample(text, 'warden_cache_bytes')).toBe(stats.bytes);
    expect(sample(text, 'warden_relationships')).toBe(2);
    expect(sample(text, 'warden_revision_lag')).toBe(0);
    expect(sample(text, 'warden_replica_revision')).toBe(await s.server.runtime.datastore.headRevision());
  });
});

describe('GET /metrics with a preshared key', () => {
  const KEY = 'metrics-key';

  it('stays open by default, and still counts refused API calls', async () => {
    const s = await startObserved({ presharedKey: KEY }, KEY);
    try {
      const refused = await fetch(`${s.base}/v1/permissions/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(refused.status).toBe(401);
      const res = await fetch(`${s.base}/metrics`);
      expect(res.status).toBe(200);
      expect(sample(await res.text(), 'warden_requests_total', { operation: 'check', transport: 'http', code: 'UNAUTHENTICATED' })).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('asks for the key with --metrics-require-key', async () => {
    const s = await startObserved({ presharedKey: KEY, metricsRequireKey: true }, KEY);
    try {
      expect((await fetch(`${s.base}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
