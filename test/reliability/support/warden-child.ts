/**
 * `node bin/warden.js serve` on a SQLite file as a child process, on ports the OS picks (read back from
 * the line the server prints once it listens), so that a test can SIGKILL it like a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${REPO_ROOT}bin/warden.js`;
const LISTENING = /HTTP on http:\/\/127\.0\.0\.1:(\d+), gRPC on 127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** Every child started here, so that a failed test never leaves one running. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The environment without the developer's WARDEN_* settings: the flags say everything. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARDEN_')) env[k] = v;
  return env;
}

export interface WardenChild {
  readonly pid: number;
  readonly httpUrl: string;
  readonly grpcPort: number;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed by Warden. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful exit (SIGKILL after a bound). */
  stop(): Promise<number | null>;
}

export function startSqliteWarden(dbPath: string, extraArgs: readonly string[] = []): Promise<WardenChild> {
  const args = [BIN, 'serve', '--datastore', 'sqlite', '--datastore-path', dbPath, '--no-bootstrap', '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', ...extraArgs];
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
  const alive = () => child.exitCode === null && child.signalCode === null;
  return new Promise<WardenChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`warden did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = LISTENING.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        pid: child.pid!,
        httpUrl: `http://127.0.0.1:${m[1]}`,
        grpcPort: Number(m[2]),
        output: () => out,
        async kill() {
          if (alive()) child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          if (!alive()) return child.exitCode;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`warden exited (${String(code)}) before listening:\n${out}`));
    });
  });
}
