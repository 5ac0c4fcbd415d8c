import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRelationship } from '../../src/core/refs.js';
import type { Migration } from '../../src/store/postgres/migrations.js';
import { LATEST_VERSION, MIGRATIONS, SchemaVersionError, migrate, runMigrations } from '../../src/store/postgres/migrations.js';
import { PostgresDatastore } from '../../src/store/postgres/postgres-datastore.js';
import { tablesFor } from '../../src/store/postgres/sql.js';
import { TestSchemas, adminQuery, postgresUrl } from '../support/postgres.js';

const url = postgresUrl ?? '';
const schemas = new TestSchemas();

describe.skipIf(!postgresUrl)('postgres migrations', () => {
  afterAll(() => schemas.dropAll());

  it('migrates a fresh schema, and a second run is a no-op', async () => {
    const schema = schemas.create();
    expect(await migrate(url, { schema })).toEqual({ from: 0, to: LATEST_VERSION });
    expect(await migrate(url, { schema })).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    const rows = await adminQuery<{ version: number; name: string }>(`SELECT version, name FROM "${schema}".warden_migrations ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const ds = await PostgresDatastore.open(url, { schema });
    try {
      expect(await ds.headRevision()).toBe(0);
    } finally {
      await ds.close();
    }
  });

  it('lets concurrent migrators take turns', async () => {
    const schema = schemas.create();
    const results = await Promise.all([1, 2, 3].map(() => migrate(url, { schema })));
    expect(results.map((r) => r.from).sort()).toEqual([0, LATEST_VERSION, LATEST_VERSION]);
  });

  it('refuses to open an unmigrated schema, saying to run `warden migrate`', async () => {
    const schema = schemas.create();
    const opening = PostgresDatastore.open(url, { schema });
    await expect(opening).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(opening).rejects.toThrow(
      `database schema "${schema}" has not been migrated but this Warden needs version ${LATEST_VERSION}: run \`warden migrate\``,
    );
  });

  it('refuses a schema migrated by a newer Warden, at open and at migrate', async () => {
    const schema = schemas.create();
    await migrate(url, { schema });
    const newer = LATEST_VERSION + 1;
    await adminQuery(`INSERT INTO "${schema}".warden_migrations (version, name) VALUES ($1, 'from the future')`, [newer]);
    const message = `database schema "${schema}" is at version ${newer} but this Warden knows ${LATEST_VERSION}: it was migrated by a newer Warden; upgrade Warden`;
    await expect(PostgresDatastore.open(url, { schema })).rejects.toThrow(message);
    await expect(PostgresDatastore.open(url, { schema, migrate: true })).rejects.toThrow(message);
    await expect(migrate(url, { schema })).rejects.toThrow(message);
  });

  it('applies only the pending steps of a longer list, keeping the data', async () => {
    const schema = schemas.create();
    const ds = await PostgresDatastore.open(url, { schema, migrate: true });
    await ds.write({ updates: [{ operation: 'touch', relationship: parseRelationship('doc:d1#viewer@user:ana') }] });
    await ds.close();
    const extra: Migration = {
      version: LATEST_VERSION + 1,
      name: 'an example step',
      statements: (t) => [`CREATE TABLE ${t.quotedSchema}.warden_example (id int)`],
    };
    const broken: Migration = { version: LATEST_VERSION + 2, name: 'fails', statements: () => ['SELECT no_such_function()'] };
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const t = tablesFor(schema);
      // A failing step rolls back alone: the version stays at the last step that worked.
      await expect(runMigrations(client, t, [...MIGRATIONS, extra, broken])).rejects.toThrow(/no_such_function/);
      expect(await runMigrations(client, t, [...MIGRATIONS, extra])).toEqual({ from: LATEST_VERSION + 1, to: LATEST_VERSION + 1 });
    } finally {
      await client.end();
    }
    const reopened = PostgresDatastore.open(url, { schema });
    await expect(reopened).rejects.toThrow(`is at version ${LATEST_VERSION + 1} but this Warden knows ${LATEST_VERSION}`);
    expect(await adminQuery(`SELECT 1 FROM "${schema}".warden_relationships`)).toHaveLength(1);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(migrate(url, { schema: 'x"; DROP TABLE y; --' })).rejects.toThrow(/invalid PostgreSQL schema name/);
  });
});
