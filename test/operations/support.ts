/**
 * A real server (memory datastore, free ports) whose log lines are captured, with small HTTP and gRPC
 * helpers for the operations tests (metrics, logs, limits and deadlines).
 */
import * as grpc from '@grpc/grpc-js';
import { WardenGrpcClient } from '../../src/api/grpc/client.js';
import type { Message } from '../../src/api/grpc/codec.js';
import { loadProtos } from '../../src/api/grpc/proto.js';
import { encodeZookie } from '../../src/core/zookie.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

export type LogLine = Record<string, unknown> & { msg: string; level: number };

export interface ObservedServer {
  server: RunningServer;
  base: string;
  grpcAddress: string;
  client: WardenGrpcClient;
  /** Every log line so far, parsed. */
  lines: LogLine[];
  /** The request lines so far. */
  requests(): LogLine[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  /** A zookie for a revision this store has not reached: reads with it wait for it. */
  futureZookie(): Promise<string>;
  close(): Promise<void>;
}

export const SCHEMA = `definition user {}

definition group {
  relation member: user | group#member
}

definition doc {
  relation viewer: user | group#member
  permission view = viewer
}
`;

/** Logs at `config.logLevel`, by default debug: every request writes a line. */
export async function startObserved(config: Partial<ServerConfig> = {}, token?: string): Promise<ObservedServer> {
  const lines: LogLine[] = [];
  const logger = createLogger(config.logLevel ?? 'debug', { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const server = await startServer(
    { ...DEFAULT_CONFIG, datastore: 'memory', host: '127.0.0.1', httpPort: 0, grpcPort: 0, bootstrap: false, shutdownGraceMs: 200, quantizationMs: 0, ...config },
    { logger },
  );
  const base = `http://127.0.0.1:${server.httpPort}`;
  const grpcAddress = `127.0.0.1:${server.grpcPort}`;
  const client = new WardenGrpcClient(grpcAddress, { token });
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return {
    server,
    base,
    grpcAddress,
    client,
    lines,
    requests: () => lines.filter((l) => l.msg === 'request'),
    async post(path, body, headers = {}) {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth, ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    },
    async futureZookie() {
      const head = await server.runtime.datastore.headRevision();
      return encodeZookie({ storeId: server.runtime.datastore.storeId, revision: head + 1000, schemaHash: '' });
    },
    async close() {
      client.close();
      await server.close();
    },
  };
}

/** A unary gRPC call with request metadata, resolving to the answer (or error) and the response headers. */
export function grpcUnary(
  address: string,
  service: 'permissions' | 'schema' | 'relationships',
  method: string,
  request: Message,
  opts: { metadata?: Record<string, string>; deadlineMs?: number } = {},
): Promise<{ error?: grpc.ServiceError; response?: Message; headers: grpc.Metadata | undefined }> {
  const def = loadProtos()[service][method] as grpc.MethodDefinition<Message, Message>;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
  const callOptions: grpc.CallOptions = opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, md, callOptions, (err, res) => {
      client.close();
      resolve(err ? { error: err, headers } : { response: res, headers });
    });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
  });
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The value of one sample of a Prometheus text exposition, e.g. `warden_requests_total{operation="check",...}`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}
