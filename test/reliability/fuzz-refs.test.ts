/**
 * Relationship strings and zookies arrive from clients on every request. Whatever they are, the parsers
 * either return a well-formed value or throw their own typed error (an AuthzError with a message that a
 * client can act on): never a TypeError, a RangeError or a silently wrong value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthzError, InvalidZookieError, RelationshipParseError } from '../../src/core/errors.js';
import {
  formatRelationship,
  formatSubjectRef,
  isValidObjectId,
  isValidRelationName,
  isValidTypeName,
  parseObjectRef,
  parseRelationship,
  parseSubjectRef,
  relationshipEquals,
} from '../../src/core/refs.js';
import { decodeZookie, encodeZookie } from '../../src/core/zookie.js';
import { mutatedArb } from './support/mutate.js';

const RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? 500);

const RELATIONSHIPS = [
  'channel:wa1#assigned_team@team:sales#member',
  'doc:1#viewer@user:*',
  'doc:readme#viewer@user:ana#...',
  'acme/doc:x_1#viewer@user:ana',
  'org/eu_west/team:a=b+c|d/e-f#member@org/eu_west/user:Z9',
  'conversation:42#reply@role:agent#member',
];
const REF_CHARS = [...'abcxyz_019AZ:#@*/.|=+-[] \t\n', '...', '\u0000', '\u00e9', '\ud83d\ude00', '\ud800'];
const REF_TOKENS = ['doc', 'user', 'team', 'member', 'viewer', '*', '...', ':', '#', '@', '/', 'ab', 'a'.repeat(65), 'x'.repeat(1025), '[caveat]', '[expiration:2025-01-01T00:00:00Z]'];

