// HTTP Check under autocannon: `connections` keep-alive connections, one request in flight on each
// (no pipelining: a client of an authorization server waits for its answer). Every response is
// checked against the query it answered: autocannon keeps one context per connection, and with one
// request in flight the response always belongs to the request built last on that connection.
import autocannon from 'autocannon';
import { LatencyRecorder } from './stats.mjs';
import { cpuPerUnit, cpuSampler } from './cpu.mjs';

const MAX_EXAMPLES = 5;

export function encodeHttpChecks(queries) {
  return queries.map((q) => ({
    body: JSON.stringify({ resource: q.resource, permission: q.permission, subject: q.subject }),
    expected: q.expected,
  }));
}

function autocannonRun({ url, bodies, connections, seconds, maxRequests, verify, record, cpu }) {
  return new Promise((resolve, reject) => {
    const rec = new LatencyRecorder();
    const tally = { calls: 0, answers: 0, mismatches: 0, errors: 0, examples: [] };
    const note = (s) => {
      if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(s);
    };
    let next = 0;
    const sampler = record ? cpuSampler(cpu) : null;
    const start = performance.now();
    const instance = autocannon(
      {
        url,
        method: 'POST',
        connections,
        pipelining: 1,
        duration: seconds,
        // autocannon's `amount` would replace `duration`; the count bound stops the instance instead.
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest(req, context) {
              const b = bodies[next];
              next = next + 1 === bodies.length ? 0 : next + 1;
              context.request = b;
              req.body = b.body;
              return req;
            },
            onResponse(status, body, context) {
              const b = context.request;
              tally.answers++;
              if (status !== 200) {
                tally.errors++;
                note(`HTTP ${status}: ${body.slice(0, 200)}`);
                return;
              }
              let allowed;
              try {
                allowed = JSON.parse(body).allowed;
              } catch {
                tally.mismatches++;
                note(`not JSON: ${body.slice(0, 200)}`);
                return;
              }
              const ok = verify ? allowed === b.expected : typeof allowed === 'boolean';
              if (!ok) {
                tally.mismatches++;
                note(`${b.body}: expected ${b.expected}, got ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const elapsedS = (performance.now() - start) / 1000;
        tally.errors += result.errors + result.timeouts;
        if (result.errors + result.timeouts > 0) note(`autocannon: ${result.errors} connection errors, ${result.timeouts} timeouts`);
        resolve({ ...tally, elapsedS, latency: rec.summary(), cpu: sampler?.stop() ?? null });
      },
    );
    // Only 200s count, in the throughput and in the latencies (onResponse counts the others as errors).
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status !== 200) return;
      tally.calls++;
      if (record) rec.record(responseTime);
      if (tally.calls >= maxRequests) instance.stop();
    });
  });
}

/** Warm-up (verified, not recorded), then the measured run. */
export async function runHttp({ address, bodies, connections, warmupMs, durationMs, maxRequests, verify, cpu }) {
  const url = `http://${address}/v1/permissions/check`;
  const base = { url, bodies, connections, maxRequests, verify, cpu };
  const warm = warmupMs > 0 ? await autocannonRun({ ...base, seconds: warmupMs / 1000, record: false }) : null;
  const run = await autocannonRun({ ...base, seconds: durationMs / 1000, record: true });
  return {
    calls: run.calls,
    answers: run.answers,
    throughput: run.elapsedS > 0 ? run.calls / run.elapsedS : 0,
    callsPerSecond: run.elapsedS > 0 ? run.calls / run.elapsedS : 0,
    elapsedS: run.elapsedS,
    latency: run.latency,
    mismatches: run.mismatches + (warm?.mismatches ?? 0),
    errors: run.errors + (warm?.errors ?? 0),
    answersChecked: run.answers + (warm?.answers ?? 0),
    examples: [...(warm?.examples ?? []), ...run.examples].slice(0, MAX_EXAMPLES),
    cpu: run.cpu,
    serverCpuUsPerUnit: cpuPerUnit(run.cpu, run.elapsedS, run.calls),
  };
}
