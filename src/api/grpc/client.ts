/**
 * A thin gRPC client for Warden over one channel, driven by the same runtime-loaded .proto definitions as
 * the server: the CLI, the tests and load generators use it. Failures are grpc-js ServiceErrors (code,
 * details, and the `warden-reason` trailer for errors the server chose).
 */
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { REASON_METADATA_KEY } from './calls.js';
import type { Message } from './codec.js';
import { loadProtos, type WardenProtos } from './proto.js';

export type WardenServiceKey = 'permissions' | 'relationships' | 'schema' | 'watch' | 'health';

export interface WardenGrpcClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string | undefined;
  /** Extra grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
}

export interface CallOptions {
  /** Cancels the call (the server sees the cancellation and stops its work). */
  signal?: AbortSignal;
  deadline?: grpc.Deadline;
}

/** A client-streaming call in progress. */
export interface ClientStreamCall {
  /** Sends one message, waiting while the server is not reading; rejects if the call already failed. */
  send(message: Message): Promise<void>;
  /** Half-closes and waits for the server's answer. */
  finish(): Promise<Message>;
  cancel(): void;
}

export class WardenGrpcClient {
  private readonly client: grpc.Client;
  private readonly protos: WardenProtos;
  private readonly token: string | undefined;

  constructor(
    readonly address: string,
    opts: WardenGrpcClientOptions = {},
  ) {
    this.protos = loadProtos();
    this.token = opts.token;
    // Responses are bounded by the server's page sizes; the default 4 MiB receive cap would only break
    // a large Expand tree or schema.
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      ...opts.channelOptions,
    });
  }

  private method(service: WardenServiceKey, name: string): grpc.MethodDefinition<Message, Message> {
    const m = this.protos[service][name] as grpc.MethodDefinition<Message, Message> | undefined;
    if (!m) throw new Error(`no method ${name} in the ${service} service`);
    return m;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  private options(opts: CallOptions): grpc.CallOptions {
    return opts.deadline === undefined ? {} : { deadline: opts.deadline };
  }

  unary(service: WardenServiceKey, name: string, request: Message, opts: CallOptions = {}): Promise<Message> {
    const m = this.method(service, name);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, this.metadata(), this.options(opts), (err, res) =>
        err ? reject(err) : resolve(res ?? {}),
      );
      cancelOnAbort(opts.signal, call);
    });
  }

  /** The messages of a server-streaming call; a failure is thrown from the iteration. */
  serverStream(service: WardenServiceKey, name: string, request: Message, opts: CallOptions = {}): AsyncIterable<Message> {
    const m = this.method(service, name);
    const call = this.client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, request, this.metadata(), this.options(opts));
    cancelOnAbort(opts.signal, call);
    return call as AsyncIterable<Message>;
  }

  clientStream(service: WardenServiceKey, name: string, opts: CallOptions = {}): ClientStreamCall {
    const m = this.method(service, name);
    let call!: grpc.ClientWritableStream<Message>;
    const response = new Promise<Message>((resolve, reject) => {
      call = this.client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, this.metadata(), this.options(opts), (err, res) =>
        err ? reject(err) : resolve(res ?? {}),
      );
    });
    // The failure is reported by send() or finish(), whichever the caller reaches first.
    let failure: unknown;
    response.catch((e: unknown) => {
      failure = e;
    });
    cancelOnAbort(opts.signal, call);
    return {
      async send(message) {
        if (failure !== undefined) throw failure;
        if (!call.write(message)) await Promise.race([once(call, 'drain'), response]);
      },
      finish() {
        call.end();
        return response;
      },
      cancel: () => call.cancel(),
    };
  }

  close(): void {
    this.client.close();
  }
}

function cancelOnAbort(signal: AbortSignal | undefined, call: { cancel(): void }): void {
  if (!signal) return;
  if (signal.aborted) call.cancel();
  else signal.addEventListener('abort', () => call.cancel(), { once: true });
}

/** The `warden-reason` trailer of a failed call, when the server (not the transport) produced the error. */
export function reasonOf(err: unknown): string | undefined {
  const md = (err as Partial<grpc.ServiceError> | undefined)?.metadata;
  if (!(md instanceof grpc.Metadata)) return undefined;
  const v = md.get(REASON_METADATA_KEY)[0];
  return v === undefined ? undefined : v.toString();
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'details' in err;
}

/** `INVALID_ARGUMENT` for 3, and so on. */
export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}

/** The transport could not reach the server (the server attaches a reason to every error it chooses). */
export function isUnreachable(err: unknown): boolean {
  return isServiceError(err) && err.code === grpc.status.UNAVAILABLE && reasonOf(err) === undefined;
}

/** The call was cancelled by this client (e.g. Ctrl-C on a watch). */
export function isCancelled(err: unknown): boolean {
  return isServiceError(err) && err.code === grpc.status.CANCELLED;
}
