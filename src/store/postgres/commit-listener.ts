/**
 * Hears other processes' commits: one dedicated connection (outside the pool, since LISTEN is per
 * session) that LISTENs on the schema's channel. Each write NOTIFYs inside its transaction, so the
 * notification is delivered at commit, carrying the revision.
 *
 * Notifications are only wake-ups: a replica reads the change feed from its own applied head, so a
 * notification lost while this connection was down loses nothing. After every (re)connection the
 * listener reads the head and reports it, which covers whatever was committed while it was away; a
 * heartbeat on the same connection detects a dead connection that TCP has not noticed yet, and also
 * reports the head if it moved without a notification.
 */
import pg from 'pg';
import type { Revision } from '../../core/revision.js';
import { quoteIdent } from './sql.js';

export interface CommitListenerOptions {
  readonly config: pg.ClientConfig;
  readonly channel: string;
  /** A query whose single row has the head revision in column `rev`. */
  readonly headQuery: string;
  /** Called with each revision heard of; `reconnected` after a connection that replaced a lost one. */
  readonly onHead: (head: Revision, reconnected: boolean) => void;
  readonly warn: (message: string) => void;
  readonly heartbeatMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class CommitListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private connecting: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  /** Set while the connection is down, so that one outage gives one warning, not one per attempt. */
  private downSince: number | undefined;
  private everConnected = false;
  private firstAttempt: (() => void) | undefined;

  constructor(private readonly o: CommitListenerOptions) {}

  /**
   * Starts listening. Resolves after the first attempt (connected or not), so that a store that could
   * connect is listening before it is used; a failed attempt is retried with backoff until stop().
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.firstAttempt = resolve;
      this.reconnect();
    });
  }

  /** The server process id of the LISTEN connection (pg_stat_activity.pid), while connected. */
  get processId(): number | undefined {
    return this.client ? (this.client as unknown as { processID?: number }).processID : undefined;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.settleFirstAttempt();
    clearInterval(this.heartbeat);
    clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    await this.connecting;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private reconnect(): void {
    if (this.stopped || this.connecting) return;
    this.connecting = this.connectLoop().finally(() => {
      this.connecting = undefined;
      // A connection lost while this loop was still finishing would otherwise go unreplaced.
      if (!this.stopped && !this.client) this.reconnect();
    });
  }

  private async connectLoop(): Promise<void> {
    const min = this.o.minBackoffMs ?? 100;
    const max = this.o.maxBackoffMs ?? 5000;
    let delay = min;
    while (!this.stopped) {
      const client = new pg.Client(this.o.config);
      // Both may fire for one failure; lost() acts once, and only for the current client.
      client.on('error', (e) => this.lost(client, e));
      client.on('end', () => this.lost(client));
      client.on('notification', (n) => {
        if (n.channel !== this.o.channel) return;
        const rev = Number(n.payload);
        if (Number.isSafeInteger(rev) && rev > 0) this.o.onHead(rev, false);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${quoteIdent(this.o.channel)}`);
        const head = await this.readHead(client);
        if (this.stopped) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        if (this.downSince !== undefined) {
          this.o.warn(`PostgreSQL commit listener reconnected after ${Date.now() - this.downSince} ms`);
          this.downSince = undefined;
        }
        this.startHeartbeat(client);
        this.o.onHead(head, this.everConnected);
        this.everConnected = true;
        this.settleFirstAttempt();
        return;
      } catch (e) {
        await client.end().catch(() => undefined);
        if (this.downSince === undefined) {
          this.downSince = Date.now();
          this.o.warn(`PostgreSQL commit listener cannot connect (retrying): ${e instanceof Error ? e.message : String(e)}`);
        }
        this.settleFirstAttempt();
        // Full jitter, so that replicas cut off together do not reconnect in lockstep.
        await this.sleep(Math.round(delay / 2 + (Math.random() * delay) / 2));
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.();
    this.firstAttempt = undefined;
  }

  private lost(client: pg.Client, e?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.downSince = Date.now();
    this.o.warn(`PostgreSQL commit listener lost its connection (reconnecting): ${e?.message ?? 'connection ended'}`);
    this.reconnect();
  }

  private startHeartbeat(client: pg.Client): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      this.readHead(client).then(
        (head) => this.o.onHead(head, false),
        (e: unknown) => this.lost(client, e instanceof Error ? e : new Error(String(e))),
      );
    }, this.o.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  private async readHead(client: pg.Client): Promise<Revision> {
    const r = await client.query<{ rev: string }>(this.o.headQuery);
    return Number(r.rows[0]!.rev);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
      this.sleepTimer.unref();
    });
  }
}
