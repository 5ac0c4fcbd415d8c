/**
 * Consistency through the whole stack (service + replica + cache + a real SQLite file): what each mode
 * may and may not see, and the errors for tokens that cannot be honoured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RevisionUnavailableError } from '../../src/core/errors.js';
import { buildRuntime, type Runtime } from '../../src/server/build.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';

const SCHEMA = `definition user {}
definition team {
  relation member: user | team#member
}
definition channel {
  relation assigned_team: team
  relation assigned_user: user
  permission send = assigned_user + assigned_team->member
}`;

let dir: string;
let rt: Runtime;

async function open(quantizationMs = 0): Promise<Runtime> {
  return buildRuntime({ ...DEFAULT_CONFIG, datastore: 'sqlite', datastorePath: join(dir, 'w.db'), bootstrap: false, quantizationMs });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warden-consistency-'));
  rt = await open();
  await rt.service.writeSchema({ schema: SCHEMA });
});
afterEach(async () => {
  await rt.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (...rels: string[]) => rt.service.writeRelationships({ updates: rels.map((relationship) => ({ operation: 'touch', relationship })) });
const remove = (...rels: string[]) => rt.service.writeRelationships({ updates: rels.map((relationship) => ({ operation: 'delete', relationship })) });
const send = (subject: string, consistency?: Parameters<Runtime['service']['check']>[0]['consistency']) =>
  rt.service.check({ resource: 'channel:wa1', permission: 'send', subject, ...(consistency ? { consistency } : {}) });

describe('consistency', () => {
  it('a write is seen at once with its zookie (at_least_as_fresh), and by fully_consistent', async () => {
    await write('team:sales#member@user:ana');
    const { zookie } = await write('channel:wa1#assigned_team@team:sales');
    expect((await send('user:ana', { atLeastAsFresh: zookie })).allowed).toBe(true);
    expect((await send('user:ana', { fullyConsistent: true })).allowed).toBe(true);
  });

  it('at_exact_snapshot on an older zookie still sees the old state, after the cache saw the new one', async () => {
    const { zookie: before } = await write('channel:wa1#assigned_user@user:ana');
    expect((await send('user:ana', { atExactSnapshot: before })).allowed).toBe(true);
    const { zookie: after } = await remove('channel:wa1#assigned_user@user:ana');
    expect((await send('user:ana', { atLeastAsFresh: after })).allowed).toBe(false);
    const old = await send('user:ana', { atExactSnapshot: before });
    expect(old.allowed).toBe(true);
    expect(old.zookie).toBe(before);
  });

  it('minimize_latency reads a quantized revision: within the window it may be stale, never newer than the store', async () => {
    await rt.close();
    rt = await open(60_000);
    const first = await send('user:ana'); // fixes the quantized revision
    await write('channel:wa1#assigned_user@user:ana');
    const stale = await send('user:ana');
    expect(stale.allowed).toBe(false);
    expect(stale.zookie).toBe(first.zookie);
    expect((await send('user:ana', { fullyConsistent: true })).allowed).toBe(true);
  });

  it('refuses malformed zookies and zookies from another store, with a clear error', async () => {
    await expect(send('user:ana', { atLeastAsFresh: 'not-a-zookie!' })).rejects.toThrow(/malformed zookie/);
    await expect(send('user:ana', { atLeastAsFresh: 'dzF8eHx5' })).rejects.toThrow(/malformed zookie/);
    const other = mkdtempSync(join(tmpdir(), 'warden-other-'));
    const rt2 = await buildRuntime({ ...DEFAULT_CONFIG, datastore: 'sqlite', datastorePath: join(other, 'w.db'), bootstrap: false });
    try {
      const { zookie } = await rt2.service.writeSchema({ schema: SCHEMA });
      await expect(send('user:ana', { atLeastAsFresh: zookie })).rejects.toThrow(/issued by another store/);
    } finally {
      await rt2.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('waits (bounded) for a revision this process has not reached, then fails clearly', async () => {
    const { zookie } = await write('channel:wa1#assigned_user@user:ana');
    const [ver, store, rev, hash] = Buffer.from(zookie, 'base64url').toString('utf8').split('|');
    const future = Buffer.from(`${ver}|${store}|${Number(rev) + 1000}|${hash}`).toString('base64url');
    await rt.close();
    rt = await buildRuntime({ ...DEFAULT_CONFIG, datastore: 'sqlite', datastorePath: join(dir, 'w.db'), bootstrap: false, freshnessWaitMs: 200 });
    await expect(send('user:ana', { atLeastAsFresh: future })).rejects.toThrow(/not available yet/);
  });

  it('a bad item fails the whole batch and writes nothing', async () => {
    const before = await rt.datastore.headRevision();
    await expect(
      rt.service.writeRelationships({
        updates: [
          { operation: 'touch', relationship: 'channel:wa1#assigned_user@user:ana' },
          { operation: 'touch', relationship: 'channel:wa1#assigned_user@team:sales' },
        ],
      }),
    ).rejects.toThrow(/channel:wa1#assigned_user@team:sales/);
    expect(await rt.datastore.headRevision()).toBe(before);
    expect((await send('user:ana', { fullyConsistent: true })).allowed).toBe(false);
  });

  it('survives a restart: same store id, same data, old zookies still honoured', async () => {
    const { zookie } = await write('channel:wa1#assigned_user@user:ana');
    await rt.close();
    rt = await open();
    expect((await send('user:ana', { atLeastAsFresh: zookie })).allowed).toBe(true);
    expect((await send('user:ana', { atExactSnapshot: zookie })).allowed).toBe(true);
  });

  it('after a restart, refuses an exact snapshot older than the start with a clear error', async () => {
    const { zookie: older } = await write('channel:wa1#assigned_user@user:ana');
    await remove('channel:wa1#assigned_user@user:ana');
    const { zookie: newest } = await write('channel:wa2#assigned_user@user:ana');
    await rt.close();
    rt = await open();
    const refused = send('user:ana', { atExactSnapshot: older });
    await expect(refused).rejects.toBeInstanceOf(RevisionUnavailableError);
    await expect(refused).rejects.toThrow(/older than this server's start: it loaded the store at revision \d+/);
    // Fresher reads of the same zookie, and exact reads from the start on, are answered.
    expect((await send('user:ana', { atLeastAsFresh: older })).allowed).toBe(false);
    expect((await send('user:ana', { atExactSnapshot: newest })).allowed).toBe(false);
  });
});

describe('schema changes', () => {
  it('refuses a change that would orphan stored relationships, naming them, and changes nothing', async () => {
    await write('channel:wa1#assigned_team@team:sales');
    const without = SCHEMA.replace('  relation assigned_team: team\n', '').replace(' + assigned_team->member', '');
    await expect(rt.service.writeSchema({ schema: without })).rejects.toThrow(/channel#assigned_team is removed but 1 relationship/);
    expect((await rt.service.readSchema({ consistency: { fullyConsistent: true } })).schema).toBe(SCHEMA);
  });

  it('refuses dropping a subject type still in use, and accepts it once the relationships are gone', async () => {
    await write('team:sales#member@team:ops#member');
    const narrowed = SCHEMA.replace('relation member: user | team#member', 'relation member: user');
    await expect(rt.service.writeSchema({ schema: narrowed })).rejects.toThrow(/no longer allows `team#member` but 1 relationship/);
    await remove('team:sales#member@team:ops#member');
    await expect(rt.service.writeSchema({ schema: narrowed })).resolves.toHaveProperty('zookie');
  });

  it('reports every schema error with line:column', async () => {
    await expect(rt.service.writeSchema({ schema: 'definition user {}\ndefinition doc {\n  relation viewer: usr\n}' })).rejects.toThrow(/3:\d+: .*usr/);
  });
});
