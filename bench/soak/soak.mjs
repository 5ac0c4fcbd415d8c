#!/usr/bin/env node
/**
 * Soak test: one `warden serve` on SQLite in a temp dir, loaded with a workload directory (schema.zed,
 * relationships.txt, queries.jsonl, lookups.json), then minutes of mixed traffic at a steady rate:
 * Check over gRPC and HTTP, LookupResources over gRPC, touch/delete writes over both. Every Check and
 * lookup answer is verified against the workload's expected one (the writes only touch relationships of
 * their own that no query can reach). Prints throughput, p50/p99 and the server's memory every interval,
 * then a summary and a verdict on memory: flat when RSS after the warm-up never grows by more than the
 * cache bound plus 10% of the post-warm-up RSS. Not part of `npm test`; see README.md beside this file.
 *
 *   node bench/soak/soak.mjs --workload DIR [--duration 3m] [--rate 100] [--cache-mib 2] ...
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_DURATION_S = 3_600;
const MAX_SAMPLES_PER_KIND = 500_000;
const CALL_TIMEOUT_MS = 10_000;
const WRITE_SLOTS = 2_000;

// ---- options ----

const HELP = `usage: node bench/soak/soak.mjs --workload DIR [options]
  --workload DIR        schema.zed, relationships.txt, queries.jsonl, lookups.json (e.g. from shared/workload/gen.mjs)
  --duration D          how long the mixed traffic runs (default 3m; at most 60m), e.g. 90s, 3m
  --interval D          time between progress lines (default 10s)
  --warmup D            time before the memory baseline is taken (default 60s, at most a third of --duration)
  --rate N              operations per second, all kinds together (default 100)
  --concurrency N       most operations in flight; past it an operation is skipped and counted (default 16)
  --cache-mib N         the server's --cache-mib (default 2: full by the end of the warm-up, so later growth is not the cache)
  --threshold-mib N     allowed RSS growth after warm-up (default: cache bound + 10% of the baseline RSS)
  --server-arg ARG      extra argument for \`warden serve\` (repeatable), e.g. --server-arg=--log-level=warn
  --append-results FILE append a "Soak" section with the figures to FILE (e.g. bench/RESULTS.md)
  --note TEXT           a line added to that section (e.g. the machine)
  --keep                keep the temp dir (database and server log)`;

function duration(text, name) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text));
  if (!m) throw new Error(`--${name}: expected a duration like 90s or 3m, got "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'];
}

function positive(text, name) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got "${text}"`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string' },
      duration: { type: 'string', default: '3m' },
      interval: { type: 'string', default: '10s' },
      warmup: { type: 'string' },
      rate: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16' },
      'cache-mib': { type: 'string', default: '2' },
      'threshold-mib': { type: 'string' },
      'server-arg': { type: 'string', multiple: true, default: [] },
      'append-results': { type: 'string' },
      note: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.workload) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  const durationMs = duration(values.duration, 'duration');
  if (durationMs > MAX_DURATION_S * 1_000) throw new Error(`--duration: at most ${MAX_DURATION_S / 60} minutes`);
  return {
    workload: resolve(values.workload),
    durationMs,
    intervalMs: duration(values.interval, 'interval'),
    warmupMs: Math.min(values.warmup ? duration(values.warmup, 'warmup') : 60_000, durationMs / 3),
    rate: positive(values.rate, 'rate'),
    concurrency: Math.floor(positive(values.concurrency, 'concurrency')),
    cacheMiB: positive(values['cache-mib'], 'cache-mib'),
    thresholdMiB: values['threshold-mib'] === undefined ? undefined : positive(values['threshold-mib'], 'threshold-mib'),
    serverArgs: values['server-arg'],
    appendResults: values['append-results'],
    note: values.note,
    keep: values.keep,
  };
}

// ---- the workload ----

function loadWorkload(dir) {
  for (const f of ['schema.zed', 'relationships.txt', 'queries.jsonl', 'lookups.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`${dir} has no ${f}`);
  }
  const queries = readFileSync(join(dir, 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const q = JSON.parse(l);
      return { resource: `${q.resource_type}:${q.resource_id}`, permission: q.permission, subject: `${q.subject_type}:${q.subject_id}`, expected: q.expected === true };
    });
  const lookups = (JSON.parse(readFileSync(join(dir, 'lookups.json'), 'utf8')).lookup_resources ?? []).map((l) => ({
    resourceType: l.resource_type,
    permission: l.permission,
    subject: `${l.subject_type}:${l.subject_id}`,
    expected: l.expected_count,
  }));
  if (queries.length === 0) throw new Error(`${dir}/queries.jsonl has no queries`);
  const schema = readFileSync(join(dir, 'schema.zed'), 'utf8');
  return { dir, schema, queries, lookups };
}

/**
 * The writes' own relationships: a resource type the schema has whose relation takes a plain user,
 * on resource ids and users no query or lookup names (`soak…`), so no expected answer can change.
 */
