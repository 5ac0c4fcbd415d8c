/**
 * Starts Warden: the runtime (store, index, engine, service), then gRPC and HTTP on their ports.
 * `close()` is the graceful path: stop accepting, let in-flight requests finish (bounded), close the store.
 */
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer } from '../api/grpc/server.js';
import { createHttpApp } from '../api/http/app.js';
import { httpListener } from '../api/http/check-lane.js';
import { buildRuntime, type Runtime } from './build.js';
import { bootstrapIfEmpty } from './bootstrap.js';
import { checkConfig, type ServerConfig } from './config.js';
import { decorateService, edgeObserver } from './decorators/decorate.js';
import { createLogger, type Logger } from './logger.js';
import { WardenMetrics } from './metrics.js';
import { WARDEN_VERSION } from './version.js';

export interface RunningServer {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly runtime: Runtime;
  /** Set when the first start loaded the example workspace. */
  readonly bootstrapped: number | undefined;
  readonly logger: Logger;
  readonly metrics: WardenMetrics;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Where logs go. None by default: a library call (tests, embedding) does not write to stdout unless
   * asked; `warden serve` passes its stdout logger at `config.logLevel`.
   */
  logger?: Logger;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  checkConfig(config);
  const logger = options.logger ?? createLogger('silent');
  const metrics = new WardenMetrics();
  const runtime = await buildRuntime(config, { datastoreTimer: metrics.datastoreTimer });
  metrics.watch(runtime);
  // Bootstrap below uses the bare service: loading the example is not a request.
  const decorations = { logger, metrics, maxConcurrentRequests: config.maxConcurrentRequests, slowRequestMs: config.slowRequestMs };
  const service = decorateService(runtime.service, decorations);
  const observer = edgeObserver(decorations);
  let bootstrapped: number | undefined;
  try {
    if (config.bootstrap) {
      const b = await bootstrapIfEmpty(runtime.datastore, runtime.service, config.bootstrapDir);
      if (b.loaded) bootstrapped = b.relationships;
    }
  } catch (e) {
    await runtime.close();
    throw e;
  }

  const grpcServer = createGrpcServer({
    service,
    observer,
    presharedKey: config.presharedKey,
    maxMessageBytes: config.limits.maxRequestBytes,
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  ).catch(async (e: Error) => {
    await runtime.close();
    throw new Error(`cannot listen for gRPC on ${config.host}:${config.grpcPort}: ${e.message}`);
  });

  const app = createHttpApp({
    service,
    observer,
    metrics: { scrape: () => metrics.scrape(), requireKey: config.metricsRequireKey },
    presharedKey: config.presharedKey,
    maxBodyBytes: config.limits.maxRequestBytes,
    version: WARDEN_VERSION,
  });
  let httpServer: HttpServer;
  try {
    httpServer = await new Promise<HttpServer>((resolve, reject) => {
      const listener = httpListener(app, {
        service,
        observer,
        presharedKey: config.presharedKey,
        maxBodyBytes: config.limits.maxRequestBytes,
        hostname: config.host,
      });
      const s = createHttpServer(listener);
      s.once('listening', () => resolve(s));
      s.once('error', reject);
      s.listen(config.httpPort, config.host);
    });
  } catch (e) {
    grpcServer.forceShutdown();
    await runtime.close();
    throw new Error(`cannot listen for HTTP on ${config.host}:${config.httpPort}: ${(e as Error).message}`);
  }
  const httpPort = (httpServer.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    httpPort,
    grpcPort,
    runtime,
    bootstrapped,
    logger,
    metrics,
    close() {
      closing ??= (async () => {
        const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
        const httpClosed = new Promise<void>((r) => httpServer.close(() => r()));
        // Idle keep-alive sockets would hold close() open until they time out.
        httpServer.closeIdleConnections?.();
        const grpcClosed = new Promise<void>((r) => grpcServer.tryShutdown(() => r()));
        await Promise.race([Promise.all([httpClosed, grpcClosed]), grace]);
        httpServer.closeAllConnections?.();
        grpcServer.forceShutdown();
        await runtime.close();
      })();
      return closing;
    },
  };
}
