/**
 * Builds the composer world: workspaces, nested teams, users and their roles, channels, contacts and
 * contact fields, as plain objects; relationships() turns it into relationship strings. Everything is
 * drawn from one seeded PRNG in a fixed order, so a (size, seed) pair always gives the same world.
 */
import type { Prng } from './prng.js';
import type { SizeParams } from './sizes.js';

/** Deepest team level (roots are level 0): chains of team#member four teams long. */
export const MAX_TEAM_LEVEL = 3;

export interface Team {
  readonly id: string;
  readonly ws: number;
  readonly level: number;
  readonly parent: string | undefined;
  readonly children: string[];
  /** Direct members only; the model adds sub-teams' members. */
  readonly users: string[];
  lead: string;
}

export interface Workspace {
  readonly id: string;
  readonly users: string[];
  readonly teams: string[];
  readonly roots: string[];
  owner: string;
  admins: string[];
  supervisors: string[];
  /** Teams whose members hold an agent seat (workspace#agent@team:x#member). */
  agentTeams: string[];
  agentUsers: string[];
  readonly channels: string[];
  readonly fields: string[];
}

export interface Channel {
  readonly id: string;
  readonly ws: number;
  readonly teams: string[];
  readonly users: string[];
}

export interface Contact {
  readonly id: string;
  readonly ws: number;
  readonly assignee: string | undefined;
  readonly team: string | undefined;
}

/** editable: editors + viewers; view_only: viewers; hidden: viewers minus a hidden_from group; admin_only: none. */
export type FieldKind = 'editable' | 'view_only' | 'hidden' | 'admin_only';

export interface Field {
  readonly id: string;
  readonly ws: number;
  readonly kind: FieldKind;
  readonly editors: string[];
  readonly viewers: string[];
  readonly hidden: string[];
}

export interface World {
  readonly workspaces: Workspace[];
  readonly teams: Map<string, Team>;
  readonly channels: Channel[];
  readonly contacts: Contact[];
  readonly fields: Field[];
  /** User id -> workspace index. */
  readonly userWs: Map<string, number>;
}

const FIELD_KINDS: readonly FieldKind[] = ['editable', 'view_only', 'hidden', 'admin_only'];

export function buildWorld(p: SizeParams, rng: Prng): World {
  const W = p.workspaces;
  const workspaces: Workspace[] = [];
  for (let w = 0; w < W; w++) {
    workspaces.push({
      id: `w${w}`,
      users: [],
      teams: [],
      roots: [],
      owner: '',
      admins: [],
      supervisors: [],
      agentTeams: [],
      agentUsers: [],
      channels: [],
      fields: [],
    });
  }
  // Users in contiguous blocks per workspace: u0..u(k-1) in w0, and so on.
  const userWs = new Map<string, number>();
  for (let i = 0; i < p.users; i++) {
    const w = Math.min(W - 1, Math.floor((i * W) / p.users));
    workspaces[w]!.users.push(`u${i}`);
    userWs.set(`u${i}`, w);
  }

  const teams = new Map<string, Team>();
  for (let t = 0; t < p.teams; t++) {
    const w = t % W;
    const ws = workspaces[w]!;
    // A forest per workspace: about a third roots, the rest under an earlier team above the last level.
    const parents = ws.teams.filter((id) => teams.get(id)!.level < MAX_TEAM_LEVEL);
    const root = ws.teams.length === 0 || parents.length === 0 || rng.chance(0.3);
    const parent = root ? undefined : rng.pick(parents);
    const level = parent === undefined ? 0 : teams.get(parent)!.level + 1;
    const team: Team = { id: `t${t}`, ws: w, level, parent, children: [], users: [], lead: '' };
    teams.set(team.id, team);
    ws.teams.push(team.id);
    if (parent === undefined) ws.roots.push(team.id);
    else teams.get(parent)!.children.push(team.id);
  }

  // Each user sits in one to three teams of their workspace.
  for (const ws of workspaces) {
    if (ws.teams.length === 0) continue;
    for (const u of ws.users) {
      for (const t of rng.sample(ws.teams, rng.between(1, 3))) teams.get(t)!.users.push(u);
    }
  }
  for (const team of teams.values()) {
    const ws = workspaces[team.ws]!;
    team.lead = team.users.length > 0 && rng.chance(0.8) ? rng.pick(team.users) : rng.pick(ws.users);
  }

  for (const ws of workspaces) {
    ws.owner = rng.pick(ws.users);
    ws.admins = rng.sample(ws.users, rng.between(1, 3)).filter((u) => u !== ws.owner);
    ws.supervisors = rng.sample(ws.users, Math.max(1, Math.round(ws.users.length * 0.01)));
    ws.agentTeams = ws.roots.filter(() => rng.chance(0.6));
    if (ws.agentTeams.length === 0 && ws.roots.length > 0) ws.agentTeams.push(ws.roots[0]!);
    ws.agentUsers = rng.sample(ws.users, Math.max(1, Math.round(ws.users.length * 0.02)));
  }

  // Channels: most assigned to teams (a third of the picks a whole department, i.e. a root team), some
  // to individual agents only (a rep's own WhatsApp number), some to both.
  const channels: Channel[] = [];
  for (let j = 0; j < p.channels; j++) {
    const w = j % W;
    const ws = workspaces[w]!;
    const ch: Channel = { id: `ch${j}`, ws: w, teams: [], users: [] };
    const r = rng.next();
    const withTeams = r < 0.85 && ws.teams.length > 0;
    const withUsers = r >= 0.65;
    if (withTeams) {
      const n = rng.chance(0.2) ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const t = rng.chance(0.35) ? rng.pick(ws.roots) : rng.pick(ws.teams);
        if (!ch.teams.includes(t)) ch.teams.push(t);
      }
    }
    if (withUsers || !withTeams) ch.users.push(...rng.sample(ws.users, rng.between(1, 3)));
    channels.push(ch);
    ws.channels.push(ch.id);
  }

  const contacts: Contact[] = [];
  for (let k = 0; k < p.contacts; k++) {
    const w = k % W;
    const ws = workspaces[w]!;
    const assignee = rng.chance(0.7) ? rng.pick(ws.users) : undefined;
    const team = ws.teams.length > 0 && rng.chance(0.8) ? rng.pick(ws.teams) : undefined;
    contacts.push({ id: `c${k}`, ws: w, assignee, team });
  }

  const fields: Field[] = [];
  let fieldNo = 0;
  for (let w = 0; w < W; w++) {
    const ws = workspaces[w]!;
    for (let f = 0; f < p.fieldsPerWorkspace; f++) {
      const kind = FIELD_KINDS[f % FIELD_KINDS.length]!;
      const field: Field = { id: `f${fieldNo++}`, ws: w, kind, editors: [], viewers: [], hidden: [] };
      if (ws.teams.length > 0) {
        if (kind === 'editable') {
          field.editors.push(rng.pick(ws.teams));
          field.viewers.push(...ws.roots);
        } else if (kind === 'view_only') {
          field.viewers.push(...rng.sample(ws.teams, rng.between(1, 2)));
        } else if (kind === 'hidden') {
          field.viewers.push(...ws.roots);
          const hidden = rng.pick(ws.teams);
          field.hidden.push(hidden);
          // Sometimes the editors overlap the hidden group: exclusion must win there too.
          if (rng.chance(0.5)) field.editors.push(rng.chance(0.5) ? hidden : rng.pick(ws.teams));
        }
      }
      fields.push(field);
      ws.fields.push(field.id);
    }
  }
  return { workspaces, teams, channels, contacts, fields, userWs };
}

