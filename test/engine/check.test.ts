/** Check, rule by rule, on small hand-written schemas (IR built directly). */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MaxDepthExceededError, UnknownDefinitionError, UnknownRelationError } from '../../src/core/errors.js';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { Engine } from '../../src/engine/engine.js';
import { ArrayGraph } from './support/array-graph.js';
import { obj, setup, subj } from './support/fixtures.js';
import { arrow, arrowAll, buildSchema, computed, exclusion, intersection, nil, permission, relation, union } from './support/schema-builder.js';

const schema = buildSchema({
  user: {},
  team: { member: relation('user', 'team#member'), lead: relation('user') },
  folder: { viewer: relation('user', 'team#member'), view: permission(computed('viewer')) },
  doc: {
    parent: relation('folder', 'team'),
    owner: relation('user'),
    viewer: relation('user', 'user:*', 'team#member'),
    banned: relation('user', 'team#member'),
    approver: relation('team'),
    view: permission(union(computed('owner'), computed('viewer'), arrow('parent', 'view'))),
    edit: permission(intersection(computed('owner'), computed('viewer'))),
    read: permission(exclusion(computed('view'), computed('banned'))),
    approve: permission(arrowAll('approver', 'member')),
    nothing: permission(nil),
    lead_view: permission(arrow('parent', 'lead')),
  },
});

describe('check: direct relations', () => {
  const { can } = setup(
    schema,
    'doc:1#viewer@user:ann',
    'doc:2#viewer@user:*',
    'doc:3#viewer@team:eng#member',
    'team:eng#member@user:bob',
    'team:eng#member@team:core#member',
    'team:core#member@user:cid',
  );

  it('matches the exact subject', () => {
    expect(can('doc:1', 'viewer', 'user:ann')).toBe(true);
    expect(can('doc:1', 'viewer', 'user:bob')).toBe(false);
  });

  it('a wildcard matches every subject of its type without a relation, and no userset', () => {
    expect(can('doc:2', 'viewer', 'user:anyone')).toBe(true);
    expect(can('doc:2', 'viewer', 'team:eng#member')).toBe(false);
    expect(can('doc:2', 'viewer', 'team:eng')).toBe(false);
  });

  it('follows usersets recursively', () => {
    expect(can('doc:3', 'viewer', 'user:bob')).toBe(true);
    expect(can('doc:3', 'viewer', 'user:cid')).toBe(true);
    expect(can('doc:3', 'viewer', 'user:ann')).toBe(false);
  });

  it('a userset is a member of itself, and of what grants it directly or through usersets', () => {
    expect(can('team:eng', 'member', 'team:eng#member')).toBe(true);
    expect(can('doc:3', 'viewer', 'team:eng#member')).toBe(true);
    expect(can('doc:3', 'viewer', 'team:core#member')).toBe(true);
    expect(can('doc:3', 'view', 'team:core#member')).toBe(true);
    expect(can('doc:1', 'viewer', 'team:eng#member')).toBe(false);
    // A plain object is not its own userset.
    expect(can('team:eng', 'member', 'team:eng')).toBe(false);
  });

  it('asking for a relation works like asking for a permission', () => {
    expect(can('team:core', 'member', 'user:cid')).toBe(true);
  });
});

describe('check: rewrites', () => {
  const { can } = setup(
    schema,
    'doc:1#owner@user:ann',
    'doc:1#viewer@user:ann',
    'doc:1#viewer@user:bob',
    'doc:1#banned@user:bob',
    'doc:1#parent@folder:f',
    'folder:f#viewer@user:cid',
    'doc:2#owner@user:ann',
    'doc:2#viewer@user:*',
    'doc:2#banned@team:bad#member',
    'team:bad#member@user:eve',
  );

  it('union of computed usersets and arrows', () => {
    expect(can('doc:1', 'view', 'user:ann')).toBe(true);
    expect(can('doc:1', 'view', 'user:cid')).toBe(true);
    expect(can('doc:1', 'view', 'user:dan')).toBe(false);
  });

  it('intersection', () => {
    expect(can('doc:1', 'edit', 'user:ann')).toBe(true);
    expect(can('doc:1', 'edit', 'user:bob')).toBe(false);
  });

  it('exclusion, also of a wildcard', () => {
    expect(can('doc:1', 'read', 'user:ann')).toBe(true);
    expect(can('doc:1', 'read', 'user:bob')).toBe(false);
    expect(can('doc:1', 'read', 'user:cid')).toBe(true);
    expect(can('doc:2', 'read', 'user:zed')).toBe(true);
    expect(can('doc:2', 'read', 'user:eve')).toBe(false);
  });

  it('nil is always false', () => {
    expect(can('doc:1', 'nothing', 'user:ann')).toBe(false);
  });

  it('an arrow skips subject types that lack the computed relation', () => {
    const { can: can2 } = setup(schema, 'doc:9#parent@folder:f', 'doc:9#parent@team:t', 'team:t#lead@user:lee');
    // `lead` exists on team, not on folder: the folder is skipped, not an error.
    expect(can2('doc:9', 'lead_view', 'user:lee')).toBe(true);
    expect(can2('doc:9', 'lead_view', 'user:ann')).toBe(false);
  });
});

