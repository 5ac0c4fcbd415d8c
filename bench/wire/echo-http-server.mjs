#!/usr/bin/env node
// The HTTP floor: hono on @hono/node-server (what Warden serves HTTP with), one route at Warden's Check
// path that parses the JSON body and answers a constant. No validation, no service: the transport and
// the framework only, so that Warden's HTTP Check is reported as a fraction of what they allow.
//   node bench/wire/echo-http-server.mjs [--port 0]     prints "listening on 127.0.0.1:PORT"
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const app = new Hono();
app.post('/v1/permissions/check', async (c) => {
  await c.req.json();
  return c.json({ allowed: true, zookie: 'x' });
});
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`echo-http: listening on 127.0.0.1:${info.port}`);
});
server.on('error', (e) => {
  console.error(`echo-http: ${e.message}`);
  process.exit(2);
});
// A normal exit (not death by signal) so that --cpu-prof writes its profile.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
