/** LookupResources and LookupSubjects on hand-written examples. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { SubjectRef } from '../../src/core/refs.js';
import { buildDispatcherRing } from '../../src/engine/build-ring.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/engine.js';
import type { GraphSnapshot } from '../../src/store/graph.js';
import { ArrayGraph } from './support/array-graph.js';
import { obj, setup, subj } from './support/fixtures.js';
import { arrow, buildSchema, computed, exclusion, intersection, permission, relation, union } from './support/schema-builder.js';

const schema = buildSchema({
  user: {},
  team: { member: relation('user', 'team#member') },
  channel: {
    assigned_team: relation('team'),
    assigned_user: relation('user'),
    muted: relation('user'),
    send: permission(exclusion(union(computed('assigned_user'), arrow('assigned_team', 'member')), computed('muted'))),
  },
  doc: {
    viewer: relation('user', 'user:*', 'team#member'),
    editor: relation('user'),
    banned: relation('user'),
    view: permission(exclusion(computed('viewer'), computed('banned'))),
    edit: permission(intersection(computed('editor'), computed('viewer'))),
  },
});

describe('lookupResources', () => {
  const { engine, ctx } = setup(
    schema,
    'channel:wa1#assigned_team@team:sales',
    'channel:wa2#assigned_user@user:ana',
    'channel:wa3#assigned_team@team:sales',
    'channel:wa3#muted@user:ana',
    'channel:wa4#assigned_team@team:support',
    'team:sales#member@user:ana',
    'team:sales#member@team:juniors#member',
    'team:juniors#member@user:joe',
    'doc:1#viewer@user:*',
    'doc:2#viewer@user:ana',
    'doc:2#editor@user:ana',
    'doc:3#editor@user:ana',
    'doc:4#viewer@user:*',
    'doc:4#banned@user:ana',
  );

  it('walks back from the subject through usersets and arrows, confirming exclusions', () => {
    expect(engine.lookupResources(ctx, 'channel', 'send', subj('user:ana')).resourceIds).toEqual(['wa1', 'wa2']);
    expect(engine.lookupResources(ctx, 'channel', 'send', subj('user:joe')).resourceIds).toEqual(['wa1', 'wa3']);
    expect(engine.lookupResources(ctx, 'channel', 'send', subj('user:nobody')).resourceIds).toEqual([]);
  });

  it('finds wildcard grants and confirms intersections', () => {
    expect(engine.lookupResources(ctx, 'doc', 'view', subj('user:ana')).resourceIds).toEqual(['1', '2']);
    expect(engine.lookupResources(ctx, 'doc', 'view', subj('user:bob')).resourceIds).toEqual(['1', '4']);
    expect(engine.lookupResources(ctx, 'doc', 'edit', subj('user:ana')).resourceIds).toEqual(['2']);
  });

  it('takes usersets as subjects, themselves included', () => {
    expect(engine.lookupResources(ctx, 'channel', 'send', subj('team:juniors#member')).resourceIds).toEqual(['wa1', 'wa3']);
    expect(engine.lookupResources(ctx, 'team', 'member', subj('team:juniors#member')).resourceIds).toEqual(['juniors', 'sales']);
  });

  it('pages with an opaque cursor: every result exactly once, in order', () => {
    const many = ArrayGraph.of(...Array.from({ length: 23 }, (_, i) => `doc:d${String(i).padStart(2, '0')}#viewer@user:ana`), 'doc:x#viewer@user:bob');
    const c: EngineContext = { schema, graph: many };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = engine.lookupResources(c, 'doc', 'view', subj('user:ana'), { limit: 5, ...(cursor ? { cursor } : {}) });
      expect(page.resourceIds.length).toBeLessThanOrEqual(5);
      seen.push(...page.resourceIds);
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => `d${String(i).padStart(2, '0')}`));
    expect(() => engine.lookupResources(c, 'doc', 'view', subj('user:ana'), { cursor: 'garbage' })).toThrow(InvalidArgumentError);
    expect(() => engine.lookupResources(c, 'doc', 'view', subj('user:ana'), { limit: 0 })).toThrow(InvalidArgumentError);
  });

  it('never enumerates the objects of the type: the work follows the subject, not the data size', () => {
    const calls = { subjects: 0, resources: 0, hasSubject: 0, usersets: 0 };
    const noise = Array.from({ length: 2000 }, (_, i) => `channel:n${i}#assigned_user@user:u${i}`);
    const inner = ArrayGraph.of(...noise, 'channel:mine#assigned_user@user:ana', 'channel:team#assigned_team@team:sales', 'team:sales#member@user:ana');
    const counting: GraphSnapshot = {
      revision: inner.revision,
      subjects: (t, id, r) => (calls.subjects++, inner.subjects(t, id, r)),
      resources: (t, r, s: SubjectRef) => (calls.resources++, inner.resources(t, r, s)),
      hasSubject: (t, id, r, s: SubjectRef) => (calls.hasSubject++, inner.hasSubject(t, id, r, s)),
      usersets: (t, id, r) => (calls.usersets++, inner.usersets(t, id, r)),
    };
    const e = new Engine(buildDispatcherRing().head);
    expect(e.lookupResources({ schema, graph: counting }, 'channel', 'send', subj('user:ana')).resourceIds).toEqual(['mine', 'team']);
    expect(calls.subjects + calls.resources + calls.hasSubject + calls.usersets).toBeLessThan(40);
  });
});

describe('lookupSubjects', () => {
  const wild = buildSchema({
    user: {},
    team: { member: relation('user') },
    doc: {
      viewer: relation('user', 'user:*', 'team#member'),
      other: relation('user', 'user:*'),
      banned: relation('user', 'user:*'),
      view: permission(exclusion(computed('viewer'), computed('banned'))),
      both: permission(intersection(computed('viewer'), computed('other'))),
      either: permission(union(computed('viewer'), computed('other'))),
    },
  });

  it('a wildcard minus concrete subjects is the wildcard with exclusions (SpiceDB semantics)', () => {
    const { engine, ctx } = setup(wild, 'doc:1#viewer@user:*', 'doc:1#viewer@user:tom', 'doc:1#viewer@user:sarah', 'doc:1#banned@user:tom');
    expect(engine.lookupSubjects(ctx, obj('doc:1'), 'view', 'user')).toEqual([
      { subjectId: '*', excludedSubjectIds: ['tom'] },
      { subjectId: 'sarah', excludedSubjectIds: [] },
    ]);
  });

  it('concrete minus wildcard is nothing; wildcard minus wildcard is what the second excludes', () => {
    const a = setup(wild, 'doc:1#viewer@user:ann', 'doc:1#banned@user:*');
    expect(a.engine.lookupSubjects(a.ctx, obj('doc:1'), 'view', 'user')).toEqual([]);
    const b = setup(wild, 'doc:1#viewer@user:*', 'doc:1#banned@user:*', 'doc:1#banned@user:ann');
    // `banned` is then "everyone", ann included: nothing is left. Subtract a wildcard with exclusions:
    expect(b.engine.lookupSubjects(b.ctx, obj('doc:1'), 'view', 'user')).toEqual([]);
  });

  it('wildcard intersected with concrete subjects is those subjects', () => {
    const { engine, ctx } = setup(wild, 'doc:1#viewer@user:*', 'doc:1#other@user:ann', 'doc:1#other@user:bob');
    expect(engine.lookupSubjects(ctx, obj('doc:1'), 'both', 'user')).toEqual([
      { subjectId: 'ann', excludedSubjectIds: [] },
      { subjectId: 'bob', excludedSubjectIds: [] },
    ]);
    expect(engine.lookupSubjects(ctx, obj('doc:1'), 'either', 'user').map((r) => r.subjectId)).toEqual(['*', 'ann', 'bob']);
  });

  it('follows usersets, and finds usersets when asked for a subject relation', () => {
    const { engine, ctx } = setup(wild, 'doc:1#viewer@team:eng#member', 'team:eng#member@user:kim', 'doc:1#viewer@user:*');
    expect(engine.lookupSubjects(ctx, obj('doc:1'), 'viewer', 'user').map((r) => r.subjectId)).toEqual(['*', 'kim']);
    expect(engine.lookupSubjects(ctx, obj('doc:1'), 'viewer', 'team', 'member')).toEqual([{ subjectId: 'eng', excludedSubjectIds: [] }]);
    expect(engine.lookupSubjects(ctx, obj('team:eng'), 'member', 'team', 'member')).toEqual([{ subjectId: 'eng', excludedSubjectIds: [] }]);
  });
});
