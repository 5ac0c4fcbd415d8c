/**
 * The plain shapes of a Check and a CheckBulk body: exactly the fields the declared route's schema
 * declares, strings where it wants strings, so that zod's parse would return the body unchanged. The
 * check lane (check-lane.ts) answers such requests without the app; it hands any other one to the
 * declared route, which answers or refuses it (test/api/http/plain-check.test.ts holds the two to agree).
 */
import type { CheckBulkRequest, CheckRequest, Consistency } from '../../service/types.js';

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
