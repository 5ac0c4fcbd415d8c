/**
 * A TCP proxy on 127.0.0.1 in front of the shared PostgreSQL server, so that a test can make the
 * database unreachable for one replica (and bring it back) without stopping a server that other test
 * runs on this machine are using.
 *   cut():      connections are reset and new ones refused, as when the database is down.
 *   blackhole(): connections stay open but nothing passes, as when the network drops packets.
 *   restore():  back to forwarding, on the same port.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private dropping = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname || '127.0.0.1', Number(u.port || 5432));
  }

  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async start(): Promise<void> {
    await this.listen(0);
  }

  async cut(): Promise<void> {
    this.dropping = false;
    const closed = this.server ? new Promise<void>((r) => this.server!.close(() => r())) : Promise.resolve();
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  blackhole(): void {
    this.dropping = true;
  }

  async restore(): Promise<void> {
    this.dropping = false;
    if (!this.server) await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    // Manual piping, so that a blackhole can swallow bytes in both directions without closing anything.
    client.on('data', (d) => this.dropping || upstream.write(d));
    upstream.on('data', (d) => this.dropping || client.write(d));
  }
}
