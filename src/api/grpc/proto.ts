/**
 * Loads the .proto files at runtime, so the wire contract lives in one place (proto/) and no TypeScript
 * message type can drift from it. Shared by the server adapter and the CLI's client.
 *
 * Decoded messages follow proto-loader's options below: camelCase field names (`resource_type` arrives as
 * `resourceType`, the spelling the service contract uses too), enums as their names, 64-bit integers as
 * numbers, unset scalars as their proto3 defaults and a oneof's name holding the member that is set.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// Three levels up from both src/api/grpc/ and dist/api/grpc/.
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

export const PROTO_FILES = [
  'warden/v1/core.proto',
  'warden/v1/permissions.proto',
  'warden/v1/relationships.proto',
  'warden/v1/schema.proto',
  'warden/v1/watch.proto',
  'grpc/health/v1/health.proto',
] as const;

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export interface WardenProtos {
  /** Everything in PROTO_FILES; also what server reflection describes. */
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly permissions: grpc.ServiceDefinition;
  readonly relationships: grpc.ServiceDefinition;
  readonly schema: grpc.ServiceDefinition;
  readonly watch: grpc.ServiceDefinition;
  readonly health: grpc.ServiceDefinition;
}

/** Fully-qualified names of the Warden services, as health checks and reflection name them. */
export const WARDEN_SERVICE_NAMES = [
  'warden.v1.PermissionsService',
  'warden.v1.RelationshipsService',
  'warden.v1.SchemaService',
  'warden.v1.WatchService',
] as const;

let loaded: WardenProtos | undefined;

export function loadProtos(): WardenProtos {
  if (loaded) return loaded;
  const packageDefinition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(packageDefinition);
  const service = (name: string): grpc.ServiceDefinition => {
    let node: unknown = root;
    for (const part of name.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    const def = (node as grpc.ServiceClientConstructor | undefined)?.service;
    if (!def) throw new Error(`service ${name} is missing from ${PROTO_ROOT}`);
    return def;
  };
  loaded = {
    packageDefinition,
    permissions: service('warden.v1.PermissionsService'),
    relationships: service('warden.v1.RelationshipsService'),
    schema: service('warden.v1.SchemaService'),
    watch: service('warden.v1.WatchService'),
    health: service('grpc.health.v1.Health'),
  };
  return loaded;
}
