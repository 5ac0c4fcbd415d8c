/**
 * The expected answers: COMPOSER_SCHEMA's rules evaluated with plain sets over the generator's own
 * world. It shares nothing with Warden's engine (no rewrite trees, no index, no dispatch), so when the
 * two agree on every query that is evidence about the engine, not a tautology.
 */
import type { World } from './world.js';

export interface ComposerModel {
  check(resourceType: string, resourceId: string, permission: string, userId: string): boolean;
  /** Users for whom channel#send holds (LookupSubjects' expected set). */
  channelSenders(channelId: string): ReadonlySet<string>;
  /** Every member of a team, through its sub-teams. */
  teamMembers(teamId: string): ReadonlySet<string>;
}

interface WsSets {
  administer: Set<string>;
  oversee: Set<string>;
  seat: Set<string>;
}

export function buildModel(world: World): ComposerModel {
  const members = new Map<string, Set<string>>();
  const membersOf = (id: string): Set<string> => {
    let set = members.get(id);
    if (set === undefined) {
      const team = world.teams.get(id);
      if (team === undefined) throw new Error(`model: unknown team ${id}`);
      set = new Set(team.users);
      for (const child of team.children) for (const u of membersOf(child)) set.add(u);
      members.set(id, set);
    }
    return set;
  };
  const inAny = (teamIds: readonly string[], u: string): boolean => teamIds.some((t) => membersOf(t).has(u));

  const wsSets: WsSets[] = world.workspaces.map((ws) => {
    const administer = new Set([ws.owner, ...ws.admins]);
    const oversee = new Set([...administer, ...ws.supervisors]);
    const seat = new Set([...administer, ...ws.agentUsers]);
    for (const t of ws.agentTeams) for (const u of membersOf(t)) seat.add(u);
    return { administer, oversee, seat };
  });
  const channels = new Map(world.channels.map((c) => [c.id, c]));
  const contacts = new Map(world.contacts.map((c) => [c.id, c]));
  const fields = new Map(world.fields.map((f) => [f.id, f]));
  const get = <T>(m: Map<string, T>, id: string, type: string): T => {
    const v = m.get(id);
    if (v === undefined) throw new Error(`model: unknown ${type}:${id}`);
    return v;
  };

  const channelSend = (id: string, u: string): boolean => {
    const ch = get(channels, id, 'channel');
    return ch.users.includes(u) || inAny(ch.teams, u) || wsSets[ch.ws]!.administer.has(u);
  };
  const fieldEdit = (id: string, u: string): boolean => {
    const f = get(fields, id, 'contact_field');
    return (inAny(f.editors, u) && !inAny(f.hidden, u)) || wsSets[f.ws]!.administer.has(u);
  };

  return {
    check(type, id, permission, u) {
      switch (`${type}#${permission}`) {
        case 'channel#send':
          return channelSend(id, u);
        case 'channel#view': {
          const ch = get(channels, id, 'channel');
          return channelSend(id, u) || ch.teams.some((t) => world.teams.get(t)!.lead === u) || wsSets[ch.ws]!.oversee.has(u);
        }
        case 'contact#view': {
          const c = get(contacts, id, 'contact');
          const team = c.team === undefined ? undefined : world.teams.get(c.team)!;
          return c.assignee === u || (team !== undefined && (membersOf(team.id).has(u) || team.lead === u)) || wsSets[c.ws]!.oversee.has(u);
        }
        case 'contact#reply': {
          const c = get(contacts, id, 'contact');
          const direct = c.assignee === u || (c.team !== undefined && membersOf(c.team).has(u));
          return direct && wsSets[c.ws]!.seat.has(u);
        }
        case 'contact_field#edit':
          return fieldEdit(id, u);
        case 'contact_field#view': {
          const f = get(fields, id, 'contact_field');
          return fieldEdit(id, u) || (inAny(f.viewers, u) && !inAny(f.hidden, u));
        }
        default:
          throw new Error(`model: no rule for ${type}#${permission}`);
      }
    },
    channelSenders(id) {
      const ch = get(channels, id, 'channel');
      const out = new Set<string>(ch.users);
      for (const t of ch.teams) for (const u of membersOf(t)) out.add(u);
      for (const u of wsSets[ch.ws]!.administer) out.add(u);
      return out;
    },
    teamMembers: membersOf,
  };
}
