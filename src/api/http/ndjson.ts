/**
 * Line-oriented bodies: reading an import body one line at a time without buffering it whole, and
 * writing NDJSON responses (export, watch) that pull from the service only as fast as the client reads
 * and stop the service as soon as the client goes away.
 */
import type { Context } from 'hono';
import { InvalidArgumentError } from '../../core/errors.js';
import { describeHttpError, HttpTransportError, logUnexpected } from './http-errors.js';

const NEWLINE = 0x0a;

/**
 * The lines of a body, decoded as UTF-8, without their `\n` / `\r\n`. Only one line is held at a time;
 * a line longer than `maxLineBytes` is refused (413) rather than buffered without end. `onEnd` is
 * called once the whole body has been read.
 */
export async function* readLines(
  body: ReadableStream<Uint8Array> | null,
  maxLineBytes: number,
  onEnd: () => void = () => {},
): AsyncGenerator<string> {
  if (!body) return onEnd();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const reader = body.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  const take = (last: Uint8Array): string => {
    lineNo++;
    const bytes = pending.length === 0 ? last : concat([...pending, last], pendingBytes + last.length);
    pending = [];
    pendingBytes = 0;
    let line: string;
    try {
      // Each decode() starts afresh, so a byte-order mark (which editors put first) is dropped.
      line = decoder.decode(bytes);
    } catch {
      throw new InvalidArgumentError(`line ${lineNo}: not valid UTF-8`, 'IMPORT_LINE_INVALID');
    }
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  const tooLong = (): never => {
    throw new HttpTransportError(
      413,
      'RESOURCE_EXHAUSTED',
      'REQUEST_TOO_LARGE',
      `line ${lineNo + 1} is longer than ${maxLineBytes} bytes`,
    );
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let start = 0;
      for (let nl = value.indexOf(NEWLINE); nl >= 0; nl = value.indexOf(NEWLINE, start)) {
        if (pendingBytes + nl - start > maxLineBytes) tooLong();
        yield take(value.subarray(start, nl));
        start = nl + 1;
      }
      if (start < value.length) {
        pendingBytes += value.length - start;
        if (pendingBytes > maxLineBytes) tooLong();
        // Copy: the stream may hand out views of a buffer it reuses.
        pending.push(value.slice(start));
      }
    }
    onEnd();
    if (pendingBytes > 0) yield take(new Uint8Array(0));
  } finally {
    // Stops reading a body that the consumer gave up on (a bad line, a failed batch).
    reader.cancel().catch(() => {});
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Passes import lines on to the service (which reads both relationship strings and NDJSON objects),
 * blanking the `{"cursor":...}` and `{"zookie":...}` lines of an export so that an export body imports
 * as is. Blanked, not dropped: the service numbers lines in its error messages.
 */
export async function* importLines(lines: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of lines) yield isExportControlLine(line) ? '' : line;
}

function isExportControlLine(line: string): boolean {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !(trimmed.includes('"zookie"') || trimmed.includes('"cursor"'))) return false;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const keys = Object.keys(value);
    return keys.length > 0 && keys.every((k) => k === 'zookie' || k === 'cursor' || k === 'count');
  } catch {
    return false; // the service reports it, with its line number
  }
}

/** Encodes one NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

export interface NdjsonStreamOptions {
  /** Aborted when the client disconnects; the service's iterator must stop on it. */
  abort: AbortController;
  /**
   * How long to wait for the first chunk before sending the 200 headers. An error that arrives in
   * that time (a bad zookie, say) still gets its proper status; a later one becomes the last line,
   * `{"error":{...}}`. Infinity waits for the first chunk whatever it takes.
   */
  firstChunkWaitMs: number;
}

/**
 * An `application/x-ndjson` response fed by `chunks` (each one or more complete lines). Nothing is
 * read ahead of the client; when the client goes away the abort controller fires and the iterator is
 * closed.
 */
export async function ndjsonResponse(c: Context, chunks: AsyncIterator<string>, opts: NdjsonStreamOptions): Promise<Response> {
  const { abort } = opts;
  const onClientGone = () => stop();
  const stop = () => {
    c.req.raw.signal.removeEventListener('abort', onClientGone);
    if (!abort.signal.aborted) abort.abort();
    // Not awaited: a generator suspended in an await only returns once that await settles.
    chunks.return?.().catch(() => {});
  };
  c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });

  let first: Promise<IteratorResult<string>>;
  try {
    ({ first } = await primeFirst(chunks, opts.firstChunkWaitMs));
  } catch (err) {
    stop();
    throw err;
  }

  const encoder = new TextEncoder();
  let pending: Promise<IteratorResult<string>> | undefined = first;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: string | undefined;
        let ended = false;
        try {
          const r = await (pending ?? chunks.next());
          pending = undefined;
          if (r.done) ended = true;
          else chunk = r.value;
        } catch (err) {
          ended = true;
          // After a hang-up the iterator's failure is only the abort itself: nobody is left to tell.
          if (!abort.signal.aborted) {
            const d = describeHttpError(err);
            if (d.unexpected !== undefined) logUnexpected(c.req.method, c.req.path, d.unexpected);
            chunk = ndjsonLine(d.body);
          }
        }
        // The client may have gone while we waited; the controller is closed then.
        if (cancelled) return;
        if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
        if (ended) {
          stop();
          controller.close();
        }
      },
      cancel() {
        cancelled = true;
        stop();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies such as nginx would otherwise hold back a watch's events.
      'x-accel-buffering': 'no',
    },
  });
}

/**
 * Starts the first `next()` and waits up to `waitMs` for it. Throws if it failed in that time;
 * otherwise returns it (settled or not) for the stream to deliver.
 */
async function primeFirst(
  chunks: AsyncIterator<string>,
  waitMs: number,
): Promise<{ first: Promise<IteratorResult<string>> }> {
  let failed: { err: unknown } | undefined;
  const first = chunks.next();
  const settled = first.then(
    () => undefined,
    (err: unknown) => {
      failed = { err };
    },
  );
  if (waitMs === Infinity) {
    await settled;
  } else {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }
  if (failed) throw failed.err;
  // Wrapped, or the async function would wait for it after all.
  return { first };
}