function writeTarget(schema) {
  for (const m of schema.matchAll(/definition\s+([\w/]+)\s*\{([^}]*)\}/g)) {
    const rel = /relation\s+(\w+)\s*:\s*user\b(?!\s*[#:])/.exec(m[2]);
    if (rel && m[1] !== 'user') return { type: m[1], relation: rel[1] };
  }
  throw new Error('the schema has no relation of a plain `user` to write to');
}

// ---- the server ----

function startServer(dir, o) {
  const db = join(dir, 'w.db');
  const args = ['bin/warden.js', 'serve', '--datastore', 'sqlite', '--datastore-path', db, '--no-bootstrap', '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', '--cache-mib', String(o.cacheMiB), ...o.serverArgs];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // One structured line per request: the log must be drained, or the server blocks on a full pipe.
  const log = createWriteStream(join(dir, 'server.log'));
  let head = '';
  const exited = new Promise((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`the server did not start within 60 s:\n${head}`));
    }, 60_000);
    const onData = (chunk) => {
      log.write(chunk);
      if (head.length < 100_000) head += chunk;
      const m = /HTTP on http:\/\/127\.0\.0\.1:(\d+), gRPC on 127\.0\.0\.1:(\d+)/.exec(head);
      if (m && timer) {
        clearTimeout(timer);
        res({ child, pid: child.pid, http: `http://127.0.0.1:${m[1]}`, grpc: `127.0.0.1:${m[2]}`, exited, log, db });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => log.write(c));
    exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`the server exited (${code}) before listening:\n${head}`));
    });
  });
}

async function postJson(base, path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const json = await res.json();
  if (res.status !== 200) throw Object.assign(new Error(`HTTP ${res.status}: ${json?.error?.message ?? JSON.stringify(json)}`), { code: json?.error?.code ?? String(res.status) });
  return json;
}

async function importFile(base, file) {
  const res = await fetch(`${base}/v1/relationships/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: Readable.toWeb(createReadStream(file)),
    duplex: 'half',
    signal: AbortSignal.timeout(30 * 60_000),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`import: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json.count;
}

/** VmRSS of a process, in MiB (Linux). */
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Heap and cache figures from /metrics, when the server exports them. */
async function scrape(base) {
  try {
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) return {};
    const text = await res.text();
    const value = (name) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const mib = (v) => (v === undefined ? undefined : v / 1024 / 1024);
    return { heapMiB: mib(value('nodejs_heap_size_used_bytes')), cacheMiB: mib(value('warden_cache_bytes')), cacheEntries: value('warden_cache_entries') };
  } catch {
    return {};
  }
}

// ---- measurements ----

