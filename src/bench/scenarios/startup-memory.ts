/**
 * Start-up time and resident memory per relationship, each from a fresh child process (probe-main.ts):
 * in this process the heap already holds the workload, the parsed queries and the benchmark's own
 * runtime, so neither an RSS delta nor a cold start would mean anything here.
 *
 * - startup: buildRuntime on the existing SQLite file (open, migrate check, load the index, compile the
 *   schema), timed from the process's start (`processMs`, the figure the target is judged on: an
 *   operator waits for node and the modules to load too) and alone (`ms`); its RSS delta over the
 *   relationship count is the server's resident memory per relationship, also a target.
 * - index: the RelationshipIndex alone, loaded from relationships.txt: what the index itself costs,
 *   without SQLite's page cache or the start-up's transient garbage.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProbeOutput } from '../probe-main.js';
import type { ScenarioResult } from './types.js';

const PROBE = fileURLToPath(new URL('../probe-main.js', import.meta.url));
const PROBE_TIMEOUT_MS = 180_000;

/** Why the probe cannot run here (e.g. under vitest, from TypeScript sources), or undefined. */
export function probeUnavailable(): string | undefined {
  return existsSync(PROBE) ? undefined : `needs the compiled probe (${PROBE}); run \`npm run build\` and use \`warden bench\``;
}

export async function runStartupScenario(sqlitePath: string): Promise<ScenarioResult> {
  const why = probeUnavailable();
  if (why !== undefined) return { scenario: 'startup-sqlite', skipped: why };
  const p = await runProbe('startup', sqlitePath);
  return {
    scenario: 'startup-sqlite',
    values: {
      processMs: p.processMs,
      processCpuMs: p.processCpuMs,
      ms: p.ms,
      cpuMs: p.cpuMs,
      usPerRelationship: (p.ms * 1000) / Math.max(1, p.relationships),
      relationships: p.relationships,
      rssBytesPerRelationship: (p.rssAfter - p.rssBefore) / Math.max(1, p.relationships),
      heapBytesPerRelationship: (p.heapUsedAfter - p.heapUsedBefore) / Math.max(1, p.relationships),
      arrayBufferBytesPerRelationship: (p.arrayBuffersAfter - p.arrayBuffersBefore) / Math.max(1, p.relationships),
      rssMiB: (p.rssAfter - p.rssBefore) / 2 ** 20,
    },
  };
}

export async function runIndexMemoryScenario(relationshipsPath: string): Promise<ScenarioResult> {
  const why = probeUnavailable();
  if (why !== undefined) return { scenario: 'memory-index', skipped: why };
  const p = await runProbe('index', relationshipsPath);
  return {
    scenario: 'memory-index',
    values: {
      rssBytesPerRelationship: (p.rssAfter - p.rssBefore) / Math.max(1, p.relationships),
      heapBytesPerRelationship: (p.heapUsedAfter - p.heapUsedBefore) / Math.max(1, p.relationships),
      arrayBufferBytesPerRelationship: (p.arrayBuffersAfter - p.arrayBuffersBefore) / Math.max(1, p.relationships),
      loadMs: p.ms,
      loadCpuMs: p.cpuMs,
      relationships: p.relationships,
    },
  };
}

function runProbe(mode: 'startup' | 'index', path: string): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', PROBE, mode, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || last === '') {
        reject(new Error(`memory/start-up probe (${mode}) failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(last) as ProbeOutput);
    });
  });
}
