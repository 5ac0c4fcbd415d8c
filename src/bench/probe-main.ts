/**
 * A child process for the figures that need a fresh process: start-up time and resident memory.
 * Run as `node --expose-gc probe-main.js startup <sqlite-file>` or `... index <relationships.txt>`;
 * prints one JSON line (ProbeOutput) on stdout.
 *
 * Start-up is timed twice: buildRuntime alone (`ms`), and from the process's start (`processMs`).
 * Memory is the RSS after minus before, both after forced full GCs, with every module already imported
 * before the "before" reading, so the delta is the data: for `startup` the whole server runtime
 * (index, schema, SQLite's page cache, and whatever V8 kept from the load's transient garbage), for
 * `index` the RelationshipIndex alone, fed from the text file in small chunks.
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseRelationship } from '../core/refs.js';
import type { Relationship } from '../core/refs.js';
import { buildRuntime } from '../server/build.js';
import { DEFAULT_CONFIG } from '../server/config.js';
import { RelationshipIndex } from '../store/relationship-index.js';

export interface ProbeOutput {
  mode: 'startup' | 'index';
  ms: number;
  /** Process CPU time over the same span (all threads): steadier than `ms` on a shared machine. */
  cpuMs: number;
  /**
   * From the process's start (node's own start-up and loading the modules included) to the same end,
   * less the forced GCs of the "before" memory reading: what an operator waits for after starting
   * `warden serve`, but for binding the ports.
   */
  processMs: number;
  processCpuMs: number;
  relationships: number;
  rssBefore: number;
  rssAfter: number;
  heapUsedBefore: number;
  heapUsedAfter: number;
  /** ArrayBuffer memory (typed arrays live outside the V8 heap, so heapUsed does not count them). */
  arrayBuffersBefore: number;
  arrayBuffersAfter: number;
}

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

async function startup(path: string): Promise<ProbeOutput> {
  const settling = performance.now();
  const settlingCpu = process.cpuUsage();
  const before = settle();
  const settleMs = performance.now() - settling;
  const settleCpuMs = cpuMsSince(settlingCpu);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const runtime = await buildRuntime({ ...DEFAULT_CONFIG, datastore: 'sqlite', datastorePath: path, bootstrap: false });
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpu0);
  // performance.now() counts from the process's start; cpuUsage() without a base, likewise.
  const processMs = performance.now() - settleMs;
  const processCpuMs = cpuMsSince({ user: 0, system: 0 }) - settleCpuMs;
  const after = settle();
  const head = runtime.replica.head;
  const relationships = await runtime.datastore.countRelationships({}, head);
  await runtime.close();
  return { mode: 'startup', ms, cpuMs, processMs, processCpuMs, relationships, ...memoryFields(before, after) };
}

async function index(path: string): Promise<ProbeOutput> {
  const before = settle();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const idx = new RelationshipIndex();
  let chunk: Relationship[] = [];
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || line.startsWith('#')) continue;
    chunk.push(parseRelationship(line));
    if (chunk.length >= 10_000) {
      idx.load(chunk, 1);
      chunk = [];
    }
  }
  idx.load(chunk, 1);
  chunk = [];
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpu0);
  const after = settle();
  return { mode: 'index', ms, cpuMs, processMs: ms, processCpuMs: cpuMs, relationships: idx.liveCount, ...memoryFields(before, after) };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function memoryFields(before: NodeJS.MemoryUsage, after: NodeJS.MemoryUsage) {
  return {
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapUsedBefore: before.heapUsed,
    heapUsedAfter: after.heapUsed,
    arrayBuffersBefore: before.arrayBuffers,
    arrayBuffersAfter: after.arrayBuffers,
  };
}

const [mode, path] = process.argv.slice(2);
if ((mode !== 'startup' && mode !== 'index') || path === undefined) {
  process.stderr.write('usage: probe-main.js startup <sqlite-file> | index <relationships.txt>\n');
  process.exitCode = 2;
} else {
  const out = mode === 'startup' ? await startup(path) : await index(path);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
