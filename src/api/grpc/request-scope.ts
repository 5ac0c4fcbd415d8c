/**
 * The request scope of every gRPC call (request-context.ts): a request id taken from the `x-request-id`
 * metadata or generated, sent back at once in the response headers; an abort signal that fires when
 * the call is cancelled (grpc-js also cancels it when its deadline passes); the deadline itself, for
 * graph walks that cannot wait for a signal. It wraps outside the key guard, so that a refused key is
 * still a request with an id and is reported to the edge observer.
 */
import * as grpc from '@grpc/grpc-js';
import { GrpcCode } from '../errors.js';
import {
  newRequestContext,
  operationName,
  REQUEST_ID_KEY,
  requestIdFrom,
  runInRequest,
  type CancelSource,
  type EdgeObserver,
  type RequestContext,
} from '../request-context.js';
import { REASON_METADATA_KEY } from './calls.js';

const CODE_NAMES = new Map<number, string>(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> & grpc.ServerWritableStream<unknown, unknown>;
type Callback = grpc.sendUnaryData<unknown>;

export function scopeRequests(
  def: grpc.ServiceDefinition,
  impl: grpc.UntypedServiceImplementation,
  observer?: EdgeObserver,
): grpc.UntypedServiceImplementation {
  const scoped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const method = def[name];
    const operation = operationName(name);
    const fn = handler as (call: AnyCall, callback?: Callback) => void;
    // Unary and client-streaming calls answer through a callback; the others end their stream.
    const answersByCallback = method !== undefined && !method.responseStream;
    scoped[name] = ((call: AnyCall, callback?: Callback) => {
      const started = performance.now();
      const ctx = openScope(call);
      let reported = false;
      const report = (status: Partial<grpc.StatusObject> | null | undefined) => {
        if (reported) return;
        reported = true;
        if (ctx.served || !observer) return;
        const code = status?.code ?? GrpcCode.OK;
        const reason = status?.metadata?.get(REASON_METADATA_KEY)[0];
        observer.unserved(ctx, {
          operation,
          code: CODE_NAMES.get(code) ?? 'UNKNOWN',
          reason: reason === undefined ? undefined : String(reason),
          durationMs: performance.now() - started,
        });
      };
      if (answersByCallback) {
        const answer: Callback = (err, ...rest) => {
          report(err as Partial<grpc.StatusObject> | null);
          callback!(err, ...rest);
        };
        runInRequest(ctx, () => fn(call, answer));
      } else {
        call.once('error', (err: Partial<grpc.StatusObject>) => report(err));
        call.once('finish', () => report(null));
        runInRequest(ctx, () => fn(call));
      }
    }) as grpc.UntypedHandleCall;
  }
  return scoped;
}

function openScope(call: AnyCall): RequestContext {
  const given = call.metadata.get(REQUEST_ID_KEY)[0];
  const id = requestIdFrom(given === undefined ? undefined : String(given));
  const md = new grpc.Metadata();
  md.set(REQUEST_ID_KEY, id);
  call.sendMetadata(md);
  return newRequestContext('grpc', id, new CallCancelSource(call), deadlineMs(call.getDeadline()));
}

// grpc-js emits 'cancelled' after every call, answered ones included: a signal made up front would be
// aborted (a DOMException built) on each of them. Made only when a wait needs it, it costs nothing here.
class CallCancelSource implements CancelSource {
  constructor(private readonly call: AnyCall) {}

  get cancelled(): boolean {
    return this.call.cancelled;
  }

  makeSignal(): AbortSignal {
    const ac = new AbortController();
    if (this.call.cancelled) ac.abort();
    else this.call.once('cancelled', () => ac.abort());
    return ac.signal;
  }
}

function deadlineMs(d: grpc.Deadline): number | undefined {
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}
