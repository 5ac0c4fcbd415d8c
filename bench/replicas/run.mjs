#!/usr/bin/env node
// Replicas over PostgreSQL, measured (a script, not a test): Check throughput over HTTP against one
// `warden serve` and round-robin over two sharing one PostgreSQL schema, and the write->visible delay
// on the other replica (write on A; B's Watch delivery, and a check on B with A's zookie).
//
//   node bench/replicas/run.mjs [--url postgres://postgres@127.0.0.1:5432/test] [--seconds 10]
//        [--connections 32] [--writes 500] [--docs 10000] [--rounds 3] [--json]
//
// Everything listens on 127.0.0.1; the schema it creates (warden_bench_<hex>) is dropped at the end.
// Needs dist/ (npm run build). Every loop is bounded in count and time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';

const REPO = new URL('../../', import.meta.url).pathname;
const BIN = `${REPO}bin/warden.js`;
const { values: opt } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.WARDEN_BENCH_POSTGRES_URL ?? process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    writes: { type: 'string', default: '500' },
    docs: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Math.min(60, Math.max(1, Number(opt.seconds)));
const CONNECTIONS = Math.min(256, Math.max(1, Number(opt.connections)));
const WRITES = Math.min(10_000, Math.max(10, Number(opt.writes)));
const DOCS = Math.min(1_000_000, Math.max(100, Number(opt.docs)));
const ROUNDS = Math.min(5, Math.max(1, Number(opt.rounds)));
const USERS = 1000;
const GROUPS = 100;
const log = (s) => process.stderr.write(`${s}\n`);

const SCHEMA_TEXT = `
definition user {}
definition group {
  relation member: user
}
definition doc {
  relation owner: user
  relation viewer: group#member
  permission view = owner + viewer
}`;

// Group g has users 10g .. 10g+19 (mod USERS); doc d is owned by user d mod USERS and viewable by group d mod GROUPS.
const inGroup = (g, u) => (u - 10 * g + USERS) % USERS < 20;
const expected = (d, u) => u === d % USERS || inGroup(d % GROUPS, u);

function* relationships() {
  for (let g = 0; g < GROUPS; g++) for (let k = 0; k < 20; k++) yield `group:g${g}#member@user:u${(10 * g + k) % USERS}`;
  for (let d = 0; d < DOCS; d++) {
    yield `doc:d${d}#owner@user:u${d % USERS}`;
    yield `doc:d${d}#viewer@group:g${d % GROUPS}#member`;
  }
}

/** 4096 checks from a fixed seed, about half of them allowed. */
function checkBodies() {
  let s = 42;
  const rnd = (n) => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
  const out = [];
  for (let i = 0; i < 4096; i++) {
    const d = rnd(DOCS);
    const u = i % 2 === 0 ? (10 * (d % GROUPS) + rnd(20)) % USERS : rnd(USERS);
    out.push({ body: JSON.stringify({ resource: `doc:d${d}`, permission: 'view', subject: `user:u${u}` }), expected: expected(d, u) });
  }
  return out;
}

// ---- processes and calls ----

