/** Random bodies against every POST route of the app over a fake service: 2xx or a 4xx JSON error, never a 5xx. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeWardenService } from './fake-service.js';
import { fuzzPostRoutes } from './fuzz-support.js';
import { SCHEMA, serveFake, type FakeServer } from './helpers.js';

let srv: FakeServer;
beforeAll(async () => {
  const service = new FakeWardenService({ maxPageSize: 100 });
  await service.writeSchema({ schema: SCHEMA });
  srv = await serveFake({ service, maxBodyBytes: 4096 });
});
afterAll(() => srv.close());

it('answers random bodies with a 2xx or a 4xx JSON error, and keeps answering', async () => {
  const { statuses } = await fuzzPostRoutes(srv.url, Number(process.env.WARDEN_FUZZ_RUNS ?? 500));
  if (process.env.WARDEN_FUZZ_VERBOSE) console.log(statuses);
  // Most random bodies are refused; make sure the run was not all one status.
  expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(1);
  expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  const check = await fetch(`${srv.url}/v1/permissions/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resource: 'team:a', permission: 'member', subject: 'user:b' }),
  });
  expect(check.status).toBe(200);
}, 120_000);
