/** The real composition root (memory datastore, free ports) and a gRPC client for it. */
import { WardenGrpcClient } from '../../../src/api/grpc/client.js';
import { DEFAULT_CONFIG } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/server.js';

export interface RealServer {
  server: RunningServer;
  endpoint: string;
  client: WardenGrpcClient;
  close(): Promise<void>;
}

export async function startRealServer(opts: { presharedKey?: string } = {}): Promise<RealServer> {
  const server = await startServer({
    ...DEFAULT_CONFIG,
    datastore: 'memory',
    grpcPort: 0,
    httpPort: 0,
    bootstrap: false,
    shutdownGraceMs: 200,
    ...(opts.presharedKey ? { presharedKey: opts.presharedKey } : {}),
  });
  const endpoint = `127.0.0.1:${server.grpcPort}`;
  const client = new WardenGrpcClient(endpoint, { token: opts.presharedKey });
  return {
    server,
    endpoint,
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}

/** A small composer-like schema: channels sent from by users or team members, with bans and a public flag. */
export const E2E_SCHEMA = `definition user {}

definition team {
  relation member: user
}

definition channel {
  relation assigned_user: user
  relation assigned_team: team#member
  relation banned: user
  relation public: user:*
  permission send = (assigned_user + assigned_team) - banned
  permission view = send + public - banned
}
`;