const children = new Set();
// Whatever ends this process (an error, a closed pipe), the servers it started end with it.
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
function startWarden(name, schema) {
  const args = [BIN, 'serve', '--datastore', 'postgres', '--datastore-url', opt.url, '--datastore-schema', schema];
  args.push('--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', '--no-bootstrap');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WARDEN_')));
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 30 s:\n${out}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /HTTP on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ name, url: m[1], child });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${out}`)));
  });
}

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => (clearTimeout(timer), code === 0 ? resolve() : reject(new Error(`warden ${args[0]} exited ${code}`))));
  });
}

async function call(base, path, body, init = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Resident memory of a process (Linux /proc), in bytes; undefined elsewhere. */
function rss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const revisionOf = (zookie) => Number(Buffer.from(zookie, 'base64url').toString('utf8').split('|')[2]);

function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const r = (x) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(at(50)), p95: r(at(95)), p99: r(at(99)), max: r(s[s.length - 1]) };
}

// ---- the measurements ----

function load(urls, bodies, seconds) {
  return new Promise((resolve, reject) => {
    let next = 0;
    let wrong = 0;
    const examples = [];
    const instance = autocannon(
      {
        url: urls.length === 1 ? `${urls[0]}/v1/permissions/check` : urls.map((u) => `${u}/v1/permissions/check`),
        connections: CONNECTIONS,
        pipelining: 1,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest(req, context) {
              const b = bodies[next];
              next = (next + 1) % bodies.length;
              context.expected = b.expected;
              return { ...req, body: b.body };
            },
            onResponse(status, body, context) {
              if (status === 200 && JSON.parse(body).allowed !== context.expected) wrong++;
              if (status !== 200 && examples.length < 3) examples.push(`HTTP ${status}: ${body.slice(0, 200)}`);
            },
          },
        ],
      },
      (err, result) => {
        for (const e of examples) log(`  ${e}`);
        return err ? reject(err) : resolve({ result, wrong });
      },
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

async function throughput(a, b, bodies) {
  log(`warm-up: 5 s on each replica`);
  await load([a.url], bodies, 5);
  await load([b.url], bodies, 5);
  const rows = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, urls] of [
      ['one replica (A)', [a.url]],
      ['two replicas (A+B, round-robin)', [a.url, b.url]],
    ]) {
      log(`round ${round}: ${label}, ${CONNECTIONS} connections, ${SECONDS} s`);
      const { result: r, wrong } = await load(urls, bodies, SECONDS);
      rows.push({
        round,
        target: label,
        reqPerSec: Math.round(r.requests.average),
        p50ms: r.latency.p50,
        p99ms: r.latency.p99,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        wrongAnswers: wrong,
      });
    }
  }
  // Rounds alternate between the two set-ups so that drift in the machine's other load hits both alike.
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const summary = ['one replica (A)', 'two replicas (A+B, round-robin)'].map((target) => {
    const mine = rows.filter((r) => r.target === target);
    return { target, medianReqPerSec: median(mine.map((r) => r.reqPerSec)), medianP50ms: median(mine.map((r) => r.p50ms)), medianP99ms: median(mine.map((r) => r.p99ms)) };
  });
  return { rows, summary };
}

/** Write on A, then: when B's Watch delivers it, and how long a check on B with A's zookie takes. */
async function visibility(a, b) {
  const start = (await call(a.url, '/v1/relationships/write', { updates: [{ operation: 'touch', relationship: 'doc:vis#owner@user:u0' }] })).zookie;
  const arrived = new Map(); // revision -> performance.now() when B's watch line arrived
  const abort = new AbortController();
  const res = await fetch(`${b.url}/v1/watch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ afterZookie: start, heartbeatMs: 1000 }),
    signal: abort.signal,
  });
  const reading = (async () => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        const now = performance.now();
        buf += dec.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const e = line.trim() && JSON.parse(line);
          if (e && e.type === 'changes') arrived.set(revisionOf(e.zookie), now);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  const writeMs = [];
  const watchAfterAckMs = [];
  const watchAfterStartMs = [];
  const freshCheckMs = [];
  const appliedCheckMs = [];
  let misses = 0;
  const deadline = Date.now() + 120_000;
  const pending = [];
  for (let i = 0; i < WRITES && Date.now() < deadline; i++) {
    const u = (i * 7) % USERS;
    const t0 = performance.now();
    const z = (await call(a.url, '/v1/relationships/write', { updates: [{ operation: 'touch', relationship: `doc:vis${i}#owner@user:u${u}` }] })).zookie;
    const t1 = performance.now();
    writeMs.push(t1 - t0);
    pending.push({ rev: revisionOf(z), t0, t1 });
    const check = { resource: `doc:vis${i}`, permission: 'view', subject: `user:u${u}`, consistency: { atLeastAsFresh: z } };
    const fresh = await call(b.url, '/v1/permissions/check', check);
    const t2 = performance.now();
    if (!fresh.allowed) misses++;
    freshCheckMs.push(t2 - t1);
    // The same check again, now that B has the revision: the round trip without any waiting.
    await call(b.url, '/v1/permissions/check', check);
    appliedCheckMs.push(performance.now() - t2);
  }
  const lastRev = pending[pending.length - 1].rev;
  for (let waited = 0; !arrived.has(lastRev) && waited < 100; waited++) await new Promise((r) => setTimeout(r, 50));
  abort.abort();
  await reading;
  let lost = 0;
  for (const p of pending) {
    const at = arrived.get(p.rev);
    if (at === undefined) lost++;
    else {
      watchAfterAckMs.push(at - p.t1);
      watchAfterStartMs.push(at - p.t0);
    }
  }
  return {
    writes: pending.length,
    checkMisses: misses,
    watchLost: lost,
    // B had not applied the write yet when A acknowledged it: the share of checks that had to wait.
    watchAfterAckShare: Math.round((watchAfterAckMs.filter((x) => x > 0).length / Math.max(1, watchAfterAckMs.length)) * 100) / 100,
    writeOnA: percentiles(writeMs),
    watchOnB_afterWriteAck: percentiles(watchAfterAckMs),
    watchOnB_afterWriteStart: percentiles(watchAfterStartMs),
    checkOnB_atLeastAsFresh_rightAfterAck: percentiles(freshCheckMs),
    checkOnB_sameZookieAgain: percentiles(appliedCheckMs),
  };
}

