/**
 * The gRPC transport: every warden.v1 service, grpc.health.v1.Health and server reflection (so that
 * `grpcurl -plaintext HOST:PORT list` works) on one grpc-js Server. The caller binds and shuts it down.
 */
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { WardenService } from '../../service/types.js';
import { bearerChecker } from '../auth.js';
import type { EdgeObserver } from '../request-context.js';
import { guard, implement, type Authorizer, type HandlerTable } from './calls.js';
import { permissionsHandlers, relationshipsHandlers, schemaHandlers, watchHandlers } from './handlers.js';
import { healthImplementation } from './health.js';
import { loadProtos } from './proto.js';
import { scopeRequests } from './request-scope.js';

export interface GrpcServerOptions {
  service: WardenService;
  /** When set, every call except health checks needs metadata `authorization: Bearer <key>`. */
  presharedKey?: string | undefined;
  /** Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  /** How often a health Watch re-reads readiness (ms). */
  healthPollMs?: number;
  /** Told about calls that failed before reaching the service (refused key, undecodable request). */
  observer?: EdgeObserver | undefined;
}

export function createGrpcServer(opts: GrpcServerOptions): grpc.Server {
  const protos = loadProtos();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
  });
  const authorize: Authorizer | undefined = bearerChecker(opts.presharedKey);
  // Reflection registers itself through addService; routing that through the guard keeps "every call but
  // health needs the key" true for it too. Health checks stay outside the request scope: probes are
  // not requests worth an id, a log line or a metric.
  const guarded: Pick<grpc.Server, 'addService'> = {
    addService: (def, impl) => server.addService(def, scopeRequests(def, authorize ? guard(def, impl, authorize) : impl, opts.observer)),
  };
  const tables: [grpc.ServiceDefinition, HandlerTable][] = [
    [protos.permissions, permissionsHandlers(opts.service)],
    [protos.relationships, relationshipsHandlers(opts.service)],
    [protos.schema, schemaHandlers(opts.service)],
    [protos.watch, watchHandlers(opts.service)],
  ];
  for (const [def, table] of tables) guarded.addService(def, implement(def, table));
  new ReflectionService(protos.packageDefinition).addToServer(guarded);
  server.addService(protos.health, healthImplementation(opts.service, opts.healthPollMs));
  return server;
}

/** Binds to `address` (`host:port`, port 0 for any free port) without TLS; resolves to the bound port. */
export function bindGrpcServer(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}
