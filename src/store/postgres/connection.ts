/**
 * Connections to PostgreSQL: pool and client settings with bounded waits everywhere, and the mapping
 * of driver failures to UnavailableError. Clients get a fixed message ("unreachable", "did not answer
 * in time"); the driver's own error, which may name hosts or SQL, stays in `cause` for the logs.
 */
import pg from 'pg';
import { AuthzError, UnavailableError } from '../../core/errors.js';

export interface ConnectionOptions {
  /** Most connections this process opens for queries (default 10); the LISTEN client is one more. */
  poolSize?: number;
  /** How long to wait for a new connection, or for a free one from the pool (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Server-side limit per statement, lock waits included (default 30000 ms). */
  statementTimeoutMs?: number;
  /** Server-side limit for a transaction left idle, e.g. by a stalled process holding the head lock (default 60000 ms). */
  idleInTransactionTimeoutMs?: number;
  /** Shown in pg_stat_activity (default "warden"). */
  applicationName?: string;
}

export interface ResolvedConnectionOptions {
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  applicationName: string;
}

export function resolveConnectionOptions(o: ConnectionOptions): ResolvedConnectionOptions {
  return {
    poolSize: positive(o.poolSize, 10, 'poolSize'),
    connectTimeoutMs: positive(o.connectTimeoutMs, 5000, 'connectTimeoutMs'),
    statementTimeoutMs: positive(o.statementTimeoutMs, 30_000, 'statementTimeoutMs'),
    idleInTransactionTimeoutMs: positive(o.idleInTransactionTimeoutMs, 60_000, 'idleInTransactionTimeoutMs'),
    applicationName: o.applicationName ?? 'warden',
  };
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function clientConfig(url: string, o: ResolvedConnectionOptions): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: o.applicationName,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs,
    // The server enforces statement_timeout; this client-side limit catches a network that stops
    // answering altogether (the server cannot cancel what it never hears about).
    query_timeout: o.statementTimeoutMs + 5000,
    // Detects a silently dropped connection (the LISTEN client would otherwise wait forever).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function createPool(url: string, o: ResolvedConnectionOptions, warn: (message: string) => void): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url, o), max: o.poolSize, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away (restart, failover, pg_terminate_backend) is dropped by the
  // pool, which then emits this; without a handler Node would crash. The next query connects anew.
  pool.on('error', (e) => warn(`idle PostgreSQL connection lost: ${e.message}`));
  return pool;
}

/** Message of a connection that cannot be made at startup: names the server (never the password). */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown (server restart, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Query read timeout',
  'Client was closed',
  'Cannot use a pool after calling end',
];

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection is gone or never came: the operation may be retried on another connection. */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof AuthzError) return false;
  const code = codeOf(e);
  // Class 08 is connection trouble, except 08P01 (protocol violation), which is a bug, not an outage.
  if (code !== undefined && (CONNECTION_CODES.has(code) || (code.startsWith('08') && code !== '08P01'))) return true;
  const message = e instanceof Error ? e.message : '';
  if (CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
  // A DNS or socket failure may arrive wrapped in an AggregateError (one per address tried).
  return e instanceof AggregateError && e.errors.some(isConnectionError);
}

/** statement_timeout (or a cancel) ended the statement: the connection itself is fine. */
export function isTimeout(e: unknown): boolean {
  return codeOf(e) === '57014';
}

/** An UnavailableError whose `cause` keeps the driver's error for logging. */
export class PostgresUnavailableError extends UnavailableError {
  constructor(message: string, cause: unknown) {
    super(message);
    this.cause = cause;
  }
}

/**
 * Maps a failure to what a client may see: typed errors pass through, connection failures and
 * timeouts become UnavailableError; anything else (a bug, a broken database) is rethrown as is and
 * becomes INTERNAL, with a generic message, at the transport.
 */
export function toStoreError(e: unknown, o: ResolvedConnectionOptions): unknown {
  if (e instanceof AuthzError) return e;
  if (isTimeout(e)) {
    return new PostgresUnavailableError(`the PostgreSQL database did not answer within ${o.statementTimeoutMs} ms; retry later`, e);
  }
  const message = e instanceof Error ? e.message : '';
  if (message.includes('timeout exceeded when trying to connect')) {
    return new PostgresUnavailableError(
      `no PostgreSQL connection could be had within ${o.connectTimeoutMs} ms (pool of ${o.poolSize}): the database is unreachable or overloaded; retry later`,
      e,
    );
  }
  if (isConnectionError(e)) return new PostgresUnavailableError('the PostgreSQL database is unreachable; retry later', e);
  return e;
}
