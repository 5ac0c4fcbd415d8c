/**
 * The glue between handler tables and grpc-js: the one error path, cancellation, backpressure and the
 * preshared-key guard. Handlers themselves are plain async functions over decoded messages (handlers.ts).
 */
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { describeError } from '../errors.js';
import type { Message } from './codec.js';

export type RpcHandler =
  | { readonly kind: 'unary'; readonly run: (req: Message) => Promise<Message> }
  | { readonly kind: 'serverStream'; readonly run: (req: Message, signal: AbortSignal) => AsyncIterable<Message> }
  | { readonly kind: 'clientStream'; readonly run: (reqs: AsyncIterable<Message>, signal: AbortSignal) => Promise<Message> };

export type HandlerTable = Readonly<Record<string, RpcHandler>>;

/** Throws an AuthzError (UNAUTHENTICATED) when the `authorization` header does not carry the key. */
export type Authorizer = (header: string | undefined) => void;

/** Trailing metadata key carrying the stable reason of a failed call (`SCHEMA_INVALID`...). */
export const REASON_METADATA_KEY = 'warden-reason';

/**
 * The one error path: every failure becomes `describeError`'s code and message plus the reason in the
 * trailers. Unexpected errors keep their details (and stack) on the server's stderr only.
 */
export function toStatus(err: unknown, path: string): Partial<grpc.StatusObject> {
  const d = describeError(err);
  if (d.unexpected) console.error(`warden: unexpected error in ${path}:`, d.cause);
  const metadata = new grpc.Metadata();
  metadata.set(REASON_METADATA_KEY, d.reason);
  return { code: d.grpcCode, details: d.message, metadata };
}

function kindOf(m: grpc.MethodDefinition<unknown, unknown>): RpcHandler['kind'] | 'bidi' {
  if (m.requestStream) return m.responseStream ? 'bidi' : 'clientStream';
  return m.responseStream ? 'serverStream' : 'unary';
}

/**
 * Builds the grpc-js implementation of one service from its table. The table must cover exactly the
 * methods of the .proto definition with the right streaming shape: a mismatch is a startup error, not a
 * silent UNIMPLEMENTED at call time.
 */
export function implement(def: grpc.ServiceDefinition, table: HandlerTable): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  const extra = Object.keys(table).filter((name) => !(name in def));
  if (extra.length > 0) throw new Error(`handlers for methods not in the proto: ${extra.join(', ')}`);
  for (const [name, method] of Object.entries(def)) {
    const h = table[name];
    if (!h || h.kind !== kindOf(method)) throw new Error(`${method.path}: no ${kindOf(method)} handler`);
    impl[name] = adapt(h);
  }
  return impl;
}

function adapt(h: RpcHandler): grpc.UntypedHandleCall {
  switch (h.kind) {
    case 'unary':
      return (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
        h.run(call.request).then(
          (res) => callback(null, res),
          (err: unknown) => callback(toStatus(err, call.getPath())),
        );
      };
    case 'serverStream':
      return (call: grpc.ServerWritableStream<Message, Message>) => {
        const ac = abortOnCancel(call);
        void writeAll(call, h.run(call.request, ac.signal), ac).finally(() => ac.abort());
      };
    case 'clientStream':
      return (call: grpc.ServerReadableStream<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
        const ac = abortOnCancel(call);
        h.run(call as AsyncIterable<Message>, ac.signal)
          .then(
            (res) => callback(null, res),
            (err: unknown) => {
              if (!ac.signal.aborted) callback(toStatus(err, call.getPath()));
            },
          )
          .finally(() => ac.abort());
      };
  }
}

function abortOnCancel(call: { cancelled: boolean; on(event: 'cancelled', f: () => void): unknown }): AbortController {
  const ac = new AbortController();
  if (call.cancelled) ac.abort();
  call.on('cancelled', () => ac.abort());
  return ac;
}

/** Writes every message, waiting for 'drain' when the client reads slowly; stops when the call is cancelled. */
async function writeAll(call: grpc.ServerWritableStream<Message, Message>, messages: AsyncIterable<Message>, ac: AbortController): Promise<void> {
  try {
    for await (const m of messages) {
      if (ac.signal.aborted) return;
      if (!call.write(m)) await once(call, 'drain', { signal: ac.signal });
    }
    if (!ac.signal.aborted) call.end();
  } catch (err) {
    // After a cancel nobody is listening; the error is usually the abort itself.
    if (!ac.signal.aborted) call.emit('error', toStatus(err, call.getPath()));
  }
}

function authorizationHeader(md: grpc.Metadata): string | undefined {
  const v = md.get('authorization')[0];
  return v === undefined ? undefined : v.toString();
}

/**
 * Wraps every method of a service so that it refuses calls without the key, before the handler sees
 * anything. Works for any implementation (ours, and reflection's bidi stream).
 */
export function guard(def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation, authorize: Authorizer): grpc.UntypedServiceImplementation {
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const method = def[name];
    const fn = handler as (...args: unknown[]) => void;
    if (method && !method.responseStream) {
      guarded[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        try {
          authorize(authorizationHeader(call.metadata));
        } catch (err) {
          callback(toStatus(err, call.getPath()));
          return;
        }
        fn(call, callback);
      }) as grpc.UntypedHandleCall;
    } else {
      guarded[name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        try {
          authorize(authorizationHeader(call.metadata));
        } catch (err) {
          call.emit('error', toStatus(err, call.getPath()));
          return;
        }
        fn(call);
      }) as grpc.UntypedHandleCall;
    }
  }
  return guarded;
}
