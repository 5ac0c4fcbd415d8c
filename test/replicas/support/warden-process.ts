/**
 * Warden server processes for the replica tests: `node bin/warden.js serve` over one PostgreSQL
 * schema, on ports the OS picks (read back from the line the server prints when it listens).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './dist.js';

const BIN = `${REPO_ROOT}bin/warden.js`;
const LISTENING = /HTTP on http:\/\/127\.0\.0\.1:(\d+), gRPC on 127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** Every process started here, so that a failed test never leaves one running. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The environment without WARDEN_* settings of the developer's shell: the flags say everything. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARDEN_')) env[k] = v;
  return env;
}

export interface WardenProcess {
  readonly name: string;
  readonly pid: number;
  readonly httpUrl: string;
  readonly grpcPort: number;
  /** stdout and stderr so far (for failure messages and log assertions). */
  output(): string;
  /** SIGTERM and wait for the graceful exit (SIGKILL after a bound). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no goodbye to the database. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export interface ReplicaOptions {
  url: string;
  schema: string;
  name: string;
  extraArgs?: readonly string[];
}

export function startReplica(o: ReplicaOptions): Promise<WardenProcess> {
  const args = [
    BIN,
    'serve',
    '--datastore',
    'postgres',
    '--datastore-url',
    o.url,
    '--datastore-schema',
    o.schema,
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    '--no-bootstrap',
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return new Promise<WardenProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${o.name} did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = LISTENING.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        name: o.name,
        pid: child.pid!,
        httpUrl: `http://127.0.0.1:${m[1]}`,
        grpcPort: Number(m[2]),
        output: () => out,
        exited,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${o.name} exited (${String(code)}) before listening:\n${out}`));
    });
  });
}

/** `warden migrate` as an operator would run it once before starting the replicas. */
export function runWarden(args: readonly string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, output });
    }),
  );
}

export async function migrate(url: string, schema: string): Promise<void> {
  const r = await runWarden(['migrate', '--datastore-url', url, '--datastore-schema', schema]);
  if (r.code !== 0) throw new Error(`warden migrate failed (${String(r.code)}):\n${r.output}`);
}
