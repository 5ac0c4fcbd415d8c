/** The few HTTP calls the reliability tests make against a child server, every one bounded in time. */

const CALL_TIMEOUT_MS = 20_000;

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export async function postJson(base: string, path: string, body: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<Reply> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function postText(base: string, path: string, text: string, timeoutMs = CALL_TIMEOUT_MS): Promise<Reply> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: text,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Throws with the server's answer unless it is a 200. */
export function ok(r: Reply, what: string): Record<string, unknown> {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * Every relationship matching `filter` at the newest revision, via the NDJSON export. Fails unless the
 * stream ended with its `{zookie,count}` line (a stream without it was cut off) and the count agrees.
 */
export async function exportAll(base: string, filter: Record<string, string>): Promise<string[]> {
  const res = await fetch(`${base}/v1/relationships/export`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ consistency: { fullyConsistent: true }, filter }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`export: HTTP ${res.status} ${text}`);
  const out: string[] = [];
  let count: number | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const v = JSON.parse(line) as { relationship?: string; count?: number; error?: unknown };
    if (v.error !== undefined) throw new Error(`export failed midway: ${line}`);
    if (typeof v.relationship === 'string') out.push(v.relationship);
    else if (typeof v.count === 'number') count = v.count;
  }
  if (count !== out.length) throw new Error(`export cut off or miscounted: ${out.length} lines, final count ${String(count)}`);
  return out;
}

/** The relationships of `relationships` that a fully consistent CheckBulk does not allow. */
export async function notAllowed(base: string, relationships: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  const CHUNK = 2_000;
  for (let i = 0; i < relationships.length; i += CHUNK) {
    const chunk = relationships.slice(i, i + CHUNK);
    const items = chunk.map((r) => {
      const [resourceAndRelation, subject] = r.split('@') as [string, string];
      const [resource, permission] = resourceAndRelation.split('#') as [string, string];
      return { resource, permission, subject };
    });
    const body = ok(await postJson(base, '/v1/permissions/check-bulk', { items, consistency: { fullyConsistent: true } }), 'check-bulk');
    const results = body.results as { allowed?: boolean; error?: unknown }[];
    results.forEach((res, k) => {
      if (res.allowed !== true) missing.push(`${chunk[k]!}${res.error ? ` (${JSON.stringify(res.error)})` : ''}`);
    });
  }
  return missing;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same kill moments. */
export function seededRandom(seed: number): () => number {
  // mulberry32's first outputs barely differ for nearby seeds (101, 202...): mix the seed first.
  let a = Math.imul(seed ^ (seed >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a = (a ^ (a >>> 16)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
