/**
 * LookupSubjects shares sub-problem answers instead of copying them (a union that only one branch
 * fills is that branch's answer; a union is built on its largest part). These tests pin the two
 * things that makes necessary: without any cache (plain mutable sets passed around) the answers are
 * still exact, and no answer handed out, cached or not, changes after later lookups use it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CachingDispatcher } from '../../src/engine/caching-dispatcher.js';
import type { CheckRequest, CheckResult, Dispatcher, DispatchEnv, LookupSubjectsRequest, LookupSubjectsResult } from '../../src/engine/dispatcher.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineContext } from '../../src/engine/engine.js';
import { LocalDispatcher } from '../../src/engine/local/local-dispatcher.js';
import { assertLookupSubjectsExact } from './support/agreement.js';
import { ArrayGraph } from './support/array-graph.js';
import { obj } from './support/fixtures.js';
import { MemoReference } from './support/memo-reference.js';
import { randomModel } from './support/random-model.js';
import { arrow, buildSchema, computed, permission, relation, union } from './support/schema-builder.js';

const RUNS = Number(process.env.ENGINE_PROPERTY_RUNS ?? 150);

/** Sits at the head of the ring and keeps every lookup answer it passes on, with a copy of its content. */
class RecordingDispatcher implements Dispatcher {
  readonly answers: { result: LookupSubjectsResult; content: string }[] = [];
  constructor(private readonly next: Dispatcher) {}

  dispatchCheck(req: CheckRequest, env: DispatchEnv): CheckResult {
    return this.next.dispatchCheck(req, env);
  }

  dispatchLookupSubjects(req: LookupSubjectsRequest, env: DispatchEnv): LookupSubjectsResult {
    const result = this.next.dispatchLookupSubjects(req, env);
    this.answers.push({ result, content: contentOf(result) });
    return result;
  }

  /** The answers whose content is no longer what it was when they were handed out. */
  changed(): string[] {
    return this.answers.filter((a) => contentOf(a.result) !== a.content).map((a) => `${a.content} -> ${contentOf(a.result)}`);
  }
}

function contentOf(r: LookupSubjectsResult): string {
  return JSON.stringify(
    [...r.byResource].map(([id, s]) => [id, [...s.concrete].sort(), s.wildcard === undefined ? null : [...s.wildcard].sort()]).sort(),
  );
}

/** head = recorder(cache?(local)), with the local resolver sending sub-problems back to the head. */
function ring(cached: boolean): { engine: Engine; recorder: RecordingDispatcher } {
  const local = new LocalDispatcher();
  let inner: Dispatcher = local;
  if (cached) {
    const cache = new CachingDispatcher({ maxEntries: 1000 });
    cache.setDelegate(local);
    inner = cache;
  }
  const recorder = new RecordingDispatcher(inner);
  local.setRedispatch(recorder);
  return { engine: new Engine(recorder), recorder };
}

describe('lookupSubjects with shared sub-answers', () => {
  it(`without a cache, agrees with the reference, and no answer changes afterwards (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(randomModel({ acyclic: true }), (model) => {
        const ref = new MemoReference(model.schema, model.relationships);
        const ctx: EngineContext = { schema: model.schema, graph: new ArrayGraph(model.relationships) };
        for (const cached of [false, true]) {
          const { engine, recorder } = ring(cached);
          assertLookupSubjectsExact(model, engine, ctx, ref);
          const changed = recorder.changed();
          if (changed.length > 0) throw new Error(`${cached ? 'cached' : 'uncached'} answers changed after later lookups: ${changed.slice(0, 3).join('; ')}`);
        }
      }),
      // No shrinking: shrinking a random model runs out of memory before it reports anything.
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  // The composer's shape: channel.send over nested teams and the workspace's administrators.
  const schema = buildSchema({
    user: {},
    team: { member: relation('user', 'team#member') },
    workspace: { owner: relation('user'), admin: relation('user'), administer: permission(union(computed('owner'), computed('admin'))) },
    channel: {
      workspace: relation('workspace'),
      assigned_team: relation('team'),
      assigned_user: relation('user'),
      send: permission(union(computed('assigned_user'), arrow('assigned_team', 'member'), arrow('workspace', 'administer'))),
    },
  });
  const graph = ArrayGraph.of(
    'team:root#member@user:ana',
    'team:root#member@team:mid#member',
    'team:mid#member@user:bob',
    'team:mid#member@team:leaf#member',
    'team:leaf#member@user:cy',
    'team:leaf#member@user:dee',
    'team:solo#member@team:leaf#member',
    'workspace:w#owner@user:oz',
    'workspace:w#admin@user:ana',
    'channel:c1#workspace@workspace:w',
    'channel:c1#assigned_team@team:root',
    'channel:c1#assigned_user@user:eve',
    'channel:c2#assigned_team@team:solo',
    'channel:c3#assigned_team@team:mid',
    'channel:c3#assigned_team@team:leaf',
  );
  const ctx: EngineContext = { schema, graph };
  const ids = (engine: Engine, resource: string, permission: string) => engine.lookupSubjects(ctx, obj(resource), permission, 'user').map((r) => r.subjectId);

  it('answers the composer, and a cached team answer is unchanged after the channels that used it', () => {
    for (const cached of [false, true]) {
      const { engine, recorder } = ring(cached);
      expect(ids(engine, 'team:leaf', 'member')).toEqual(['cy', 'dee']);
      expect(ids(engine, 'channel:c1', 'send')).toEqual(['ana', 'bob', 'cy', 'dee', 'eve', 'oz']);
      expect(ids(engine, 'channel:c2', 'send')).toEqual(['cy', 'dee']);
      expect(ids(engine, 'channel:c3', 'send')).toEqual(['bob', 'cy', 'dee']);
      expect(ids(engine, 'team:leaf', 'member')).toEqual(['cy', 'dee']);
      expect(ids(engine, 'team:root', 'member')).toEqual(['ana', 'bob', 'cy', 'dee']);
      expect(recorder.changed()).toEqual([]);
    }
  });

  it('passes a lone branch on as it is: a channel whose only subjects come from one team shares its set', () => {
    const { engine, recorder } = ring(false);
    ids(engine, 'channel:c2', 'send');
    const team = recorder.answers.find((a) => a.content.includes('"solo"'))!.result.byResource.get('solo')!;
    const channel = recorder.answers.at(-1)!.result.byResource.get('c2')!;
    expect(channel.concrete).toBe(team.concrete);
  });
});