class Kind {
  constructor(name) {
    this.name = name;
    this.window = [];
    this.all = [];
    this.seen = 0;
    this.errors = 0;
    this.wrong = 0;
    this.shed = 0;
    this.firstErrors = [];
  }
  record(ms) {
    this.window.push(ms);
    this.seen++;
    // Reservoir sampling keeps the overall percentiles honest without unbounded memory.
    if (this.all.length < MAX_SAMPLES_PER_KIND) this.all.push(ms);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < MAX_SAMPLES_PER_KIND) this.all[j] = ms;
    }
  }
  fail(e) {
    const code = String(e?.code ?? '');
    // A refusal under load (RESOURCE_EXHAUSTED / 429) is back-pressure, not a failure.
    if (code === 'RESOURCE_EXHAUSTED' || code === '8' || code === '429') this.shed++;
    else this.errors++;
    if (this.firstErrors.length < 5) this.firstErrors.push(`${code} ${e?.details ?? e?.message ?? e}`);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(samples) {
  const s = Float64Array.from(samples).sort();
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : NaN };
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

// ---- the run ----

async function main() {
  const o = options();
  const entry = join(ROOT, 'dist/api/grpc/client.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first');
  const { WardenGrpcClient } = await import(entry);
  const w = loadWorkload(o.workload);
  const target = writeTarget(w.schema);
  const dir = mkdtempSync(join(tmpdir(), 'warden-soak-'));
  console.log(`soak: workload ${w.dir} (${w.queries.length} queries, ${w.lookups.length} lookups); temp dir ${dir}`);

  const server = await startServer(dir, o);
  const grpc = new WardenGrpcClient(server.grpc);
  let exitCode = 0;
  try {
    await postJson(server.http, '/v1/schema', { schema: w.schema });
    const loadStart = performance.now();
    const imported = await importFile(server.http, join(w.dir, 'relationships.txt'));
    const loadS = (performance.now() - loadStart) / 1_000;
    const rssLoaded = rssMiB(server.pid);
    console.log(`soak: imported ${imported} relationships in ${fmt(loadS)} s (${fmt(imported / loadS, 0)}/s); server pid ${server.pid}, RSS ${fmt(rssLoaded)} MiB`);
    console.log(`soak: ${o.rate} ops/s for ${o.durationMs / 1_000} s (at most ${o.concurrency} in flight), warm-up ${o.warmupMs / 1_000} s, cache bound ${o.cacheMiB} MiB`);

    const kinds = { checkGrpc: new Kind('check-grpc'), checkHttp: new Kind('check-http'), lookup: new Kind('lookup'), write: new Kind('write') };
    // The mix, out of 20: most traffic is Check, as in production.
    const MIX = [...Array(11).fill('checkGrpc'), ...Array(5).fill('checkHttp'), ...Array(1).fill('lookup'), ...Array(3).fill('write')];
    let qi = 0;
    let li = 0;
    let wi = 0;
    const live = new Array(WRITE_SLOTS).fill(false);
    const uncertain = new Set();

    const ops = {
      async checkGrpc() {
        const q = w.queries[qi++ % w.queries.length];
        const r = await grpc.unary('permissions', 'Check', { resource: q.resource, permission: q.permission, subject: q.subject }, { deadline: Date.now() + CALL_TIMEOUT_MS });
        return r.allowed === q.expected;
      },
      async checkHttp() {
        const q = w.queries[qi++ % w.queries.length];
        const r = await postJson(server.http, '/v1/permissions/check', { resource: q.resource, permission: q.permission, subject: q.subject });
        return r.allowed === q.expected;
      },
      async lookup() {
        if (w.lookups.length === 0) return true;
        const l = w.lookups[li++ % w.lookups.length];
        let count = 0;
        for await (const m of grpc.serverStream('permissions', 'LookupResources', { resourceType: l.resourceType, permission: l.permission, subject: l.subject }, { deadline: Date.now() + CALL_TIMEOUT_MS })) {
          count += m.resourceIds.length;
        }
        return count === l.expected;
      },
      async write() {
        const slot = wi++ % WRITE_SLOTS;
        if (uncertain.has(slot)) return true;
        const relationship = `${target.type}:soak${slot}#${target.relation}@user:soakw${slot % 97}`;
        const touch = !live[slot];
        uncertain.add(slot);
        if (slot % 2 === 0) {
          await postJson(server.http, '/v1/relationships/write', { updates: [{ operation: touch ? 'touch' : 'delete', relationship }] });
        } else {
          await grpc.unary('relationships', 'WriteRelationships', { updates: [{ operation: touch ? 'OPERATION_TOUCH' : 'OPERATION_DELETE', relationship }] }, { deadline: Date.now() + CALL_TIMEOUT_MS });
        }
        live[slot] = touch;
        uncertain.delete(slot);
        return true;
      },
    };

    let inflight = 0;
    let skipped = 0;
    let started = 0;
    const pending = new Set();
    const launch = (key) => {
      const kind = kinds[key];
      const t0 = performance.now();
      inflight++;
      const p = ops[key]()
        .then(
          (right) => {
            kind.record(performance.now() - t0);
            if (!right) kind.wrong++;
          },
          (e) => kind.fail(e),
        )
        .finally(() => {
          inflight--;
          pending.delete(p);
        });
      pending.add(p);
    };

    const memory = []; // [seconds since start, RSS MiB]
    const begin = performance.now();
    const end = begin + o.durationMs;
    let nextReport = begin + o.intervalMs;
    let nextSample = begin;
    let lastScrape = {};
    let warmScrape;
    const rows = [];
    const header = `${'t'.padStart(5)}  ${Object.values(kinds).map((k) => `${k.name} /s p50/p99 ms`.padEnd(24)).join('')}${'rss'.padStart(7)}${'heap'.padStart(7)}${'cache'.padStart(7)}  err wrong skip`;
    console.log(header);
    for (let tick = 0; tick < (o.durationMs / 10) + 1_000 && performance.now() < end; tick++) {
      const now = performance.now();
      // Open loop: operations are due at a fixed rate whatever the latency; past the concurrency
      // bound they are skipped (and counted), so a slow server shows as skips, not as a slower client.
      const due = Math.floor(((now - begin) / 1_000) * o.rate);
      for (; started < due; started++) {
        if (inflight >= o.concurrency) skipped++;
        else launch(MIX[started % MIX.length]);
      }
      if (now >= nextSample) {
        const rss = rssMiB(server.pid);
        if (rss !== undefined) memory.push([(now - begin) / 1_000, rss]);
        nextSample += 1_000;
      }
      if (warmScrape === undefined && now - begin >= o.warmupMs) warmScrape = await scrape(server.http);
      if (now >= nextReport) {
        lastScrape = await scrape(server.http);
        const t = (now - begin) / 1_000;
        const secs = o.intervalMs / 1_000;
        const cells = Object.values(kinds).map((k) => {
          const s = stats(k.window);
          k.window = [];
          return `${fmt(s.n / secs, 0)} ${fmt(s.p50, 1)}/${fmt(s.p99, 1)}`.padEnd(24);
        });
        const errs = Object.values(kinds).reduce((a, k) => a + k.errors, 0);
        const wrong = Object.values(kinds).reduce((a, k) => a + k.wrong, 0);
        const rss = memory.length ? memory[memory.length - 1][1] : NaN;
        rows.push({ t, rss, heap: lastScrape.heapMiB, cache: lastScrape.cacheMiB });
        console.log(`${fmt(t, 0).padStart(4)}s  ${cells.join('')}${fmt(rss).padStart(7)}${fmt(lastScrape.heapMiB).padStart(7)}${fmt(lastScrape.cacheMiB).padStart(7)}  ${String(errs).padStart(3)} ${String(wrong).padStart(5)} ${String(skipped).padStart(4)}`);
        nextReport += o.intervalMs;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, CALL_TIMEOUT_MS + 1_000))]);
    const elapsedS = (performance.now() - begin) / 1_000;

    // The writes' own relationships are what the client believes: every acknowledged touch and delete.
    let stored = 0;
    for await (const m of grpc.serverStream('relationships', 'ReadRelationships', { filter: { resourceType: target.type, resourceIdPrefix: 'soak' }, consistency: { fullyConsistent: true } })) {
      stored += m.relationships.filter((r) => !uncertainRel(r, uncertain)).length;
    }
    const believed = live.filter((v, i) => v && !uncertain.has(i)).length;

    // ---- summary ----
    console.log('\nsummary');
    const summary = {};
    for (const k of Object.values(kinds)) {
      const s = stats(k.all);
      summary[k.name] = { ops: k.seen, perSecond: k.seen / elapsedS, p50: s.p50, p99: s.p99, max: s.max, errors: k.errors, wrong: k.wrong, shed: k.shed };
      console.log(`  ${k.name.padEnd(11)} ${String(k.seen).padStart(7)} ops  ${fmt(k.seen / elapsedS).padStart(6)}/s  p50 ${fmt(s.p50, 2)} ms  p99 ${fmt(s.p99, 2)} ms  max ${fmt(s.max, 0)} ms  errors ${k.errors}  wrong ${k.wrong}  shed ${k.shed}`);
      for (const e of k.firstErrors) console.log(`      ${e}`);
    }
    console.log(`  skipped (concurrency bound reached): ${skipped} of ${started}`);
    console.log(`  write-set check: ${believed} relationships acknowledged as live, ${stored} stored`);

    const after = memory.filter(([t]) => t * 1_000 >= o.warmupMs);
    // RSS saw-tooths with garbage collection (garbage piles up, a major GC frees it): what a leak
    // raises is the floor, so the verdict compares the lowest RSS of the first and last thirds.
    const third = Math.max(1, Math.floor(after.length / 3));
    const floor = (xs) => Math.min(...xs.map(([, r]) => r));
    const baseline = floor(after.slice(0, third));
    const final = floor(after.slice(-third));
    const peak = Math.max(...after.map(([, r]) => r));
    const threshold = o.thresholdMiB ?? o.cacheMiB + 0.1 * baseline;
    const growth = final - baseline;
    const perMin = slope(after) * 60;
    const flat = after.length >= 3 && growth <= threshold;
    // What the cache's own estimate does not explain (when /metrics says how big the cache is).
    const cacheGrowth = lastScrape.cacheMiB !== undefined && warmScrape?.cacheMiB !== undefined ? lastScrape.cacheMiB - warmScrape.cacheMiB : undefined;
    // Growth while the cache is still filling is expected; the verdict means most once it is full.
    const cacheFullAtWarmup = warmScrape?.cacheMiB === undefined ? undefined : warmScrape.cacheMiB >= 0.9 * o.cacheMiB;
    console.log(
      `  memory: RSS after import ${fmt(rssLoaded)} MiB; after the warm-up, lowest RSS of the first third ${fmt(baseline)} MiB, of the last third ${fmt(final)} MiB, peak ${fmt(peak)} MiB; ` +
        `growth ${fmt(growth)} MiB (threshold ${fmt(threshold)} MiB), trend ${fmt(perMin, 2)} MiB/min` +
        (lastScrape.heapMiB !== undefined ? `; heap ${fmt(lastScrape.heapMiB)} MiB, cache ${fmt(lastScrape.cacheMiB)} MiB (${lastScrape.cacheEntries} entries)` : '') +
        (cacheGrowth !== undefined ? `; the cache grew ${fmt(cacheGrowth)} MiB of it by its own estimate` : ''),
    );
    if (cacheFullAtWarmup === false) console.log(`  note: the cache was not full at the end of the warm-up (${fmt(warmScrape.cacheMiB)} of ${o.cacheMiB} MiB): part of the growth is the cache filling`);
    const wrong = Object.values(kinds).reduce((a, k) => a + k.wrong, 0);
    const errors = Object.values(kinds).reduce((a, k) => a + k.errors, 0);
    const verdict = [
      `memory ${flat ? 'FLAT' : 'GROWING'}`,
      `answers ${wrong === 0 ? 'all correct' : `${wrong} WRONG`}`,
      `errors ${errors}`,
      `write set ${stored === believed ? 'consistent' : 'INCONSISTENT'}`,
    ].join('; ');
    console.log(`verdict: ${verdict}`);
    if (!flat || wrong > 0 || errors > 0 || stored !== believed) exitCode = 1;

    if (o.appendResults) {
      appendFileSync(o.appendResults, resultsSection({ o, w, imported, loadS, summary, skipped, started, elapsedS, rssLoaded, baseline, final, peak, growth, threshold, perMin, lastScrape, cacheGrowth, cacheFullAtWarmup, warmScrape, rows, verdict }));
      console.log(`soak: appended a "Soak" section to ${o.appendResults}`);
    }
  } finally {
    grpc.close();
    server.child.kill('SIGTERM');
    const code = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
    if (code === 'timeout') server.child.kill('SIGKILL');
    console.log(`soak: server stopped (${code})${o.keep ? `; kept ${dir}` : ''}`);
    server.log.end();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = exitCode;
}

