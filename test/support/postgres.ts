/**
 * PostgreSQL for tests. WARDEN_TEST_POSTGRES_URL names a server; each test gets its own schema
 * (`warden_test_<random>`), dropped afterwards, so runs never see each other's data. Without the
 * variable, or without a server answering it within 2 s, the PostgreSQL tests are skipped with a
 * message saying how to enable them; under CI (CI=true) a set variable with no server is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_SKIP_MESSAGE =
  'PostgreSQL tests skipped: set WARDEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run them';

async function probe(url: string | undefined): Promise<string | undefined> {
  if (!url) {
    console.warn(POSTGRES_SKIP_MESSAGE);
    return undefined;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return url;
  } catch (e) {
    const why = `no PostgreSQL server answered at WARDEN_TEST_POSTGRES_URL within 2 s (${e instanceof Error ? e.message : String(e)})`;
    if (process.env.CI) throw new Error(`${why}: CI needs one`);
    console.warn(`PostgreSQL tests skipped: ${why}`);
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server's URL when one answers, else undefined (use with describe.skipIf). */
export const postgresUrl: string | undefined = await probe(process.env.WARDEN_TEST_POSTGRES_URL);

export function uniqueSchemaName(): string {
  return `warden_test_${randomBytes(6).toString('hex')}`;
}

/** Runs `sql` on a short-lived connection of its own (test setup, sabotage, inspection). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(name: string): Promise<void> {
  if (!/^warden_test_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop schema ${name}: not a test schema`);
  await adminQuery(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
}

/** Hands out fresh schema names and drops every one of them at the end. */
export class TestSchemas {
  private readonly names: string[] = [];

  create(): string {
    const name = uniqueSchemaName();
    this.names.push(name);
    return name;
  }

  async dropAll(): Promise<void> {
    const names = this.names.splice(0);
    for (const name of names) await dropSchema(name);
  }
}
