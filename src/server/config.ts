/** Server configuration: defaults, and the environment variables every flag can also come from. */
import { DEFAULT_LIMITS, type Limits } from '../service/types.js';
import { DEFAULT_GC_INTERVAL_MS, DEFAULT_GC_WINDOW_MS, checkGcOptions } from './gc.js';
import { DEFAULT_SLOW_REQUEST_MS } from './decorators/logging-service.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger.js';

export type DatastoreKind = 'sqlite' | 'memory' | 'postgres';

export interface ServerConfig {
  datastore: DatastoreKind;
  /** SQLite file (datastore sqlite). */
  datastorePath: string;
  /** Connection URL (datastore postgres). */
  datastoreUrl?: string;
  /** PostgreSQL schema (namespace) holding Warden's tables; default "public". */
  datastoreSchema?: string;
  /** Run pending PostgreSQL migrations at start instead of refusing to start. */
  migrate: boolean;
  host: string;
  httpPort: number;
  grpcPort: number;
  /** When set, both transports require `Authorization: Bearer <key>`. */
  presharedKey?: string;
  /** Allow listening on a non-loopback address without a key (off: refuse to start). */
  insecureAllowUnauthenticated: boolean;
  /** Load examples/workspace into an empty store on first start. */
  bootstrap: boolean;
  bootstrapDir: string;
  /** minimize_latency reads at a revision at most this old (ms). */
  quantizationMs: number;
  /** How long a read waits for a newer revision named by a zookie (ms). */
  freshnessWaitMs: number;
  /** How long in-flight requests may finish after SIGTERM before the process closes anyway (ms). */
  shutdownGraceMs: number;
  importBatchSize: number;
  /** Memory the sub-problem cache may use, in MiB. */
  cacheMiB: number;
  /** History older than this is garbage-collected (ms). */
  gcWindowMs: number;
  /** Time between garbage collections (ms); 0: never. */
  gcIntervalMs: number;
  /** Least severe log level written (pino's levels). Request lines: `debug`, `info` when failed or slow. */
  logLevel: LogLevel;
  /** A successful request slower than this (ms) is logged at `info`, with `slow: true`. */
  slowRequestMs: number;
  /** Calls served at once (streams count until they end); more fail with RESOURCE_EXHAUSTED / 429. 0: no limit. */
  maxConcurrentRequests: number;
  /** Put GET /metrics behind the preshared key; by default it is open, like /healthz. */
  metricsRequireKey: boolean;
  limits: Limits;
}

export const DEFAULT_CONFIG: ServerConfig = {
  datastore: 'sqlite',
  datastorePath: './data/warden.db',
  host: '127.0.0.1',
  httpPort: 8080,
  grpcPort: 50051,
  insecureAllowUnauthenticated: false,
  migrate: false,
  bootstrap: true,
  bootstrapDir: new URL('../../examples/workspace/', import.meta.url).pathname,
  quantizationMs: 5_000,
  freshnessWaitMs: 5_000,
  shutdownGraceMs: 10_000,
  importBatchSize: 5_000,
  cacheMiB: 128,
  gcWindowMs: DEFAULT_GC_WINDOW_MS,
  gcIntervalMs: DEFAULT_GC_INTERVAL_MS,
  logLevel: 'info',
  slowRequestMs: DEFAULT_SLOW_REQUEST_MS,
  maxConcurrentRequests: 1_000,
  metricsRequireKey: false,
  limits: DEFAULT_LIMITS,
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Refuses configurations that are unsafe or cannot work, with a message that says what to change. */
export function checkConfig(c: ServerConfig): void {
  if (!isLoopback(c.host) && !c.presharedKey && !c.insecureAllowUnauthenticated) {
    throw new Error(
      `refusing to listen on ${c.host} without a preshared key: set --preshared-key (WARDEN_PRESHARED_KEY), or pass --insecure-allow-unauthenticated if this is really wanted`,
    );
  }
  if (c.datastore === 'postgres' && !c.datastoreUrl) {
    throw new Error('--datastore postgres needs --datastore-url (WARDEN_DATASTORE_URL)');
  }
  for (const [name, port] of [
    ['http-port', c.httpPort],
    ['grpc-port', c.grpcPort],
  ] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} must be a port number (0-65535), got ${port}`);
  }
  checkGcOptions({ windowMs: c.gcWindowMs, intervalMs: c.gcIntervalMs });
  if (!isLogLevel(c.logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${String(c.logLevel)}"`);
  if (!Number.isFinite(c.slowRequestMs) || c.slowRequestMs < 0) throw new Error(`--slow-request-ms must be a non-negative number, got ${c.slowRequestMs}`);
  if (!Number.isInteger(c.maxConcurrentRequests) || c.maxConcurrentRequests < 0) {
    throw new Error(`--max-concurrent-requests must be a non-negative integer (0: no limit), got ${c.maxConcurrentRequests}`);
  }
  if (!Number.isInteger(c.limits.maxDispatchesPerRequest) || c.limits.maxDispatchesPerRequest < 1) {
    throw new Error(`--max-dispatches must be a positive integer, got ${c.limits.maxDispatchesPerRequest}`);
  }
}
