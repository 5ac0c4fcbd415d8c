/**
 * The PostgreSQL schema as numbered migrations. Each runs in its own transaction together with the
 * row that records it in warden_migrations, so a database is always at exactly one version. `warden
 * migrate` applies them; `serve` only checks the version and refuses an unmigrated or newer database,
 * so that a rolling upgrade never has an old binary misread a newer layout.
 */
import pg from 'pg';
import type { ConnectionOptions } from './connection.js';
import { clientConfig, describeTarget, resolveConnectionOptions, toStoreError } from './connection.js';
import type { Tables } from './sql.js';
import { LIVE, isValidSchemaName, quoteIdent, tablesFor } from './sql.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(t: Tables): string[];
}

const KEY = 'resource_type, resource_id, relation, subject_type, subject_id, subject_relation';

/**
 * warden_relationships: one row per (relationship, lifetime). deleted_rev is LIVE (int8 max) while the
 * row is live, so visibility at R is `created_rev <= R AND deleted_rev > R` with no NULL handling.
 * subject_relation is '' for a plain subject so that it can be part of keys. Every text column is
 * COLLATE "C": byte order, which equals JavaScript's string order on the ASCII of names and ids, so
 * ORDER BY and keyset pagination agree with compareRelationships whatever the database's locale.
 *   primary key           forward lookups (resource -> subjects) and keyset pagination, in order
 *   _live (unique)        at most one live row per relationship; the conflict target of touch/create
 *   _reverse              lookups by subject (subject -> resources)
 *   _created / _deleted   the change feed by revision range, and GC (deleted rows only)
 * warden_head: the single row whose lock orders writers (see write-transaction.ts).
 * warden_revisions: one row per committed revision, with its commit time (for the GC window).
 */
const V1: Migration = {
  version: 1,
  name: 'relationships, revisions, schemas, metadata',
  statements: (t) => [
    `CREATE TABLE ${t.metadata} (key text PRIMARY KEY, value text NOT NULL)`,
    `INSERT INTO ${t.metadata} (key, value) VALUES ('store_id', gen_random_uuid()::text), ('oldest_revision', '0')`,
    `CREATE TABLE ${t.head} (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       rev bigint NOT NULL
     )`,
    `INSERT INTO ${t.head} (id, rev) VALUES (true, 0)`,
    `CREATE TABLE ${t.revisions} (
       rev bigint PRIMARY KEY,
       committed_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE ${t.relationships} (
       resource_type    text COLLATE "C" NOT NULL,
       resource_id      text COLLATE "C" NOT NULL,
       relation         text COLLATE "C" NOT NULL,
       subject_type     text COLLATE "C" NOT NULL,
       subject_id       text COLLATE "C" NOT NULL,
       subject_relation text COLLATE "C" NOT NULL,
       created_rev      bigint NOT NULL,
       deleted_rev      bigint NOT NULL DEFAULT ${LIVE},
       CONSTRAINT warden_relationships_pkey PRIMARY KEY (${KEY}, created_rev)
     )`,
    `CREATE UNIQUE INDEX warden_relationships_live ON ${t.relationships} (${KEY}) WHERE deleted_rev = ${LIVE}`,
    `CREATE INDEX warden_relationships_reverse ON ${t.relationships}
       (subject_type, subject_id, subject_relation, resource_type, relation, resource_id)`,
    `CREATE INDEX warden_relationships_created ON ${t.relationships} (created_rev)`,
    `CREATE INDEX warden_relationships_deleted ON ${t.relationships} (deleted_rev) WHERE deleted_rev <> ${LIVE}`,
    `CREATE TABLE ${t.schemas} (
       rev bigint PRIMARY KEY,
       text text NOT NULL,
       hash text NOT NULL
     )`,
  ],
};

/** In order; a migration is never edited once released, only followed by another. */
export const MIGRATIONS: readonly Migration[] = [V1];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The database is not at the version this Warden needs; the message says what to do. */
export class SchemaVersionError extends Error {
  constructor(
    message: string,
    readonly found: number,
    readonly expected: number,
  ) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

/** 0 when the schema has never been migrated. */
export async function readVersion(client: pg.ClientBase, t: Tables): Promise<number> {
  const exists = await client.query<{ r: string | null }>('SELECT to_regclass($1) AS r', [t.migrations]);
  if (exists.rows[0]!.r === null) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t.migrations}`);
  return r.rows[0]!.v ?? 0;
}

/** Throws unless `found` is exactly the version that `migrations` end at. */
export function assertVersion(found: number, t: Tables, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const where = `database schema "${t.schema}"`;
  if (found > latest) {
    throw new SchemaVersionError(
      `${where} is at version ${found} but this Warden knows ${latest}: it was migrated by a newer Warden; upgrade Warden`,
      found,
      latest,
    );
  }
  if (found < latest) {
    const what = found === 0 ? 'has not been migrated' : `is at version ${found}`;
    throw new SchemaVersionError(`${where} ${what} but this Warden needs version ${latest}: run \`warden migrate\``, found, latest);
  }
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Applies the pending migrations on `client`. A session advisory lock makes concurrent migrators (several
 * replicas started with --migrate) take turns; each reads the version only once it holds the lock.
 */
export async function runMigrations(
  client: pg.ClientBase,
  t: Tables,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [t.migrateLockKey]);
  try {
    const ns = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [t.schema]);
    // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
    if (ns.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.quotedSchema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const from = await readVersion(client, t);
    const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
    if (from > latest) assertVersion(from, t, migrations);
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query('BEGIN');
      try {
        for (const sql of m.statements(t)) await client.query(sql);
        await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    return { from, to: Math.max(from, latest) };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [t.migrateLockKey]).catch(() => undefined);
  }
}

export interface MigrateOptions extends ConnectionOptions {
  /** The PostgreSQL schema (namespace) holding Warden's tables (default "public"). */
  schema?: string;
}

export function resolveSchemaName(options: { schema?: string }): string {
  const schema = options.schema ?? 'public';
  if (!isValidSchemaName(schema)) {
    throw new RangeError(`invalid PostgreSQL schema name ${quoteIdent(schema)}: use lower-case letters, digits and _`);
  }
  return schema;
}

/** What `warden migrate` runs: brings the database up to this Warden's version. */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  const t = tablesFor(resolveSchemaName(options));
  const o = resolveConnectionOptions(options);
  const client = new pg.Client({ ...clientConfig(url, o), application_name: `${o.applicationName}-migrate` });
  client.on('error', () => undefined); // reported through the failing query instead
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`cannot connect to PostgreSQL at ${describeTarget(url)}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: toStoreError(e, o),
    });
  }
  try {
    return await runMigrations(client, t);
  } finally {
    await client.end().catch(() => undefined);
  }
}
