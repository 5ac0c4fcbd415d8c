// The three servers a run measures: Warden (loaded with the workload over its own HTTP API, as a user
// would load it) and the two echo floors. Each runs in its own process, listening on 127.0.0.1 only.
import { createReadStream, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from './protos.mjs';
import { freePort, startProcess } from './processes.mjs';
import { countRelationshipLines } from './workload.mjs';

const ECHO_READY = /listening on (\S+)/;

/**
 * Starts Warden on ports chosen here (its log, which could name them, may be switched off by
 * --log-level) and waits until /healthz answers: gRPC is bound before HTTP, so both are up then.
 * `workDir` receives its stdout (and its SQLite file); `serverArgs` are extra serve flags.
 */
export async function startWarden({ datastore, script, nodeArgs, serverArgs = [], workDir, log }) {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const args = ['serve', '--datastore', datastore, '--no-bootstrap', '--host', '127.0.0.1', '--http-port', String(httpPort), '--grpc-port', String(grpcPort)];
  if (datastore === 'sqlite') args.push('--datastore-path', join(workDir, `warden-${Date.now()}.db`));
  args.push(...serverArgs);
  const http = `127.0.0.1:${httpPort}`;
  const healthy = async () => {
    try {
      return (await fetch(`http://${http}/healthz`)).ok;
    } catch {
      return false;
    }
  };
  const p = await startProcess({
    name: 'warden',
    script: script ?? join(REPO_ROOT, 'bin/warden.js'),
    args,
    nodeArgs,
    ready: healthy,
    stdoutFile: join(workDir, 'warden.out'),
    cwd: REPO_ROOT,
    log,
  });
  log(`warden: HTTP on ${http}, gRPC on 127.0.0.1:${grpcPort} (pid ${p.pid})`);
  return { name: 'warden', pid: p.pid, http, grpc: `127.0.0.1:${grpcPort}`, truncateLog: () => p.truncateStdout(), describe: () => p.describe(), running: () => p.running(), stop: () => p.stop() };
}

export async function startEcho(kind, { nodeArgs, workDir, log }) {
  const script = join(REPO_ROOT, `bench/wire/echo-${kind}-server.mjs`);
  const p = await startProcess({ name: `echo-${kind}`, script, nodeArgs, ready: ECHO_READY, stdoutFile: join(workDir, `echo-${kind}.out`), cwd: REPO_ROOT, log });
  return { name: `echo-${kind}`, pid: p.pid, [kind]: p.match[1], truncateLog: () => p.truncateStdout(), describe: () => p.describe(), running: () => p.running(), stop: () => p.stop() };
}

async function postJson(base, path, body) {
  const res = await fetch(`http://${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Streams relationships.txt to POST /v1/relationships/import (it may be tens of MB at large). */
function importRelationships(base, path) {
  const [host, port] = [base.slice(0, base.lastIndexOf(':')), Number(base.slice(base.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/v1/relationships/import', method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s) => (text += s));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`import: HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    createReadStream(path).on('error', reject).pipe(req);
  });
}

const SETTLE_SAMPLE = 20;
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Loads the schema and relationships, then waits until minimize_latency reads see them: such reads
 * use a revision up to the quantization window old, which may predate the import for a few seconds.
 * A sample is first checked fully consistent, so that a wrong answer fails at once instead of after
 * the wait.
 */
export async function loadWorkload(warden, workload, log) {
  const t0 = performance.now();
  await postJson(warden.http, '/v1/schema', { schema: workload.schema });
  const imported = await importRelationships(warden.http, workload.relationshipsPath);
  const importS = (performance.now() - t0) / 1000;
  const lines = countRelationshipLines(readFileSync(workload.relationshipsPath, 'utf8'));
  if (imported.count !== lines) log(`warning: the server imported ${imported.count} relationships; relationships.txt has ${lines} lines`);
  log(`loaded ${imported.count} relationships in ${importS.toFixed(1)} s`);

  const step = Math.max(1, Math.floor(workload.queries.length / SETTLE_SAMPLE));
  const sample = workload.queries.filter((_, i) => i % step === 0).slice(0, SETTLE_SAMPLE);
  const wrongAnswers = async (consistency) => {
    const wrong = [];
    for (const q of sample) {
      const r = await postJson(warden.http, '/v1/permissions/check', { resource: q.resource, permission: q.permission, subject: q.subject, ...consistency });
      if (r.allowed !== q.expected) wrong.push(`${q.resource}#${q.permission}@${q.subject}: expected ${q.expected}, got ${r.allowed}`);
    }
    return wrong;
  };
  const wrong = await wrongAnswers({ consistency: { fullyConsistent: true } });
  if (wrong.length > 0) throw new Error(`wrong answers after loading the workload (fully consistent):\n  ${wrong.slice(0, 5).join('\n  ')}`);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const stale = await wrongAnswers({});
    if (stale.length === 0) break;
    if (Date.now() > deadline) throw new Error(`minimize_latency reads still miss the import after ${SETTLE_TIMEOUT_MS} ms:\n  ${stale.slice(0, 5).join('\n  ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { relationships: imported.count, importSeconds: importS };
}
