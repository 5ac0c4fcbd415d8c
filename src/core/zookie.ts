/**
 * Zookies: opaque, versioned consistency tokens. A zookie names the store it came from, the revision it
 * was minted at and the hash of the schema in force then, as base64url("w1|storeId|revision|schemaHash").
 * Clients must treat it as opaque; the version prefix lets the format change without breaking old tokens.
 */
import { InvalidZookieError } from './errors.js';
import type { Revision } from './revision.js';

const VERSION = 'w1';

export interface ZookieData {
  storeId: string;
  revision: Revision;
  schemaHash: string;
}

export function encodeZookie(z: ZookieData): string {
  return Buffer.from(`${VERSION}|${z.storeId}|${z.revision}|${z.schemaHash}`, 'utf8').toString('base64url');
}

/** Decodes a zookie and checks that it was minted by `storeId`; throws InvalidZookieError otherwise. */
export function decodeZookie(token: string, storeId: string): ZookieData {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new InvalidZookieError('malformed zookie: expected the opaque token returned by a previous call');
  }
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('|');
  if (parts.length !== 4 || parts[0] !== VERSION) {
    throw new InvalidZookieError('malformed zookie: expected the opaque token returned by a previous call');
  }
  const [, zStore, rev, schemaHash] = parts as [string, string, string, string];
  if (!/^(0|[1-9][0-9]{0,15})$/.test(rev)) {
    throw new InvalidZookieError('malformed zookie: bad revision');
  }
  if (zStore !== storeId) {
    throw new InvalidZookieError(`zookie was issued by another store (${zStore}), not by this one (${storeId})`);
  }
  return { storeId: zStore, revision: Number(rev), schemaHash };
}
