/**
 * Crash safety of the SQLite store: a child `warden serve` takes concurrent write batches and a
 * multi-batch import, is killed with SIGKILL at a seeded moment, and is restarted on the same file.
 * Then: every write batch whose zookie came back is there; no write batch and no import batch is
 * half-applied; re-running the import completes it without duplicating anything. The seeds run one
 * after another on one file, so later seeds also prove that earlier crashes lost nothing.
 *
 * SIGKILL leaves the OS page cache intact, so this proves atomic commits and "acknowledge only after
 * commit"; it cannot prove fsync ordering against power loss (that is what synchronous=FULL is for).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAll, notAllowed, ok, postJson, postText, seededRandom, sleep } from './support/http.js';
import { startSqliteWarden, type WardenChild } from './support/warden-child.js';

const SCHEMA = `definition user {}
definition doc {
  relation viewer: user
}
`;

/** The server's import batch (DEFAULT_CONFIG.importBatchSize; `serve` has no flag for it). */
const IMPORT_BATCH = 5_000;
/** Three full batches and a partial one: a kill after the first or second batch always cuts it. */
const IMPORT_TOTAL = 17_500;
const UPDATES_PER_WRITE = 4;
const WRITERS = 4;
const MAX_WRITES_PER_SEED = 2_000;
const MAX_LOAD_MS = 20_000;
// Chosen so that one kill lands after the first import batch, one after the second, one among writes.
const SEEDS = [1, 202, 303];

/** One seed's load: what the client sent and what it was told. */
interface Load {
  acked: Set<number>;
  attempted: number;
  /** Non-200 answers while the server was up: each one is a failure in itself. */
  refused: string[];
  importAcked: boolean;
  importRowsAtKill: number;
  mode: string;
}

const writeId = (seed: number, batch: number, j: number) => `doc:s${seed}-w${batch}-${j}#viewer@user:b${batch}`;
const importLine = (seed: number, k: number) => `doc:s${seed}-i${k}#viewer@user:imp`;
const importBody = (seed: number) => Array.from({ length: IMPORT_TOTAL }, (_, k) => importLine(seed, k)).join('\n') + '\n';

/** Committed import rows of one seed, read straight from the file by a second connection (WAL lets it). */
function importRowCounter(dbPath: string, seed: number): { count(): number; close(): void } {
  const db = new Sqlite(dbPath, { readonly: true, fileMustExist: true });
  const stmt = db.prepare<[string, string], { n: number }>(
    "SELECT count(*) AS n FROM relationships WHERE resource_type = 'doc' AND resource_id >= ? AND resource_id < ? AND deleted_rev = 0",
  );
  return { count: () => stmt.get(`s${seed}-i`, `s${seed}-j`)!.n, close: () => db.close() };
}

/**
 * Runs writers and the import against `server` and SIGKILLs it at a seeded moment: either at a random
 * time, or right after a given number of import batches has committed (so that some runs are sure to
 * cut an import in the middle).
 */
async function loadAndKill(server: WardenChild, dbPath: string, seed: number, midImport: boolean): Promise<Load> {
  const random = seededRandom(seed);
  const load: Load = { acked: new Set(), attempted: 0, refused: [], importAcked: false, importRowsAtKill: -1, mode: '' };
  let stopped = false;
  const deadline = Date.now() + MAX_LOAD_MS;
  let next = 0;
  const writer = async () => {
    while (!stopped && next < MAX_WRITES_PER_SEED && Date.now() < deadline) {
      const batch = next++;
      load.attempted++;
      const updates = Array.from({ length: UPDATES_PER_WRITE }, (_, j) => ({ operation: 'touch', relationship: writeId(seed, batch, j) }));
      let r;
      try {
        r = await postJson(server.httpUrl, '/v1/relationships/write', { updates });
      } catch {
        return; // the server is gone: this batch is in doubt, which the checks allow
      }
      if (r.status === 200 && typeof r.body.zookie === 'string') load.acked.add(batch);
      else load.refused.push(`write ${batch}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  const importDelayMs = Math.floor(random() * 400);
  const importing = (async () => {
    await sleep(importDelayMs);
    if (stopped) return;
    try {
      const r = await postText(server.httpUrl, '/v1/relationships/import', importBody(seed), 60_000);
      if (r.status === 200 && r.body.count === IMPORT_TOTAL) load.importAcked = true;
      else load.refused.push(`import: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    } catch {
      // killed while importing
    }
  })();
  const writers = Array.from({ length: WRITERS }, writer);

  const counter = importRowCounter(dbPath, seed);
  try {
    if (midImport) {
      const batches = 1 + Math.floor(random() * 2);
      const jitterMs = Math.floor(random() * 40);
      load.mode = `after ${batches} import batch(es) + ${jitterMs} ms`;
      while (counter.count() < batches * IMPORT_BATCH && Date.now() < deadline) await sleep(5);
      await sleep(jitterMs);
    } else {
      const delayMs = 300 + Math.floor(random() * 2_200);
      load.mode = `at ${delayMs} ms (import from ${importDelayMs} ms)`;
      await sleep(delayMs);
    }
    await server.kill();
    stopped = true;
    load.importRowsAtKill = counter.count();
  } finally {
    counter.close();
  }
  await Promise.all([importing, ...writers]);
  return load;
}

