#!/usr/bin/env node
// The load generator: its own process (forked by run.mjs, driven over IPC), so that it never shares an
// event loop with the server it measures. It loads a workload's queries once, then runs one scenario per
// message against whichever target it is told (Warden or an echo floor) and answers with the figures.
//   -> {type:'workload', queriesPath}             <- {type:'workload', queries}
//   -> {type:'run', job}                          <- {type:'result', result} | {type:'failed', message}
//   -> {type:'prime', job}                        <- {type:'result', result} (one CheckBulk pass over the queries)
import { bulkJudge, checkJudge, encodeBulks, encodeChecks, runGrpc } from './lib/grpc-load.mjs';
import { encodeHttpChecks, runHttp } from './lib/http-load.mjs';
import { loadPermissionsService } from './lib/protos.mjs';
import { readQueries } from './lib/workload.mjs';

if (!process.send) {
  console.error('load-generator.mjs is driven by run.mjs over IPC; run `node bench/wire/run.mjs --help`');
  process.exit(2);
}

const permissions = await loadPermissionsService();
let queries = [];
// Encodings are built on first use per workload and kept: the same ones serve every repeat and target.
let cache = new Map();

function encoded(kind, bulkSize) {
  const key = kind === 'bulk' ? `bulk:${bulkSize}` : kind;
  let v = cache.get(key);
  if (!v) {
    if (kind === 'check') v = encodeChecks(permissions.Check, queries);
    else if (kind === 'bulk') v = encodeBulks(permissions.CheckBulk, queries, bulkSize);
    else v = encodeHttpChecks(queries);
    cache.set(key, v);
  }
  return v;
}

async function run(job) {
  const common = {
    concurrency: job.concurrency,
    channels: job.channels,
    warmupMs: job.warmupMs,
    durationMs: job.durationMs,
    cpu: { serverPid: job.target.pid },
  };
  switch (job.scenario) {
    case 'grpc-check':
      return runGrpc({
        ...common,
        address: job.target.grpc,
        method: permissions.Check,
        requests: encoded('check'),
        maxCalls: job.maxRequests,
        judge: checkJudge(job.verify),
      });
    case 'grpc-bulk':
      return runGrpc({
        ...common,
        address: job.target.grpc,
        method: permissions.CheckBulk,
        requests: encoded('bulk', job.bulkSize),
        maxCalls: Math.max(1, Math.floor(job.maxRequests / job.bulkSize)),
        judge: bulkJudge(job.verify),
        unitsPerCall: job.bulkSize,
      });
    case 'http-check':
      return runHttp({
        ...common,
        connections: job.concurrency,
        address: job.target.http,
        bodies: encoded('http'),
        maxRequests: job.maxRequests,
        verify: job.verify,
      });
    default:
      throw new Error(`unknown scenario ${job.scenario}`);
  }
}

/**
 * One pass over every query, as CheckBulk calls one after another, verified. It fills Warden's
 * sub-problem cache, so that every scenario measures the same warm steady state; without it the first
 * scenario of a size would be measured half cold (at 1 in flight, a pass over 20,000 queries takes
 * longer than the run).
 */
function prime(job) {
  const requests = encoded('bulk', job.bulkSize);
  return runGrpc({
    address: job.target.grpc,
    method: permissions.CheckBulk,
    requests,
    concurrency: 1,
    channels: 1,
    warmupMs: 0,
    durationMs: 10 * 60_000,
    maxCalls: requests.length,
    judge: bulkJudge(true),
    unitsPerCall: job.bulkSize,
    cpu: { serverPid: job.target.pid },
  });
}

const handlers = { run, prime };

process.on('message', (msg) => {
  if (msg.type === 'workload') {
    queries = readQueries(msg.queriesPath);
    cache = new Map();
    process.send({ type: 'workload', queries: queries.length });
  } else if (handlers[msg.type]) {
    handlers[msg.type](msg.job).then(
      (result) => process.send({ type: 'result', result }),
      (e) => process.send({ type: 'failed', message: e instanceof Error ? e.message : String(e) }),
    );
  } else if (msg.type === 'exit') {
    process.exit(0);
  }
});
process.send({ type: 'hello' });