/**
 * The world as relationship strings, in a fixed order. Unique by construction (every list above is drawn
 * without repeats; the tests check it), so no 1.4M-entry set is needed to de-duplicate.
 */
export function relationshipsOf(world: World): string[] {
  const out: string[] = [];
  const add = (s: string): void => {
    out.push(s);
  };
  for (const team of world.teams.values()) {
    if (team.parent !== undefined) add(`team:${team.parent}#member@team:${team.id}#member`);
  }
  for (const team of world.teams.values()) {
    for (const u of team.users) add(`team:${team.id}#member@user:${u}`);
    add(`team:${team.id}#lead@user:${team.lead}`);
  }
  for (const ws of world.workspaces) {
    add(`workspace:${ws.id}#owner@user:${ws.owner}`);
    for (const u of ws.admins) add(`workspace:${ws.id}#admin@user:${u}`);
    for (const u of ws.supervisors) add(`workspace:${ws.id}#supervisor@user:${u}`);
    for (const t of ws.agentTeams) add(`workspace:${ws.id}#agent@team:${t}#member`);
    for (const u of ws.agentUsers) add(`workspace:${ws.id}#agent@user:${u}`);
  }
  for (const ch of world.channels) {
    add(`channel:${ch.id}#workspace@workspace:${world.workspaces[ch.ws]!.id}`);
    for (const t of ch.teams) add(`channel:${ch.id}#assigned_team@team:${t}`);
    for (const u of ch.users) add(`channel:${ch.id}#assigned_user@user:${u}`);
  }
  for (const c of world.contacts) {
    add(`contact:${c.id}#workspace@workspace:${world.workspaces[c.ws]!.id}`);
    if (c.assignee !== undefined) add(`contact:${c.id}#assignee@user:${c.assignee}`);
    if (c.team !== undefined) add(`contact:${c.id}#team@team:${c.team}`);
  }
  for (const f of world.fields) {
    add(`contact_field:${f.id}#workspace@workspace:${world.workspaces[f.ws]!.id}`);
    for (const t of f.editors) add(`contact_field:${f.id}#editor_group@team:${t}`);
    for (const t of f.viewers) add(`contact_field:${f.id}#viewer_group@team:${t}`);
    for (const t of f.hidden) add(`contact_field:${f.id}#hidden_from@team:${t}`);
  }
  return out;
}