interface Observed {
  /** Write batch id -> how many of its relationships are stored. */
  writes: Map<number, number>;
  /** Imported line numbers found, ascending. */
  imported: number[];
  unexpected: string[];
}

async function observe(base: string, seed: number): Promise<Observed> {
  const rows = await exportAll(base, { resourceType: 'doc', resourceIdPrefix: `s${seed}-` });
  const writeRe = new RegExp(`^doc:s${seed}-w(\\d+)-(\\d+)#viewer@user:b(\\d+)$`);
  const importRe = new RegExp(`^doc:s${seed}-i(\\d+)#viewer@user:imp$`);
  const o: Observed = { writes: new Map(), imported: [], unexpected: [] };
  for (const row of rows) {
    const w = writeRe.exec(row);
    const i = importRe.exec(row);
    if (w && w[1] === w[3]) o.writes.set(Number(w[1]), (o.writes.get(Number(w[1])) ?? 0) + 1);
    else if (i) o.imported.push(Number(i[1]));
    else o.unexpected.push(row);
  }
  o.imported.sort((a, b) => a - b);
  return o;
}

function ackedRelationships(seed: number, acked: Iterable<number>): string[] {
  return [...acked].flatMap((batch) => Array.from({ length: UPDATES_PER_WRITE }, (_, j) => writeId(seed, batch, j)));
}

describe('SIGKILL during writes and an import (sqlite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-crash-'));
  const dbPath = join(dir, 'w.db');
  const loads = new Map<number, Load>();
  let server: WardenChild;

  beforeAll(async () => {
    server = await startSqliteWarden(dbPath);
    ok(await postJson(server.httpUrl, '/v1/schema', { schema: SCHEMA }), 'write schema');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it.each(SEEDS.map((seed, n) => [seed, n % 2 === 0] as const))(
    'seed %i (mid-import kill: %s): acknowledged writes survive, no batch is half-applied, the import resumes',
    async (seed, midImport) => {
      const load = await loadAndKill(server, dbPath, seed, midImport);
      loads.set(seed, load);
      server = await startSqliteWarden(dbPath);
      const o = await observe(server.httpUrl, seed);
      console.log(
        `crash seed ${seed}: killed ${load.mode}; ${load.acked.size}/${load.attempted} writes acknowledged, ${o.writes.size} stored; ` +
          `import ${load.importAcked ? 'acknowledged' : 'cut'} with ${o.imported.length}/${IMPORT_TOTAL} rows stored`,
      );

      expect(load.refused).toEqual([]);
      expect(o.unexpected).toEqual([]);
      // Every write batch is all or nothing, and nothing exists that was never sent.
      const partial = [...o.writes].filter(([, n]) => n !== UPDATES_PER_WRITE);
      expect(partial).toEqual([]);
      for (const batch of o.writes.keys()) expect(batch).toBeLessThan(load.attempted);
      // Every acknowledged batch is there, in the store and to the engine after the reload.
      const lost = [...load.acked].filter((b) => !o.writes.has(b));
      expect(lost).toEqual([]);
      expect(await notAllowed(server.httpUrl, ackedRelationships(seed, load.acked))).toEqual([]);
      // Import batches commit in order and whole: what is stored is a prefix of whole batches.
      const n = o.imported.length;
      expect(n % IMPORT_BATCH === 0 || n === IMPORT_TOTAL, `${n} import rows is not a whole number of batches`).toBe(true);
      expect(o.imported).toEqual(Array.from({ length: n }, (_, k) => k));
      expect(n).toBe(load.importRowsAtKill);
      if (load.importAcked) expect(n).toBe(IMPORT_TOTAL);

      // Re-running the import finishes it; what was already there is touched, not duplicated.
      const again = ok(await postText(server.httpUrl, '/v1/relationships/import', importBody(seed), 60_000), 're-import');
      expect(again.count).toBe(IMPORT_TOTAL);
      const after = await observe(server.httpUrl, seed);
      expect(after.imported).toEqual(Array.from({ length: IMPORT_TOTAL }, (_, k) => k));
      expect(after.writes).toEqual(o.writes);
      expect(after.unexpected).toEqual([]);
    },
    60_000,
  );

  it('after a clean restart, every acknowledged write of every seed is still there', async () => {
    expect(loads.size).toBe(SEEDS.length);
    expect(await server.stop()).toBe(0);
    server = await startSqliteWarden(dbPath);
    // Across the seeds both kinds of kill happened: some cut the import, some landed among writes.
    const acked = [...loads.values()].reduce((n, l) => n + l.acked.size, 0);
    expect(acked).toBeGreaterThan(0);
    expect([...loads.values()].some((l) => l.importRowsAtKill > 0 && l.importRowsAtKill < IMPORT_TOTAL)).toBe(true);
    for (const [seed, load] of loads) {
      const o = await observe(server.httpUrl, seed);
      expect([...load.acked].filter((b) => !o.writes.has(b))).toEqual([]);
      expect([...o.writes.values()].every((n) => n === UPDATES_PER_WRITE)).toBe(true);
      expect(o.imported.length).toBe(IMPORT_TOTAL);
    }
  }, 60_000);
});