/** The parser's own error, with a message that says something; anything else fails the property. */
function expectParseError(e: unknown, input: string): void {
  if (!(e instanceof RelationshipParseError)) {
    throw new Error(`${JSON.stringify(input.slice(0, 200))} threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  expect(e).toBeInstanceOf(AuthzError);
  expect(e.code).toBe('INVALID_ARGUMENT');
  expect(e.message.trim().length).toBeGreaterThan(0);
}

function checkRelationship(input: string): void {
  let r;
  try {
    r = parseRelationship(input);
  } catch (e) {
    expectParseError(e, input);
    return;
  }
  // What it accepts is well-formed, and prints back to a string that parses to the same relationship.
  expect(isValidTypeName(r.resource.type) && isValidObjectId(r.resource.id) && isValidRelationName(r.relation)).toBe(true);
  expect(isValidTypeName(r.subject.type)).toBe(true);
  expect(r.subject.id === '*' || isValidObjectId(r.subject.id)).toBe(true);
  if (r.subject.relation !== undefined) expect(isValidRelationName(r.subject.relation) && r.subject.id !== '*').toBe(true);
  expect(relationshipEquals(parseRelationship(formatRelationship(r)), r)).toBe(true);
}

describe('parseRelationship on untrusted strings', () => {
  it('mutated valid relationships: a relationship that round-trips, or a RelationshipParseError', () => {
    fc.assert(
      fc.property(mutatedArb(RELATIONSHIPS, REF_CHARS, REF_TOKENS), checkRelationship),
      { numRuns: RUNS },
    );
  });

  it('strings made of the syntax characters: same', () => {
    const soup = fc.array(fc.constantFrom(...REF_CHARS, ...REF_TOKENS), { maxLength: 30 }).map((xs) => xs.join(''));
    fc.assert(fc.property(soup, checkRelationship), { numRuns: RUNS });
  });

  it('arbitrary strings (any code points, lone surrogates): same', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), checkRelationship), { numRuns: RUNS });
  });

  it('object and subject references: a value or a RelationshipParseError', () => {
    const refs = mutatedArb(['doc:1', 'user:*', 'team:sales#member', 'user:ana#...', 'acme/doc:x'], REF_CHARS, REF_TOKENS, 3);
    fc.assert(
      fc.property(refs, (input) => {
        try {
          const o = parseObjectRef(input);
          expect(isValidTypeName(o.type) && isValidObjectId(o.id)).toBe(true);
        } catch (e) {
          expectParseError(e, input);
        }
        try {
          const s = parseSubjectRef(input);
          expect(parseSubjectRef(formatSubjectRef(s))).toEqual(s);
        } catch (e) {
          expectParseError(e, input);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a huge input is refused quickly with a bounded message', () => {
    const huge = `doc:${'a'.repeat(1_000_000)}#viewer@user:ana`;
    const started = performance.now();
    let message = '';
    try {
      parseRelationship(huge);
    } catch (e) {
      expectParseError(e, huge);
      message = (e as Error).message;
    }
    expect(message.length).toBeGreaterThan(0);
    expect(message.length).toBeLessThan(2_000);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

const STORE = '0d6c3b1e-5f0a-4c7e-9a43-2b8f1d7e6a55';
const base64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const validZookie = fc
  .record({ revision: fc.nat({ max: Number.MAX_SAFE_INTEGER }), schemaHash: fc.stringMatching(/^[0-9a-f]{0,16}$/) })
  .map(({ revision, schemaHash }) => encodeZookie({ storeId: STORE, revision, schemaHash }));

function checkZookie(token: unknown): void {
  let z;
  try {
    z = decodeZookie(token as string, STORE);
  } catch (e) {
    if (!(e instanceof InvalidZookieError)) throw new Error(`${JSON.stringify(token)} threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message.trim().length).toBeGreaterThan(0);
    return;
  }
  // Accepted only for this store, with a revision that is a safe, non-negative integer. The schema hash
  // is not checked (any bytes decode): nothing reads it back, cache keys use the schema's own hash.
  expect(z.storeId).toBe(STORE);
  expect(Number.isSafeInteger(z.revision) && z.revision >= 0).toBe(true);
  expect(typeof z.schemaHash).toBe('string');
}

describe('decodeZookie on untrusted tokens', () => {
  it('valid zookies decode to what was encoded', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.stringMatching(/^[0-9a-f]{16}$/), (revision, schemaHash) => {
        expect(decodeZookie(encodeZookie({ storeId: STORE, revision, schemaHash }), STORE)).toEqual({ storeId: STORE, revision, schemaHash });
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid zookies: decoded for this store, or an InvalidZookieError', () => {
    const chars = [...'ABCxyz019-_+/=. \n', '\u0000', '\u00e9'];
    const corpus = [encodeZookie({ storeId: STORE, revision: 42, schemaHash: '3ea7db6caee818ff' }), encodeZookie({ storeId: STORE, revision: 0, schemaHash: '' })];
    fc.assert(fc.property(mutatedArb(corpus, chars, ['dzF8', 'AAAA', '==', 'x'.repeat(600)]), checkZookie), { numRuns: RUNS });
    fc.assert(fc.property(validZookie, checkZookie), { numRuns: 100 });
  });

  it('well-encoded tokens with wrong contents (versions, stores, revisions, separators): an InvalidZookieError', () => {
    const part = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('w1', 'w2', STORE, 'other-store', '-1', '1e3', '0x10', '01', '9007199254740993', '99999999999999999', '', '|'));
    const contents = fc.array(part, { minLength: 0, maxLength: 6 }).map((ps) => base64url(ps.join('|')));
    fc.assert(fc.property(contents, checkZookie), { numRuns: RUNS });
    for (const bad of ['w1|other|5|h', `w2|${STORE}|5|h`, `w1|${STORE}|-1|h`, `w1|${STORE}|01|h`, `w1|${STORE}|1.5|h`, `w1|${STORE}|5`]) {
      expect(() => decodeZookie(base64url(bad), STORE)).toThrow(InvalidZookieError);
    }
  });

  it('anything at all (non-strings too, as a JSON body may carry): never another kind of error', () => {
    fc.assert(fc.property(fc.oneof(fc.anything(), fc.string({ unit: 'binary', maxLength: 700 })), checkZookie), { numRuns: RUNS });
  });
});
