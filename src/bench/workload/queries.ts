/**
 * Check queries and lookup cases, with their expected answers from the model. Queries are steered
 * towards half allowed, half denied: for a wanted "yes" the subject is drawn from the people the data
 * says should pass (an assigned agent, a member deep in an assigned team, an admin, a lead); for a "no",
 * mostly a colleague from the same workspace, which makes the engine walk every branch before failing.
 * The recorded `expected` is always the model's answer, whatever was wanted.
 */
import type { CheckQuery, LookupResourcesCase, LookupSubjectsCase } from './format.js';
import type { ComposerModel } from './model.js';
import type { Prng } from './prng.js';
import { QUERY_MIX } from './sizes.js';
import type { QueryKind } from './sizes.js';
import type { World } from './world.js';

const ATTEMPTS = 24;

export interface QuerySet {
  queries: CheckQuery[];
  /** Queries whose answer differs from the one wanted after every attempt. */
  offTarget: number;
}

export function generateQueries(world: World, model: ComposerModel, rng: Prng, count: number): QuerySet {
  const memberArrays = new Map<string, string[]>();
  const someMember = (teamId: string): string | undefined => {
    let a = memberArrays.get(teamId);
    if (a === undefined) {
      a = [...model.teamMembers(teamId)];
      memberArrays.set(teamId, a);
    }
    return a.length === 0 ? undefined : rng.pick(a);
  };
  const allUsers = [...world.userWs.keys()];
  const colleague = (ws: number): string => (rng.chance(0.7) ? rng.pick(world.workspaces[ws]!.users) : rng.pick(allUsers));
  const admin = (ws: number): string => {
    const w = world.workspaces[ws]!;
    return rng.chance(0.3) ? w.owner : w.admins.length > 0 ? rng.pick(w.admins) : w.owner;
  };

  const queries: CheckQuery[] = [];
  let offTarget = 0;
  for (let i = 0; i < count; i++) {
    const kind = pickKind(rng);
    const want = rng.chance(0.5);
    let q: CheckQuery | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const [resourceId, ws, candidate] = drawCandidate(kind, world, rng, someMember, admin);
      const subject = want ? (candidate ?? colleague(ws)) : colleague(ws);
      const expected = model.check(kind.resource, resourceId, kind.permission, subject);
      q = { resource_type: kind.resource, resource_id: resourceId, permission: kind.permission, subject_type: 'user', subject_id: subject, expected };
      if (expected === want) break;
    }
    if (q!.expected !== want) offTarget++;
    queries.push(q!);
  }
  return { queries, offTarget };
}

function pickKind(rng: Prng): QueryKind {
  let x = rng.next();
  for (const k of QUERY_MIX) {
    if (x < k.weight) return k;
    x -= k.weight;
  }
  return QUERY_MIX[QUERY_MIX.length - 1]!;
}

/** A resource of the kind, its workspace, and a subject likely to be allowed on it (if any). */
function drawCandidate(
  kind: QueryKind,
  world: World,
  rng: Prng,
  someMember: (team: string) => string | undefined,
  admin: (ws: number) => string,
): [string, number, string | undefined] {
  const r = rng.next();
  switch (kind.resource) {
    case 'channel': {
      const ch = rng.pick(world.channels);
      let s: string | undefined;
      if (r < 0.1) s = admin(ch.ws);
      else if (kind.permission === 'view' && r < 0.25) s = rng.pick(world.workspaces[ch.ws]!.supervisors);
      else if (ch.users.length > 0 && (r < 0.3 || ch.teams.length === 0)) s = rng.pick(ch.users);
      else if (ch.teams.length > 0) s = someMember(rng.pick(ch.teams));
      return [ch.id, ch.ws, s];
    }
    case 'contact': {
      const c = rng.pick(world.contacts);
      let s: string | undefined;
      if (r < 0.3 && c.assignee !== undefined) s = c.assignee;
      else if (c.team !== undefined && r < 0.85) s = someMember(c.team);
      else if (kind.permission === 'view') s = rng.pick(world.workspaces[c.ws]!.supervisors);
      else s = c.assignee ?? (c.team === undefined ? undefined : someMember(c.team));
      return [c.id, c.ws, s];
    }
    case 'contact_field': {
      const f = rng.pick(world.fields);
      let s: string | undefined;
      if (r < 0.15 || (f.editors.length === 0 && f.viewers.length === 0)) s = admin(f.ws);
      else if (f.editors.length > 0 && (r < 0.5 || kind.permission === 'edit')) s = someMember(rng.pick(f.editors));
      else if (f.viewers.length > 0) s = someMember(rng.pick(f.viewers));
      return [f.id, f.ws, s];
    }
  }
}

export interface LookupSet {
  lookupResources: LookupResourcesCase[];
  lookupSubjects: LookupSubjectsCase[];
}

/** LookupResources(channel, send, user) for random users; LookupSubjects(channel, send, user) for random channels. */
export function generateLookups(world: World, model: ComposerModel, rng: Prng, count: number): LookupSet {
  const users = [...world.userWs.keys()];
  const lookupResources: LookupResourcesCase[] = [];
  for (let i = 0; i < count; i++) {
    const u = rng.pick(users);
    // Every channel, not only the user's workspace: the model, not an assumption about the data, decides.
    let n = 0;
    for (const ch of world.channels) if (model.check('channel', ch.id, 'send', u)) n++;
    lookupResources.push({ resource_type: 'channel', permission: 'send', subject_type: 'user', subject_id: u, expected_count: n });
  }
  const lookupSubjects: LookupSubjectsCase[] = [];
  for (let i = 0; i < count; i++) {
    const ch = rng.pick(world.channels);
    lookupSubjects.push({
      resource_type: 'channel',
      resource_id: ch.id,
      permission: 'send',
      subject_type: 'user',
      expected_count: model.channelSenders(ch.id).size,
    });
  }
  return { lookupResources, lookupSubjects };
}
