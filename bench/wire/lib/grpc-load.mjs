// Closed-loop gRPC drivers: `concurrency` loops, each sending its next request the moment the previous
// answer arrives, spread over several channels (separate HTTP/2 connections, as several service
// instances calling Warden would be). Requests are serialised once up front, so that the load
// generator, which shares the two cores with the server, spends as little CPU as it can per call.
import * as grpc from '@grpc/grpc-js';
import { LatencyRecorder } from './stats.mjs';
import { cpuPerUnit, cpuSampler } from './cpu.mjs';

const passThrough = (b) => b;
const MAX_EXAMPLES = 5;

/** Opens `n` channels to `address`, each its own TCP connection, and waits until all are connected. */
export async function openChannels(address, n) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    // A local subchannel pool stops grpc-js from sharing one connection between the clients; the
    // extra option only makes each channel's key distinct.
    clients.push(
      new grpc.Client(address, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': -1,
        'warden-bench.channel-id': i,
      }),
    );
  }
  const deadline = Date.now() + 10_000;
  await Promise.all(clients.map((c) => new Promise((res, rej) => c.waitForReady(deadline, (e) => (e ? rej(e) : res())))));
  return clients;
}

export function closeChannels(clients) {
  for (const c of clients) c.close();
}

/** Check requests encoded for the wire, with the answers they should get. */
export function encodeChecks(method, queries) {
  return queries.map((q) => ({
    bytes: method.requestSerialize({ resource: q.resource, permission: q.permission, subject: q.subject }),
    expected: q.expected,
    label: `${q.resource}#${q.permission}@${q.subject}`,
  }));
}

/**
 * CheckBulk requests of `size` consecutive queries each, cycling through the queries so that every
 * batch is full; there are as many batches as it takes to cover every query once.
 */
export function encodeBulks(method, queries, size) {
  const batches = Math.max(1, Math.ceil(queries.length / size));
  const out = [];
  for (let b = 0; b < batches; b++) {
    const items = [];
    const expected = new Array(size);
    const labels = new Array(size);
    for (let i = 0; i < size; i++) {
      const q = queries[(b * size + i) % queries.length];
      items.push({ resource: q.resource, permission: q.permission, subject: q.subject });
      expected[i] = q.expected;
      labels[i] = `${q.resource}#${q.permission}@${q.subject}`;
    }
    out.push({ bytes: method.requestSerialize({ items }), expected, labels });
  }
  return out;
}

/**
 * Runs the closed loop for `ms` (or until `maxCalls`), then waits for the calls in flight. `judge(answer,
 * request)` returns how many answers the call carried and how many of them were wrong.
 */
function closedLoop({ clients, method, requests, concurrency, ms, maxCalls, judge, record, cpu }) {
  return new Promise((resolve) => {
    const rec = new LatencyRecorder();
    const tally = { calls: 0, answers: 0, mismatches: 0, errors: 0, examples: [] };
    const sampler = record ? cpuSampler(cpu) : null;
    const start = performance.now();
    const deadline = start + ms;
    let next = 0;
    let issued = 0;
    let running = concurrency;
    let lastDone = start;
    const finish = () => {
      const elapsedS = (lastDone - start) / 1000;
      resolve({ ...tally, elapsedS, latency: rec.summary(), cpu: sampler?.stop() ?? null });
    };
    const loop = (worker) => {
      if (issued >= maxCalls || performance.now() >= deadline) {
        if (--running === 0) finish();
        return;
      }
      const req = requests[next];
      next = next + 1 === requests.length ? 0 : next + 1;
      issued++;
      const t0 = performance.now();
      clients[worker % clients.length].makeUnaryRequest(method.path, passThrough, method.responseDeserialize, req.bytes, (err, res) => {
        const t1 = performance.now();
        lastDone = t1;
        if (err) {
          tally.errors++;
          if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(`error: ${err.code} ${err.details ?? err.message}`);
        } else {
          // Only answered calls count, in the throughput and in the latencies: a refused connection
          // fails faster than any server answers.
          tally.calls++;
          if (record) rec.record(t1 - t0);
          const { answers, wrong, example } = judge(res, req);
          tally.answers += answers;
          tally.mismatches += wrong;
          if (wrong > 0 && tally.examples.length < MAX_EXAMPLES) tally.examples.push(example);
        }
        loop(worker);
      });
    };
    for (let w = 0; w < concurrency; w++) loop(w);
  });
}

/** Verifies Check answers against `expected`, or (for the echo floor) only their shape. */
export function checkJudge(verify) {
  return (res, req) => {
    const ok = verify ? res.allowed === req.expected : typeof res.allowed === 'boolean';
    return ok ? { answers: 1, wrong: 0 } : { answers: 1, wrong: 1, example: `${req.label}: expected ${req.expected}, got ${JSON.stringify(res)}` };
  };
}

export function bulkJudge(verify) {
  return (res, req) => {
    const results = Array.isArray(res.results) ? res.results : [];
    if (results.length !== req.expected.length) {
      return { answers: req.expected.length, wrong: req.expected.length, example: `CheckBulk: ${results.length} results for ${req.expected.length} items` };
    }
    let wrong = 0;
    let example;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      const ok = !r.error && (verify ? r.allowed === req.expected[i] : typeof r.allowed === 'boolean');
      if (!ok) {
        wrong++;
        example ??= `CheckBulk item ${i} ${req.labels[i]}: expected ${req.expected[i]}, got ${JSON.stringify(r)}`;
      }
    }
    return { answers: results.length, wrong, example };
  };
}

/**
 * Warm-up (not recorded, but still verified), then the measured run. `unitsPerCall` turns calls/s into
 * the throughput reported (checks/s for CheckBulk).
 */
export async function runGrpc({ address, method, requests, concurrency, channels, warmupMs, durationMs, maxCalls, judge, unitsPerCall = 1, cpu }) {
  const clients = await openChannels(address, Math.min(channels, concurrency));
  try {
    const base = { clients, method, requests, concurrency, maxCalls, judge, cpu };
    const warm = warmupMs > 0 ? await closedLoop({ ...base, ms: warmupMs, record: false }) : null;
    const run = await closedLoop({ ...base, ms: durationMs, record: true });
    return {
      calls: run.calls,
      answers: run.answers,
      throughput: run.elapsedS > 0 ? (run.calls * unitsPerCall) / run.elapsedS : 0,
      callsPerSecond: run.elapsedS > 0 ? run.calls / run.elapsedS : 0,
      elapsedS: run.elapsedS,
      latency: run.latency,
      mismatches: run.mismatches + (warm?.mismatches ?? 0),
      errors: run.errors + (warm?.errors ?? 0),
      answersChecked: run.answers + (warm?.answers ?? 0),
      examples: [...(warm?.examples ?? []), ...run.examples].slice(0, MAX_EXAMPLES),
      cpu: run.cpu,
      serverCpuUsPerUnit: cpuPerUnit(run.cpu, run.elapsedS, run.calls * unitsPerCall),
    };
  } finally {
    closeChannels(clients);
  }
}
