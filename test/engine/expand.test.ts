/** Expand: the userset tree, expanded to the depth the caller chose. */
import { describe, expect, it } from 'vitest';
import { UnknownRelationError } from '../../src/core/errors.js';
import type { ExpandNode } from '../../src/engine/engine.js';
import { obj, setup } from './support/fixtures.js';
import { arrow, buildSchema, computed, exclusion, nil, permission, relation, union } from './support/schema-builder.js';

const schema = buildSchema({
  user: {},
  team: { member: relation('user', 'team#member') },
  folder: { viewer: relation('user'), view: permission(computed('viewer')) },
  doc: {
    parent: relation('folder'),
    viewer: relation('user', 'user:*', 'team#member'),
    banned: relation('user'),
    view: permission(exclusion(union(computed('viewer'), arrow('parent', 'view')), computed('banned'))),
    none: permission(nil),
  },
});

/** A compact rendering, so the expected trees read like the schema. */
function render(n: ExpandNode): unknown {
  const at = `${n.resource.type}:${n.resource.id}#${n.relation}`;
  switch (n.kind) {
    case 'leaf':
      return { [at]: n.subjects.map((s) => `${s.type}:${s.id}${s.relation ? `#${s.relation}` : ''}`), ...(n.children.length ? { expanded: n.children.map(render) } : {}) };
    case 'arrow':
      return { [`${n.tupleset}->${n.computed}`]: n.children.map(render) };
    case 'union':
    case 'intersection':
    case 'exclusion':
      return { [n.kind]: n.children.map(render) };
    case 'nil':
      return 'nil';
    case 'truncated':
      return `${at} (truncated)`;
  }
}

describe('expand', () => {
  const { engine, ctx } = setup(
    schema,
    'doc:1#viewer@user:*',
    'doc:1#viewer@team:eng#member',
    'doc:1#parent@folder:f',
    'doc:1#banned@user:eve',
    'folder:f#viewer@user:ann',
    'team:eng#member@user:bob',
    'team:eng#member@team:core#member',
    'team:core#member@user:cid',
  );

  it('mirrors the rewrite, expands computed usersets, arrows and userset subjects', () => {
    expect(render(engine.expand(ctx, obj('doc:1'), 'view'))).toEqual({
      exclusion: [
        {
          union: [
            {
              'doc:1#viewer': ['team:eng#member', 'user:*'],
              expanded: [{ 'team:eng#member': ['team:core#member', 'user:bob'], expanded: [{ 'team:core#member': ['user:cid'] }] }],
            },
            { 'parent->view': [{ 'folder:f#viewer': ['user:ann'] }] },
          ],
        },
        { 'doc:1#banned': ['user:eve'] },
      ],
    });
  });

  it('stops where the depth asked for runs out, and marks it', () => {
    expect(render(engine.expand(ctx, obj('doc:1'), 'viewer', 2))).toEqual({
      'doc:1#viewer': ['team:eng#member', 'user:*'],
      expanded: [{ 'team:eng#member': ['team:core#member', 'user:bob'], expanded: ['team:core#member (truncated)'] }],
    });
  });

  it('expands nil and relations without subjects, and refuses unknown names', () => {
    expect(render(engine.expand(ctx, obj('doc:2'), 'none'))).toBe('nil');
    expect(render(engine.expand(ctx, obj('doc:2'), 'viewer'))).toEqual({ 'doc:2#viewer': [] });
    expect(() => engine.expand(ctx, obj('doc:2'), 'nope')).toThrow(UnknownRelationError);
  });

  it('terminates on cycles with a truncated branch', () => {
    const cyc = setup(schema, 'team:a#member@team:b#member', 'team:b#member@team:a#member');
    let node: ExpandNode = cyc.engine.expand(cyc.ctx, obj('team:a'), 'member', 5);
    let hops = 0;
    while (node.kind === 'leaf') {
      node = node.children[0]!;
      hops++;
    }
    expect(node.kind).toBe('truncated');
    expect(hops).toBe(5);
  });
});
