import { describe, expect, it } from 'vitest';
import { InvalidRelationshipError, UnknownDefinitionError, UnknownRelationError } from '../../src/core/errors.js';
import { parseRelationship } from '../../src/core/refs.js';
import { compileSchemaOrThrow } from '../../src/schema/compiler.js';
import {
  getDefinition,
  getRelation,
  lookupDefinition,
  lookupRelation,
  validateRelationship,
} from '../../src/schema/relationship-validation.js';

const schema = compileSchemaOrThrow(`
definition user {}
definition team {
  relation member: user
  relation admin: user
}
definition channel {
  relation assigned_team: team#member | user
  relation viewer: user:*
  relation public_viewer: user | user:*
  permission send = assigned_team
}
`);

function check(rel: string): void {
  validateRelationship(schema, parseRelationship(rel));
}

function messageOf(rel: string): string {
  try {
    check(rel);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidRelationshipError);
    return (e as Error).message;
  }
  throw new Error(`expected ${rel} to be refused`);
}

describe('validateRelationship', () => {
  it.each([
    'channel:wa1#assigned_team@team:sales#member',
    'channel:wa1#assigned_team@user:ana',
    'channel:wa1#viewer@user:*',
    'channel:wa1#public_viewer@user:*',
    'channel:wa1#public_viewer@user:ana',
    'team:sales#member@user:ana',
  ])('accepts %s', (rel) => {
    expect(() => check(rel)).not.toThrow();
  });

  it('names the relationship and the allowed types when the subject type is not allowed', () => {
    expect(messageOf('channel:wa1#assigned_team@team:sales#admin')).toBe(
      'relationship `channel:wa1#assigned_team@team:sales#admin`: subject type `team#admin` is not allowed on `channel#assigned_team`; allowed: `team#member`, `user`',
    );
    expect(messageOf('channel:wa1#assigned_team@team:sales')).toBe(
      'relationship `channel:wa1#assigned_team@team:sales`: subject type `team` is not allowed on `channel#assigned_team`; allowed: `team#member`, `user`',
    );
  });

  it('refuses a wildcard where none is allowed, and a concrete subject where only the wildcard is', () => {
    expect(messageOf('channel:wa1#assigned_team@user:*')).toBe(
      'relationship `channel:wa1#assigned_team@user:*`: wildcard subject `user:*` is not allowed on `channel#assigned_team`; allowed: `team#member`, `user`',
    );
    expect(messageOf('channel:wa1#viewer@user:ana')).toBe(
      'relationship `channel:wa1#viewer@user:ana`: subject type `user` is not allowed on `channel#viewer`; allowed: `user:*`',
    );
  });

  it('refuses unknown resource types and relations, and writes to permissions', () => {
    expect(messageOf('folder:1#viewer@user:ana')).toBe(
      'relationship `folder:1#viewer@user:ana`: resource type `folder` is not defined in the schema',
    );
    expect(messageOf('channel:wa1#owner@user:ana')).toBe(
      'relationship `channel:wa1#owner@user:ana`: relation `owner` not found on definition `channel`',
    );
    expect(messageOf('channel:wa1#send@user:ana')).toBe(
      'relationship `channel:wa1#send@user:ana`: `channel#send` is a permission; relationships can only be written to relations',
    );
  });

  it('refuses subjects of unknown types', () => {
    expect(messageOf('channel:wa1#assigned_team@robot:r2')).toMatch(/subject type `robot` is not allowed/);
  });
});

describe('look-up helpers', () => {
  it('get* return undefined when missing', () => {
    expect(getDefinition(schema, 'team')?.name).toBe('team');
    expect(getDefinition(schema, 'nope')).toBeUndefined();
    expect(getRelation(schema, 'channel', 'send')?.kind).toBe('permission');
    expect(getRelation(schema, 'channel', 'nope')).toBeUndefined();
    expect(getRelation(schema, 'nope', 'send')).toBeUndefined();
  });

  it('lookup* throw typed errors', () => {
    expect(lookupDefinition(schema, 'user').name).toBe('user');
    expect(lookupRelation(schema, 'team', 'member').kind).toBe('relation');
    expect(() => lookupDefinition(schema, 'nope')).toThrow(UnknownDefinitionError);
    expect(() => lookupRelation(schema, 'nope', 'member')).toThrow(UnknownDefinitionError);
    expect(() => lookupRelation(schema, 'team', 'nope')).toThrow(UnknownRelationError);
  });
});
