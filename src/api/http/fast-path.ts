/**
 * A fast path in front of the declared routes of Check and CheckBulk, the calls made at thousands a
 * second. The declared route runs a media-type gate, zod's parse of the body and a validation hook,
 * each an async middleware; for a body of the plain shape its schema accepts (exactly the fields it
 * declares, strings where it wants strings) the outcome is the same without them, and zod's output
 * would equal the input. Any other request (another media type, malformed JSON, a missing, extra or
 * mistyped field) goes on to the declared route, which answers or refuses it exactly as before: the
 * body is read once either way (hono caches it).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { CheckBulkRequest, CheckRequest, Consistency } from '../../service/types.js';
import { markBodyConsumed } from './http-errors.js';

/** Serves a request whose JSON body `accepts` takes with `handle`; passes any other one on. */
export function fastJsonRoute<T>(accepts: (body: unknown) => body is T, handle: (c: Context, body: T) => Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    let body: unknown;
    if (PLAIN_JSON.test(c.req.header('content-type') ?? '')) {
      try {
        body = await c.req.json();
      } catch {
        // Malformed: the declared route reports it.
      }
    }
    if (body === undefined || !accepts(body)) {
      await next();
      return;
    }
    markBodyConsumed(c);
    return handle(c, body);
  };
}

// Narrower than what the declared route accepts (any parameters), so nothing it refuses passes here.
export const PLAIN_JSON = /^application\/json(\s*;\s*charset=utf-8)?$/i;

type Fields = Record<string, unknown>;

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Counts enumerable keys without allocating (a parsed JSON object has no inherited ones). */
function keyCount(o: Fields, atMost: number): number {
  let n = 0;
  for (const _ in o) if (++n > atMost) break;
  return n;
}

function isConsistency(v: unknown): v is Consistency {
  if (!isFields(v) || keyCount(v, 1) !== 1) return false;
  return v.minimizeLatency === true || v.fullyConsistent === true || typeof v.atLeastAsFresh === 'string' || typeof v.atExactSnapshot === 'string';
}

/** The three strings of a check and, with `extra` allowed, an optional consistency: nothing else. */
function isCheckFields(v: Fields, extra: 'consistency' | 'none'): boolean {
  if (typeof v.resource !== 'string' || typeof v.permission !== 'string' || typeof v.subject !== 'string') return false;
  if (extra === 'consistency' && v.consistency !== undefined) return isConsistency(v.consistency) && keyCount(v, 4) === 4;
  return keyCount(v, 3) === 3;
}

/** CheckRequestSchema's plain case. */
export function isPlainCheck(body: unknown): body is CheckRequest {
  return isFields(body) && isCheckFields(body, 'consistency');
}

/** CheckBulkRequestSchema's plain case. */
export function isPlainCheckBulk(body: unknown): body is CheckBulkRequest {
  if (!isFields(body) || !Array.isArray(body.items)) return false;
  const n = body.consistency === undefined ? 1 : isConsistency(body.consistency) ? 2 : 0;
  if (n === 0 || keyCount(body, 2) !== n) return false;
  for (const item of body.items as unknown[]) if (!isFields(item) || !isCheckFields(item, 'none')) return false;
  return true;
}
