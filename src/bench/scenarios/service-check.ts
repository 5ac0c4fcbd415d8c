/**
 * Check through WardenService (parse the strings, resolve minimize_latency, pick the schema, snapshot,
 * engine, encode the zookie): everything a gRPC or HTTP Check runs except the transport, one request
 * at a time. Its distance from check-warm is what the service layer costs per request.
 */
import type { WardenService } from '../../service/types.js';
import type { CheckQuery } from '../workload/format.js';
import { measureAsync } from './measure.js';
import type { ScenarioResult } from './types.js';
import { BenchMismatchError } from './types.js';

const BATCH = 100;

export async function runServiceCheckScenario(service: WardenService, queries: readonly CheckQuery[], timeMs: number): Promise<ScenarioResult> {
  if (queries.length === 0) return { scenario: 'check-service', skipped: 'the workload has no check queries' };
  const requests = queries.map((q) => ({
    request: { resource: `${q.resource_type}:${q.resource_id}`, permission: q.permission, subject: `${q.subject_type}:${q.subject_id}` },
    expected: q.expected,
  }));
  let wrong = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    const r = requests[next]!;
    next = next + 1 === requests.length ? 0 : next + 1;
    if ((await service.check(r.request)).allowed !== r.expected) wrong++;
  };
  for (let i = 0; i < requests.length; i++) await one();
  const m = await measureAsync(
    'check-service',
    async () => {
      for (let i = 0; i < BATCH; i++) await one();
    },
    { opsPerCall: BATCH, timeMs, warmupMs: 100 },
  );
  const single = await measureAsync('check-service latency', one, { opsPerCall: 1, timeMs: Math.max(200, timeMs / 2), minIterations: 500 });
  if (wrong > 0) throw new BenchMismatchError(`check-service: ${wrong} wrong answer(s)`);
  return { scenario: 'check-service', opsPerSec: m.opsPerSec, p50Ms: single.p50Ms, p95Ms: single.p95Ms, p99Ms: single.p99Ms, values: { queries: requests.length, opsPerCpuSec: m.opsPerCpuSec, cpuShare: m.cpuShare } };
}
