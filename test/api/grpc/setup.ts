/** Starts the gRPC adapter on a free loopback port with a given service, and a real client for it. */
import type * as grpc from '@grpc/grpc-js';
import { WardenGrpcClient } from '../../../src/api/grpc/client.js';
import type { Message } from '../../../src/api/grpc/codec.js';
import { bindGrpcServer, createGrpcServer } from '../../../src/api/grpc/server.js';
import type { WardenService } from '../../../src/service/types.js';

export interface Harness {
  port: number;
  server: grpc.Server;
  client: WardenGrpcClient;
  connect(token?: string): WardenGrpcClient;
  close(): Promise<void>;
}

export async function startHarness(service: WardenService, opts: { presharedKey?: string; maxMessageBytes?: number; token?: string } = {}): Promise<Harness> {
  const server = createGrpcServer({ service, presharedKey: opts.presharedKey, maxMessageBytes: opts.maxMessageBytes ?? 4 * 1024 * 1024, healthPollMs: 50 });
  const port = await bindGrpcServer(server, '127.0.0.1:0');
  const clients: WardenGrpcClient[] = [];
  const connect = (token?: string) => {
    const c = new WardenGrpcClient(`127.0.0.1:${port}`, { token });
    clients.push(c);
    return c;
  };
  return {
    port,
    server,
    client: connect(opts.token),
    connect,
    async close() {
      for (const c of clients) c.close();
      server.forceShutdown();
    },
  };
}

export async function collect(stream: AsyncIterable<Message>): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of stream) out.push(m);
  return out;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}