// ---- main ----

if (!existsSync(`${REPO}dist/cli/main.js`)) {
  log('replicas bench: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const schema = `warden_bench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: opt.url, connectionTimeoutMillis: 5000 });
let exitCode = 0;
const cleanup = async () => {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) c.kill('SIGKILL');
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await admin.end().catch(() => undefined);
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
try {
  await admin.connect();
  const startedAt = new Date().toISOString();
  const loadAtStart = Math.round(loadavg()[0] * 10) / 10;
  log(`schema ${schema}: migrate, start A and B`);
  await run(['migrate', '--datastore-url', opt.url, '--datastore-schema', schema]);
  const [a, b] = await Promise.all([startWarden('A', schema), startWarden('B', schema)]);
  await call(a.url, '/v1/schema', { schema: SCHEMA_TEXT });
  const rssBefore = rss(b.child.pid);
  const lines = [...relationships()];
  const imported = await call(a.url, '/v1/relationships/import', lines.join('\n'), { contentType: 'text/plain', timeoutMs: 300_000 });
  log(`imported ${imported.count} relationships`);
  // B must hold the data before it is measured.
  await call(b.url, '/v1/permissions/check', { resource: 'doc:d0', permission: 'view', subject: 'user:u0', consistency: { atLeastAsFresh: imported.zookie } });
  // B loaded everything through its change feed, as any replica following another's writes does.
  const rssAfter = rss(b.child.pid);
  const memory =
    rssBefore === undefined || rssAfter === undefined
      ? undefined
      : { rssBeforeMiB: Math.round(rssBefore / 2 ** 20), rssAfterMiB: Math.round(rssAfter / 2 ** 20), bytesPerRelationship: Math.round((rssAfter - rssBefore) / imported.count) };
  const bodies = checkBodies();
  const { rows: throughputRows, summary } = await throughput(a, b, bodies);
  log(`write->visible: ${WRITES} writes on A, one at a time`);
  const vis = await visibility(a, b);
  const report = {
    date: startedAt,
    command: `node bench/replicas/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      // Other work on the machine skews every figure here; the 1-minute load average says how much.
      loadAvgAtStart: loadAtStart,
      loadAvgAtEnd: Math.round(loadavg()[0] * 10) / 10,
    },
    setup: { relationships: imported.count, docs: DOCS, users: USERS, groups: GROUPS, connections: CONNECTIONS, seconds: SECONDS },
    replicaMemory: memory,
    throughput: throughputRows,
    throughputMedians: summary,
    visibility: vis,
  };
  if (opt.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`# replicas bench, ${report.date}\n${report.command}\n${JSON.stringify(report.machine)}\n${JSON.stringify(report.setup)}\nreplica B resident memory: ${JSON.stringify(memory)}\n`);
    console.log('| round | target | req/s | p50 ms | p99 ms | non-2xx | errors | wrong |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of throughputRows) console.log(`| ${r.round} | ${r.target} | ${r.reqPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.non2xx} | ${r.errors} | ${r.wrongAnswers} |`);
    for (const m of summary) console.log(`median of ${ROUNDS}: ${m.target}: ${m.medianReqPerSec} req/s, p50 ${m.medianP50ms} ms, p99 ${m.medianP99ms} ms`);
    console.log(
      `\nwrite->visible over ${vis.writes} writes (misses: ${vis.checkMisses}, lost watch events: ${vis.watchLost}, ` +
        `B's watch event came after A's ack for ${Math.round(vis.watchAfterAckShare * 100)}% of writes)`,
    );
    console.log('| series (ms) | p50 | p95 | p99 | max |');
    console.log('|---|---|---|---|---|');
    for (const [k, v] of Object.entries(vis)) if (typeof v === 'object') console.log(`| ${k} | ${v.p50} | ${v.p95} | ${v.p99} | ${v.max} |`);
  }
  if (vis.checkMisses > 0 || vis.watchLost > 0 || throughputRows.some((r) => r.wrongAnswers > 0)) exitCode = 1;
} catch (e) {
  log(`replicas bench: ${e.stack ?? e}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
