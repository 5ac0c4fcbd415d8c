#!/usr/bin/env node
// The gRPC floor: grpc-js serving warden.v1.PermissionsService from the same runtime-loaded protos as
// Warden, answering Check and CheckBulk with constants. Whatever throughput this reaches is what the
// transport alone allows on this machine; Warden's figure is reported as a fraction of it.
//   node bench/wire/echo-grpc-server.mjs [--port 0]     prints "listening on 127.0.0.1:PORT"
import * as grpc from '@grpc/grpc-js';
import { loadPermissionsService } from './lib/protos.mjs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const permissions = await loadPermissionsService();
// Warden's own server limit (service DEFAULT_LIMITS.maxRequestBytes is larger than grpc-js's 4 MiB
// default); a 1,000-item CheckBulk is far below either.
const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
const CHECK_ANSWER = Object.freeze({ allowed: true, zookie: 'x' });
server.addService(permissions, {
  Check(_call, callback) {
    callback(null, CHECK_ANSWER);
  },
  // One result per item, so the response is as large as Warden's and serialising it costs the same.
  CheckBulk(call, callback) {
    const n = Array.isArray(call.request.items) ? call.request.items.length : 0;
    const results = new Array(n);
    for (let i = 0; i < n; i++) results[i] = { allowed: true };
    callback(null, { results, zookie: 'x' });
  },
});
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`echo-grpc: ${err.message}`);
    process.exit(2);
  }
  console.log(`echo-grpc: listening on 127.0.0.1:${bound}`);
});
// A normal exit (not death by signal) so that --cpu-prof writes its profile.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.tryShutdown(() => process.exit(0)));
