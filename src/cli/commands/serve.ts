/** `warden serve`: runs the server until SIGTERM / SIGINT, then shuts down gracefully. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_CONFIG, type DatastoreKind, type ServerConfig } from '../../server/config.js';
import { formatDuration, parseDuration } from '../../server/gc.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../../server/logger.js';
import { startServer } from '../../server/server.js';

/** Commander reports an InvalidArgumentError as a one-line usage error instead of a stack trace. */
function duration(name: string) {
  return (v: string) => {
    try {
      return parseDuration(v, name);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
}

export function registerServeCommand(program: Command): void {
  const d = DEFAULT_CONFIG;
  program
    .command('serve')
    .description('run the Warden server (gRPC and HTTP)')
    .addOption(new Option('--datastore <kind>', 'where relationships live').choices(['sqlite', 'memory', 'postgres']).default(d.datastore).env('WARDEN_DATASTORE'))
    .addOption(new Option('--datastore-path <file>', 'SQLite file').default(d.datastorePath).env('WARDEN_DATASTORE_PATH'))
    .addOption(new Option('--datastore-url <url>', 'PostgreSQL URL').env('WARDEN_DATASTORE_URL'))
    .addOption(new Option('--datastore-schema <name>', 'PostgreSQL schema holding the tables (default public)').env('WARDEN_DATASTORE_SCHEMA'))
    .addOption(new Option('--migrate', 'run pending PostgreSQL migrations before serving').default(false).env('WARDEN_MIGRATE'))
    .addOption(new Option('--host <address>', 'address to listen on').default(d.host).env('WARDEN_HOST'))
    .addOption(new Option('--http-port <port>', 'HTTP port (0: any free port)').default(d.httpPort).argParser(int('http-port')).env('WARDEN_HTTP_PORT'))
    .addOption(new Option('--grpc-port <port>', 'gRPC port (0: any free port)').default(d.grpcPort).argParser(int('grpc-port')).env('WARDEN_GRPC_PORT'))
    .addOption(new Option('--preshared-key <key>', 'require `Authorization: Bearer <key>` on every API call').env('WARDEN_PRESHARED_KEY'))
    .addOption(
      new Option('--insecure-allow-unauthenticated', 'allow a non-loopback --host without a preshared key').default(false).env('WARDEN_INSECURE_ALLOW_UNAUTHENTICATED'),
    )
    .addOption(new Option('--no-bootstrap', 'do not load examples/workspace into an empty store').env('WARDEN_NO_BOOTSTRAP'))
    .addOption(new Option('--quantization-ms <ms>', 'minimize_latency reads at a revision at most this old').default(d.quantizationMs).argParser(int('quantization-ms')).env('WARDEN_QUANTIZATION_MS'))
    .addOption(new Option('--cache-mib <MiB>', 'memory for the sub-problem cache').default(d.cacheMiB).argParser(int('cache-mib')).env('WARDEN_CACHE_MIB'))
    .addOption(
      new Option('--gc-window <duration>', 'history (and zookies) older than this is garbage-collected, e.g. 24h, 30m')
        .default(d.gcWindowMs, formatDuration(d.gcWindowMs))
        .argParser(duration('gc-window'))
        .env('WARDEN_GC_WINDOW'),
    )
    .addOption(
      new Option('--gc-interval <duration>', 'time between garbage collections (0: never)')
        .default(d.gcIntervalMs, formatDuration(d.gcIntervalMs))
        .argParser(duration('gc-interval'))
        .env('WARDEN_GC_INTERVAL'),
    )
    .addOption(new Option('--max-depth <n>', 'deepest graph walk before an error').default(d.limits.maxDepth).argParser(int('max-depth')).env('WARDEN_MAX_DEPTH'))
    .addOption(
      new Option('--max-dispatches <n>', 'graph dispatches one request may make before RESOURCE_EXHAUSTED')
        .default(d.limits.maxDispatchesPerRequest)
        .argParser(int('max-dispatches'))
        .env('WARDEN_MAX_DISPATCHES'),
    )
    .addOption(
      new Option('--max-concurrent-requests <n>', 'requests served at once (streams until they end); more get RESOURCE_EXHAUSTED / 429 (0: no limit)')
        .default(d.maxConcurrentRequests)
        .argParser(int('max-concurrent-requests'))
        .env('WARDEN_MAX_CONCURRENT_REQUESTS'),
    )
    .addOption(
      new Option('--log-level <level>', 'least severe log level written (JSON lines on stdout; a line per request at debug, failed and slow ones at info)')
        .choices(LOG_LEVELS)
        .default(d.logLevel)
        .env('WARDEN_LOG_LEVEL'),
    )
    .addOption(
      new Option('--slow-request-ms <ms>', 'log a successful request slower than this at info')
        .default(d.slowRequestMs)
        .argParser(int('slow-request-ms'))
        .env('WARDEN_SLOW_REQUEST_MS'),
    )
    .addOption(new Option('--metrics-require-key', 'require the preshared key on GET /metrics (open by default, like /healthz)').default(false).env('WARDEN_METRICS_REQUIRE_KEY'))
    .action(async (opts: Record<string, unknown>) => {
      const config: ServerConfig = {
        ...d,
        datastore: opts.datastore as DatastoreKind,
        datastorePath: opts.datastorePath as string,
        ...(opts.datastoreUrl ? { datastoreUrl: opts.datastoreUrl as string } : {}),
        ...(opts.datastoreSchema ? { datastoreSchema: opts.datastoreSchema as string } : {}),
        migrate: Boolean(opts.migrate),
        host: opts.host as string,
        httpPort: opts.httpPort as number,
        grpcPort: opts.grpcPort as number,
        ...(opts.presharedKey ? { presharedKey: opts.presharedKey as string } : {}),
        insecureAllowUnauthenticated: Boolean(opts.insecureAllowUnauthenticated),
        bootstrap: opts.bootstrap !== false,
        quantizationMs: opts.quantizationMs as number,
        cacheMiB: opts.cacheMib as number,
        gcWindowMs: opts.gcWindow as number,
        gcIntervalMs: opts.gcInterval as number,
        logLevel: opts.logLevel as LogLevel,
        slowRequestMs: opts.slowRequestMs as number,
        maxConcurrentRequests: opts.maxConcurrentRequests as number,
        metricsRequireKey: Boolean(opts.metricsRequireKey),
        limits: { ...d.limits, maxDepth: opts.maxDepth as number, maxDispatchesPerRequest: opts.maxDispatches as number },
      };
      const logger = createLogger(config.logLevel);
      let server;
      try {
        server = await startServer(config, { logger });
      } catch (e) {
        logger.error(`cannot start: ${(e as Error).message}`);
        process.exit(2);
      }
      const where = config.datastore === 'sqlite' ? `sqlite at ${config.datastorePath}` : config.datastore === 'postgres' ? 'postgres' : 'memory (nothing is kept)';
      if (server.bootstrapped !== undefined) {
        logger.info({ relationships: server.bootstrapped }, `empty store: loaded examples/workspace (${server.bootstrapped} relationships)`);
      }
      const http = `http://${config.host}:${server.httpPort}`;
      const grpc = `${config.host}:${server.grpcPort}`;
      // Scripts and tests read the ports from this wording: keep "HTTP on <url>, gRPC on <address> ".
      logger.info({ http, grpc, datastore: config.datastore }, `serving ${where}; HTTP on ${http}, gRPC on ${grpc} (metrics at ${http}/metrics)`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, `${signal}: finishing in-flight requests, then closing`);
        server.close().then(
          () => {
            logger.info('closed');
            process.exit(0);
          },
          (e: unknown) => {
            logger.error(`shutdown failed: ${(e as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
