/**
 * grpc.health.v1.Health, answered from the service's readiness (the store answers and the in-memory index
 * has caught up), so a load balancer sends traffic only to replicas that can serve it. Never guarded by
 * the preshared key: probes do not carry one.
 */
import * as grpc from '@grpc/grpc-js';
import type { WardenService } from '../../service/types.js';
import { WARDEN_SERVICE_NAMES } from './proto.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const KNOWN = new Set<string>(['', 'grpc.health.v1.Health', ...WARDEN_SERVICE_NAMES]);

async function status(service: WardenService, name: string): Promise<ServingStatus> {
  if (!KNOWN.has(name)) return 'SERVICE_UNKNOWN';
  try {
    return (await service.ready()).ready ? 'SERVING' : 'NOT_SERVING';
  } catch {
    return 'NOT_SERVING';
  }
}

export function healthImplementation(service: WardenService, watchPollMs = 5_000): grpc.UntypedServiceImplementation {
  return {
    Check: ((call: grpc.ServerUnaryCall<{ service?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const name = call.request.service ?? '';
      void status(service, name).then((s) => {
        if (s === 'SERVICE_UNKNOWN') callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${name}` });
        else callback(null, { status: s });
      });
    }) as grpc.UntypedHandleCall,
    // Polls readiness and sends a message whenever it changes, until the client cancels.
    Watch: ((call: grpc.ServerWritableStream<{ service?: string }, unknown>) => {
      const name = call.request.service ?? '';
      let last: ServingStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        const s = await status(service, name);
        if (call.cancelled) return;
        if (s !== last) {
          last = s;
          call.write({ status: s });
        }
        timer = setTimeout(() => void tick(), watchPollMs);
      };
      call.on('cancelled', () => clearTimeout(timer));
      void tick();
    }) as grpc.UntypedHandleCall,
  };
}