function uncertainRel(r, uncertain) {
  const m = /:soak(\d+)#/.exec(r);
  return m ? uncertain.has(Number(m[1])) : false;
}

function resultsSection(x) {
  const date = new Date().toUTCString();
  const cpu = cpus();
  // The command that reproduces the figures: without where they were written or the note on them.
  const args = [];
  for (let i = 2, argv = process.argv; i < argv.length; i++) {
    if (/^--(append-results|note)$/.test(argv[i])) i++;
    else if (!/^--(append-results|note)=/.test(argv[i])) args.push(argv[i]);
  }
  const cmd = `node bench/soak/soak.mjs ${args.join(' ')}`;
  const lines = [
    '',
    '## Soak',
    '',
    `${date}. \`${cmd}\``,
    `Workload: \`${x.w.dir}\` (${x.imported} relationships, ${x.w.queries.length} queries, ${x.w.lookups.length} lookups), imported in ${fmt(x.loadS)} s. ` +
      `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'})${x.o.note ? `; ${x.o.note}` : ''}. Server: \`warden serve\` on SQLite, --cache-mib ${x.o.cacheMiB}.`,
    '',
    `${fmt(x.elapsedS, 0)} s at ${x.o.rate} ops/s offered (at most ${x.o.concurrency} in flight; ${x.skipped} of ${x.started} skipped at that bound):`,
    '',
    '| kind | ops | ops/s | p50 ms | p99 ms | max ms | errors | wrong | shed |',
    '|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(x.summary).map(([k, s]) => `| ${k} | ${s.ops} | ${fmt(s.perSecond)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.max, 0)} | ${s.errors} | ${s.wrong} | ${s.shed} |`),
    '',
    `Server memory every interval, t: RSS / heap used / cache MiB: ${x.rows.map((r) => `${fmt(r.t, 0)}s ${fmt(r.rss, 0)}/${fmt(r.heap, 0)}/${fmt(r.cache, 1)}`).join(', ')}.`,
    `RSS after import ${fmt(x.rssLoaded)} MiB. After the warm-up (${x.o.warmupMs / 1_000} s): lowest RSS of the first third ${fmt(x.baseline)}, of the last third ${fmt(x.final)}, peak ${fmt(x.peak)} (garbage between collections); growth of the floor ${fmt(x.growth)} MiB against a threshold of ${fmt(x.threshold)} MiB (cache bound + 10% of the baseline); trend ${fmt(x.perMin, 2)} MiB/min.` +
      (x.lastScrape.heapMiB !== undefined ? ` At the end: heap used ${fmt(x.lastScrape.heapMiB)} MiB, cache ${fmt(x.lastScrape.cacheMiB)} MiB in ${x.lastScrape.cacheEntries} entries` : '') +
      (x.cacheGrowth !== undefined ? ` (the cache grew ${fmt(x.cacheGrowth)} MiB after the warm-up by its own estimate; it held ${fmt(x.warmScrape.cacheMiB)} of ${x.o.cacheMiB} MiB at the end of the warm-up).` : '.'),
    '',
    `Verdict: ${x.verdict}.`,
    '',
  ];
  return lines.join('\n');
}

main().catch((e) => {
  console.error(`soak: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
