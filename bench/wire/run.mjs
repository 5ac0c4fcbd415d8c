#!/usr/bin/env node
// Over-the-wire benchmark of Warden (see README.md here). This process only orchestrates: the servers
// and the load generator each run in their own process, and it stays idle while they are measured.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, USAGE } from './lib/args.mjs';
import { REPO_ROOT } from './lib/protos.mjs';
import { buildRows, markdownTable, notes } from './lib/report.mjs';
import { loadWorkload, startEcho, startWarden } from './lib/targets.mjs';
import { readWorkload } from './lib/workload.mjs';

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`wire bench: ${e.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const log = opts.quiet ? () => {} : (s) => process.stderr.write(`${s}\n`);

class RunFailure extends Error {}

/** The load generator as an object with one call per message kind. */
function startLoadGenerator() {
  const child = fork(join(REPO_ROOT, 'bench/wire/load-generator.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting;
  child.on('message', (m) => waiting?.(m));
  child.on('exit', (code) => waiting?.({ type: 'failed', message: `the load generator exited (${code})` }));
  const next = () => new Promise((resolve) => (waiting = resolve));
  const call = async (msg, expect) => {
    const reply = next();
    child.send(msg);
    const m = await reply;
    if (m.type !== expect) throw new RunFailure(m.message ?? `load generator: unexpected ${m.type}`);
    return m;
  };
  return {
    ready: next().then((m) => {
      if (m.type !== 'hello') throw new RunFailure(m.message ?? 'the load generator did not start');
    }),
    loadQueries: (queriesPath) => call({ type: 'workload', queriesPath }, 'workload'),
    run: async (job) => (await call({ type: 'run', job }, 'result')).result,
    prime: async (job) => (await call({ type: 'prime', job }, 'result')).result,
    stop: () => {
      if (child.connected) child.send({ type: 'exit' });
    },
  };
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function planFor(o) {
  const plan = [];
  for (const scenario of o.scenarios) {
    for (const concurrency of scenario === 'grpc-bulk' ? o.bulkConcurrency : o.concurrency) plan.push({ scenario, concurrency });
  }
  return plan;
}

function describe(r) {
  const f = (n) => (n === null ? '–' : n.toFixed(3));
  const c = (n) => (typeof n === 'number' ? `${Math.round(n * 100)}%` : '–');
  return `${Math.round(r.throughput).toLocaleString('en-US')}/s p50 ${f(r.latency.p50)} p95 ${f(r.latency.p95)} p99 ${f(r.latency.p99)} ms, cpu server ${c(r.cpu?.server)} loadgen ${c(r.cpu?.loadGenerator)}, server ${r.serverCpuUsPerUnit?.toFixed(1) ?? '–'} µs/check`;
}

const MAX_RESTARTS = 2;

/** Starts Warden, loads the workload and primes the cache: a server ready to be measured. */
async function bringUp(workload, gen, workDir, size) {
  const warden = await startWarden({
    datastore: opts.datastore,
    script: opts.warden && resolve(opts.warden),
    nodeArgs: opts.serverNodeArgs,
    serverArgs: opts.serverArgs,
    workDir,
    log: (s) => log(`  ${s}`),
  });
  try {
    const loaded = await loadWorkload(warden, workload, (s) => log(`  ${s}`));
    Object.assign(size, loaded, { rssAfterLoadMiB: rssMiB(warden.pid) });
    if (opts.prime) {
      const p = await gen.prime({ target: { grpc: warden.grpc, pid: warden.pid }, bulkSize: opts.bulkSize });
      size.answersChecked += p.answersChecked;
      size.mismatches += p.mismatches;
      size.primeSeconds = p.elapsedS;
      log(`  primed the cache: ${p.answers.toLocaleString('en-US')} checks in ${p.elapsedS.toFixed(1)} s`);
      if (p.mismatches > 0 || p.errors > 0) throw new RunFailure(`priming: ${p.mismatches} wrong answers, ${p.errors} errors:\n  ${p.examples.join('\n  ')}`);
    }
    warden.truncateLog();
    return warden;
  } catch (e) {
    await warden.stop();
    throw e;
  }
}

async function benchSize(workload, gen, floors, workDir) {
  log(`\n== ${workload.label} (${workload.dir}): starting Warden (${opts.datastore})`);
  const size = { label: workload.label, dir: workload.dir, rows: [], answersChecked: 0, mismatches: 0, errors: [], restarts: [] };
  await gen.loadQueries(join(workload.dir, 'queries.jsonl'));
  let warden = await bringUp(workload, gen, workDir, size);
  try {
    const plan = planFor(opts);
    const runs = new Map();
    for (let rep = 1; rep <= opts.repeats; rep++) {
      for (const { scenario, concurrency } of plan) {
        const floor = scenario.startsWith('grpc') ? floors.grpc : floors.http;
        // The floor first, then Warden, back to back: both see the machine in the same state.
        const roles = floor ? ['floor', 'warden'] : ['warden'];
        for (const role of roles) {
          const job = {
            scenario,
            concurrency,
            verify: role === 'warden',
            channels: opts.channels,
            bulkSize: opts.bulkSize,
            warmupMs: opts.warmupS * 1000,
            durationMs: opts.durationS * 1000,
            maxRequests: opts.maxRequests,
          };
          let r;
          for (;;) {
            const target = role === 'warden' ? warden : floor;
            let failure;
            try {
              r = await gen.run({ ...job, target: { grpc: target.grpc, http: target.http, pid: target.pid } });
            } catch (e) {
              failure = e;
            }
            if (target.running()) {
              if (failure) throw new RunFailure(`${scenario} x${concurrency} against ${role}: ${failure.message}\n${target.describe()}`);
              // Logs of a run are of no further use; this keeps a large run's files small.
              target.truncateLog();
              break;
            }
            // On a shared machine something else may stop a server (a stray SIGTERM has been seen):
            // Warden is started again, loaded and primed, and the run repeated, a bounded number of times.
            const why = `${scenario} x${concurrency} against ${role}: the server stopped during the run: ${target.describe()}`;
            if (role !== 'warden' || size.restarts.length >= MAX_RESTARTS) throw new RunFailure(why);
            size.restarts.push(why);
            log(`  ${why}\n  starting another Warden`);
            await warden.stop();
            warden = await bringUp(workload, gen, workDir, size);
          }
          size.answersChecked += r.answersChecked;
          size.mismatches += r.mismatches;
          log(`  [${rep}/${opts.repeats}] ${scenario} x${concurrency} ${role}: ${describe(r)}${r.mismatches || r.errors ? ` — ${r.mismatches} mismatches, ${r.errors} errors` : ''}`);
          // A wrong answer makes every figure meaningless: stop. Failed requests (timeouts under
          // overload) are part of the result: keep going, report them, and fail the run at the end.
          if (r.mismatches > 0) {
            throw new RunFailure(`${scenario} x${concurrency} against ${role}: ${r.mismatches} wrong answers, ${r.errors} errors:\n  ${r.examples.join('\n  ')}`);
          }
          if (r.errors > 0) size.errors.push(`${scenario} x${concurrency} against ${role} (run ${rep}): ${r.errors} failed requests: ${r.examples.join('; ')}`);
          const key = `${scenario}/${concurrency}/${role}`;
          if (!runs.has(key)) runs.set(key, []);
          runs.get(key).push(r);
        }
      }
    }
    size.rows = buildRows(plan, runs);
    size.rssAfterRunsMiB = rssMiB(warden.pid);
    return size;
  } finally {
    await warden.stop();
  }
}

async function main() {
  const started = new Date();
  const workloads = opts.workloads.map(readWorkload);
  const gen = startLoadGenerator();
  const floors = { grpc: null, http: null };
  const workDir = mkdtempSync(join(tmpdir(), 'warden-wire-'));
  const result = {
    date: started.toISOString(),
    command: `node bench/wire/run.mjs ${process.argv.slice(2).join(' ')}`,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() },
    // Other work on a shared machine takes cores from both sides; the load averages say how much.
    loadAverage: { atStart: loadavg().map((n) => Math.round(n * 100) / 100), atEnd: null },
    options: { ...opts, workloads: undefined },
    sizes: [],
    ok: true,
    failure: null,
  };
  try {
    await gen.ready;
    if (opts.floor) {
      const quiet = () => {};
      const echo = { nodeArgs: opts.floorNodeArgs, workDir, log: quiet };
      if (opts.scenarios.some((s) => s.startsWith('grpc'))) floors.grpc = await startEcho('grpc', echo);
      if (opts.scenarios.includes('http-check')) floors.http = await startEcho('http', echo);
    }
    for (const w of workloads) result.sizes.push(await benchSize(w, gen, floors, workDir));
  } catch (e) {
    result.ok = false;
    result.failure = e instanceof RunFailure ? e.message : (e?.stack ?? String(e));
  } finally {
    gen.stop();
    await Promise.all([floors.grpc?.stop(), floors.http?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  }
  const failedRequests = result.sizes.flatMap((s) => s.errors.map((e) => `${s.label}: ${e}`));
  if (result.ok && failedRequests.length > 0) {
    result.ok = false;
    result.failure = `requests failed (all answers that came back were right):\n  ${failedRequests.join('\n  ')}`;
  }
  result.finished = new Date().toISOString();
  result.loadAverage.atEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  if (opts.out) writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`Over the wire: ${result.date}, ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}`);
    console.log(`command: ${result.command}`);
    console.log(`load average (1/5/15 min): ${result.loadAverage.atStart.join(' ')} at start, ${result.loadAverage.atEnd.join(' ')} at the end\n`);
    console.log(markdownTable(result.sizes));
    console.log(`\n${notes(result)}`);
  }
  if (!result.ok) {
    console.error(`\nwire bench FAILED: ${result.failure}`);
    process.exitCode = 1;
  }
}

await main();
