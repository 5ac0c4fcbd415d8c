/** The few HTTP calls the replica tests make, with every wait bounded. */

export const TEST_SCHEMA = `
definition user {}
definition doc {
  relation viewer: user
  permission view = viewer
}
`;

const CALL_TIMEOUT_MS = 15_000;

export interface Reply<T> {
  status: number;
  body: T;
  ms: number;
}

export interface ErrorBody {
  error: { code: string; reason: string; message: string };
}

export async function post<T>(base: string, path: string, body: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<Reply<T>> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: (await res.json()) as T, ms: performance.now() - started };
}

export async function get<T>(base: string, path: string, timeoutMs = CALL_TIMEOUT_MS): Promise<Reply<T>> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.json()) as T, ms: performance.now() - started };
}

/** Throws with the server's error when the status is not 200. */
function ok<T>(r: Reply<T | ErrorBody>, what: string): T {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T;
}

export async function writeSchema(base: string, schema = TEST_SCHEMA): Promise<string> {
  return ok(await post<{ zookie: string } | ErrorBody>(base, '/v1/schema', { schema }), 'write schema').zookie;
}

export async function write(base: string, operation: 'touch' | 'create' | 'delete', ...relationships: string[]): Promise<string> {
  const updates = relationships.map((relationship) => ({ operation, relationship }));
  return ok(await post<{ zookie: string } | ErrorBody>(base, '/v1/relationships/write', { updates }), `write ${relationships.join(', ')}`).zookie;
}

export function checkAt(base: string, resource: string, permission: string, subject: string, zookie?: string) {
  return post<{ allowed: boolean; zookie: string } | ErrorBody>(base, '/v1/permissions/check', {
    resource,
    permission,
    subject,
    ...(zookie ? { consistency: { atLeastAsFresh: zookie } } : {}),
  });
}

export async function allowed(base: string, resource: string, permission: string, subject: string, zookie?: string): Promise<boolean> {
  return ok(await checkAt(base, resource, permission, subject, zookie), `check ${resource}#${permission}@${subject}`).allowed;
}

export async function lookupResources(base: string, resourceType: string, permission: string, subject: string, zookie: string): Promise<string[]> {
  const r = await post<{ resources: string[] } | ErrorBody>(base, '/v1/permissions/lookup-resources', {
    resourceType,
    permission,
    subject,
    consistency: { atLeastAsFresh: zookie },
  });
  return ok(r, `lookup-resources ${resourceType}#${permission}@${subject}`).resources;
}

/** The revision inside a zookie (the tests may look inside; clients must not). */
export function revisionOf(zookie: string): number {
  const parts = Buffer.from(zookie, 'base64url').toString('utf8').split('|');
  return Number(parts[2]);
}

export interface WatchEventLine {
  type: 'changes' | 'heartbeat';
  zookie: string;
  changes?: { operation: 'touch' | 'delete'; relationship: string }[];
  error?: ErrorBody['error'];
}

/** An open `POST /v1/watch` stream: its lines as they arrive, until `close()`. */
export interface WatchStream {
  readonly events: WatchEventLine[];
  /** Resolves when `predicate` holds for the events so far; rejects after `ms` or if the stream ends. */
  until(predicate: (events: readonly WatchEventLine[]) => boolean, ms: number): Promise<void>;
  close(): void;
}

export async function openWatch(base: string, afterZookie: string | undefined, heartbeatMs = 1000): Promise<WatchStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}/v1/watch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...(afterZookie ? { afterZookie } : {}), heartbeatMs }),
    signal: abort.signal,
  });
  if (res.status !== 200) throw new Error(`watch: HTTP ${res.status} ${await res.text()}`);
  const events: WatchEventLine[] = [];
  const notify = new Set<() => void>();
  let ended: string | undefined;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) events.push(JSON.parse(line) as WatchEventLine);
        }
        for (const n of [...notify]) n();
      }
      ended = 'the watch stream ended';
    } catch (e) {
      ended = `the watch stream failed: ${(e as Error).message}`;
    }
    for (const n of [...notify]) n();
  })();
  return {
    events,
    until(predicate, ms) {
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          clearTimeout(timer);
          notify.delete(check);
          if (err) reject(err);
          else resolve();
        };
        const check = () => {
          if (predicate(events)) done();
          else if (ended !== undefined) done(new Error(`${ended} before the expected events arrived (${events.length} lines)`));
        };
        const timer = setTimeout(() => done(new Error(`watch: expected events not seen within ${ms} ms (${events.length} lines)`)), ms);
        notify.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
