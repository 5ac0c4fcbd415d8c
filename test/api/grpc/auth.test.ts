/** The preshared key on every RPC (unary, streaming both ways, reflection) but not health; reflection and health themselves. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardenGrpcClient, WardenServiceKey } from '../../../src/api/grpc/client.js';
import { loadProtos } from '../../../src/api/grpc/proto.js';
import { createFakeService } from './fake-service.js';
import { collect, failure, startHarness, type Harness } from './setup.js';

const KEY = 's3cret-key';
const WARDEN: WardenServiceKey[] = ['permissions', 'relationships', 'schema', 'watch'];

/** Calls any method by its streaming shape; resolves when the call succeeds. */
async function call(client: WardenGrpcClient, service: WardenServiceKey, name: string): Promise<unknown> {
  const m = loadProtos()[service][name]!;
  if (m.requestStream) {
    const c = client.clientStream(service, name);
    await c.send({ relationships: [] });
    return c.finish();
  }
  if (m.responseStream) {
    const ac = new AbortController();
    // Watch never ends on its own: the first message proves the call was let in.
    for await (const _ of client.serverStream(service, name, name === 'Watch' ? { heartbeatMs: 100 } : {}, { signal: ac.signal })) {
      ac.abort();
      break;
    }
    return;
  }
  return client.unary(service, name, {});
}

/** Every method name of the Warden services. */
const methods = (): [WardenServiceKey, string][] => WARDEN.flatMap((s) => Object.keys(loadProtos()[s]).map((n): [WardenServiceKey, string] => [s, n]));

type ReflectionResponse = {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
};

/** One request over grpc.reflection.v1, as grpcurl sends them (`list`, `describe`). */
function reflect(port: number, request: object, token?: string): Promise<ReflectionResponse> {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [root], keepCase: false, defaults: false, oneofs: true });
  const service = def['grpc.reflection.v1.ServerReflection'] as grpc.ServiceDefinition;
  const m = service.ServerReflectionInfo as grpc.MethodDefinition<object, ReflectionResponse>;
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    const stream = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, md);
    stream.on('data', (res: ReflectionResponse) => {
      resolve(res);
      stream.end();
    });
    stream.on('error', (e) => reject(e));
    stream.on('end', () => client.close());
    stream.write(request);
  });
}

async function listServices(port: number, token?: string): Promise<string[]> {
  const res = await reflect(port, { listServices: '' }, token);
  return (res.listServicesResponse?.service ?? []).map((s) => s.name);
}

describe('with a preshared key', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(createFakeService(), { presharedKey: KEY });
  });
  afterAll(() => h.close());

  it.each(methods())('%s.%s refuses a call without the key', async (service, name) => {
    const err = await failure(call(h.client, service, name));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/preshared key/);
  });

  it.each(methods())('%s.%s refuses a wrong key', async (service, name) => {
    const err = await failure(call(h.connect('wrong'), service, name));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('lets calls with the key through (the service answers, even if with its own error)', async () => {
    const ok = h.connect(KEY);
    expect(await ok.unary('schema', 'WriteSchema', { schema: 'definition user {}' })).toEqual({ zookie: 'z1' });
    const err = await failure(ok.unary('permissions', 'Check', {}));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    await call(ok, 'relationships', 'ImportRelationships');
    await collect(ok.serverStream('relationships', 'ReadRelationships', {}));
  });

  it('health needs no key', async () => {
    const r = await h.client.unary('health', 'Check', { service: '' });
    expect(r).toEqual({ status: 'SERVING' });
  });

  it('reflection needs the key too', async () => {
    await expect(listServices(h.port)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await listServices(h.port, KEY)).toContain('warden.v1.PermissionsService');
  });
});

describe('without a preshared key', () => {
  let h: Harness;
  beforeAll(async () => {
    const service = createFakeService();
    service.ready = async () => ({ ready: false, reason: 'catching up' });
    h = await startHarness(service);
  });
  afterAll(() => h.close());

  it.each(methods())('%s.%s needs no key', async (service, name) => {
    try {
      await call(h.client, service, name);
    } catch (e) {
      expect((e as grpc.ServiceError).code).not.toBe(grpc.status.UNAUTHENTICATED);
    }
  });

  it('reflection lists every service', async () => {
    const names = await listServices(h.port);
    expect(names.sort()).toEqual([
      'grpc.health.v1.Health',
      'warden.v1.PermissionsService',
      'warden.v1.RelationshipsService',
      'warden.v1.SchemaService',
      'warden.v1.WatchService',
    ]);
  });

  it('reflection describes a service with every message it uses (what `grpcurl describe` and `grpcurl -d` need)', async () => {
    // proto-loader merges the files of one package, so the answer is one synthetic warden_v1.proto.
    const res = await reflect(h.port, { fileContainingSymbol: 'warden.v1.PermissionsService' });
    type File = { name: string; package: string; messageType: { name: string }[]; service: { name: string }[] };
    const files = (res.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) => descriptor.FileDescriptorProto.decode(b) as unknown as File);
    const messages = files.flatMap((f) => f.messageType.map((m) => `${f.package}.${m.name}`));
    expect(files.flatMap((f) => f.service.map((x) => x.name))).toContain('PermissionsService');
    for (const m of ['CheckRequest', 'CheckResponse', 'Consistency', 'LookupResourcesRequest', 'ExpandNode', 'ItemError']) expect(messages).toContain(`warden.v1.${m}`);
  });

  it('health reports readiness, NOT_FOUND for unknown services, and watches', async () => {
    expect(await h.client.unary('health', 'Check', { service: 'warden.v1.PermissionsService' })).toEqual({ status: 'NOT_SERVING' });
    const err = await failure(h.client.unary('health', 'Check', { service: 'nope.Service' }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    const ac = new AbortController();
    for await (const m of h.client.serverStream('health', 'Watch', { service: '' }, { signal: ac.signal })) {
      expect(m).toEqual({ status: 'NOT_SERVING' });
      ac.abort();
      break;
    }
  });
});
