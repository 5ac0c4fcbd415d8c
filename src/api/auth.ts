/** Preshared-key authentication shared by both transports. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../core/errors.js';

/**
 * Returns a checker for `Authorization` header values, or undefined when no key is configured.
 * Both sides are hashed first so the comparison is constant-time whatever the lengths.
 */
export function bearerChecker(presharedKey: string | undefined): ((header: string | undefined) => void) | undefined {
  if (!presharedKey) return undefined;
  const expected = createHash('sha256').update(presharedKey).digest();
  return (header) => {
    const m = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
    const given = createHash('sha256')
      .update(m?.[1] ?? '')
      .digest();
    if (!m || !timingSafeEqual(given, expected)) throw new UnauthenticatedError();
  };
}