describe('check: .all() arrows', () => {
  it('is true iff there is at least one tupleset object and every one has the relation', () => {
    const { can } = setup(
      schema,
      'doc:1#approver@team:a',
      'doc:1#approver@team:b',
      'team:a#member@user:ann',
      'team:b#member@user:ann',
      'team:b#member@user:bob',
      'doc:2#approver@team:a',
    );
    expect(can('doc:1', 'approve', 'user:ann')).toBe(true);
    expect(can('doc:1', 'approve', 'user:bob')).toBe(false);
    expect(can('doc:2', 'approve', 'user:ann')).toBe(true);
    expect(can('doc:3', 'approve', 'user:ann')).toBe(false);
  });
});

describe('check: errors and unreachable subjects', () => {
  const { engine, ctx, can } = setup(schema, 'doc:1#viewer@user:ann');

  it('unknown definitions and relations are typed errors', () => {
    expect(() => can('nope:1', 'view', 'user:ann')).toThrow(UnknownDefinitionError);
    expect(() => can('doc:1', 'nope', 'user:ann')).toThrow(UnknownRelationError);
    expect(() => can('doc:1', 'view', 'nope:ann')).toThrow(UnknownDefinitionError);
    expect(() => can('doc:1', 'view', 'team:x#nope')).toThrow(UnknownRelationError);
  });

  it('a subject type that can never reach the permission is false, not an error', () => {
    expect(can('doc:1', 'view', 'folder:f')).toBe(false);
    expect(can('doc:1', 'approve', 'team:t')).toBe(false);
  });

  it('a wildcard subject is refused, as SpiceDB does', () => {
    expect(() => engine.check(ctx, obj('doc:1'), 'view', { type: 'user', id: '*' })).toThrow(InvalidArgumentError);
  });
});

describe('check: depth', () => {
  const groups = buildSchema({ user: {}, group: { member: relation('user', 'group#member') } });
  // group:g0 contains user:deep; g(i+1) contains g(i)#member.
  const chain = (n: number): ArrayGraph =>
    ArrayGraph.of('group:g0#member@user:deep', ...Array.from({ length: n }, (_, i) => `group:g${i + 1}#member@group:g${i}#member`));

  it('each hop takes one from the max depth; running out is an error, never a silent false', () => {
    const engine = new Engine(buildDispatcherRing().head);
    const graph = chain(60);
    expect(() => engine.check({ schema: groups, graph }, obj('group:g60'), 'member', subj('user:deep'))).toThrow(MaxDepthExceededError);
    expect(engine.check({ schema: groups, graph, maxDepth: 100 }, obj('group:g60'), 'member', subj('user:deep'))).toBe(true);
  });

  it('the boundary is SpiceDB\'s: a request arriving with no depth left fails', () => {
    // g10 -> g9 -> ... -> g0 is 11 dispatches: the first arrives with maxDepth, the last with maxDepth - 10.
    const graph = chain(10);
    expect(new Engine(buildDispatcherRing().head).check({ schema: groups, graph, maxDepth: 11 }, obj('group:g10'), 'member', subj('user:deep'))).toBe(true);
    expect(() => new Engine(buildDispatcherRing().head).check({ schema: groups, graph, maxDepth: 10 }, obj('group:g10'), 'member', subj('user:deep'))).toThrow(
      MaxDepthExceededError,
    );
  });

  it('a cached answer is not reused by a request with less depth than it needed', () => {
    const engine = new Engine(buildDispatcherRing().head);
    const graph = chain(10);
    expect(engine.check({ schema: groups, graph, maxDepth: 50 }, obj('group:g10'), 'member', subj('user:deep'))).toBe(true);
    expect(() => engine.check({ schema: groups, graph, maxDepth: 10 }, obj('group:g10'), 'member', subj('user:deep'))).toThrow(MaxDepthExceededError);
    // And an error is never cached: with depth enough, the same question succeeds.
    expect(engine.check({ schema: groups, graph, maxDepth: 11 }, obj('group:g10'), 'member', subj('user:deep'))).toBe(true);
  });
});

describe('checkMany', () => {
  it('answers each item, batching those that share permission and subject, with errors per item', () => {
    const { engine, ctx } = setup(schema, 'doc:1#viewer@user:ann', 'doc:2#owner@user:ann');
    const out = engine.checkMany(ctx, [
      { resource: obj('doc:1'), permission: 'view', subject: subj('user:ann') },
      { resource: obj('doc:2'), permission: 'view', subject: subj('user:ann') },
      { resource: obj('doc:3'), permission: 'view', subject: subj('user:ann') },
      { resource: obj('doc:1'), permission: 'nope', subject: subj('user:ann') },
      { resource: obj('doc:1'), permission: 'view', subject: subj('user:bob') },
    ]);
    expect(out.map((o) => o.allowed)).toEqual([true, true, false, undefined, false]);
    expect(out[3]!.error).toBeInstanceOf(UnknownRelationError);
  });
});
