/**
 * The composer workload's schema, in SpiceDB's language (one statement a line, as SpiceDB's parser
 * likes it). It models the field DESIGN.md describes: nested teams, workspace roles, channels assigned
 * to teams or users, contacts scoped to an assignee or a team, and contact fields that are editable,
 * view-only or hidden from a group. Exclusion (`-`) and intersection (`&`) are on purpose: they are the
 * operators that are slow elsewhere.
 *
 * The plain-set model in model.ts evaluates exactly these rules; the two must change together.
 */
export const COMPOSER_SCHEMA = `/** An agent, supervisor or admin of the messaging platform. */
definition user {}

/** A team; a sub-team's members are members of its parent (team:parent#member@team:child#member). */
definition team {
    relation member: user | team#member
    relation lead: user
}

definition workspace {
    relation owner: user
    relation admin: user
    relation supervisor: user
    relation agent: user | team#member
    permission administer = owner + admin
    permission oversee = administer + supervisor
    permission seat = administer + agent
}

/** A WhatsApp number, mailbox or web-chat widget; the composer may send only from the allowed ones. */
definition channel {
    relation workspace: workspace
    relation assigned_team: team
    relation assigned_user: user
    permission send = assigned_user + assigned_team->member + workspace->administer
    permission view = send + assigned_team->lead + workspace->oversee
}

definition contact {
    relation workspace: workspace
    relation assignee: user
    relation team: team
    permission view = assignee + team->member + team->lead + workspace->oversee
    permission reply = (assignee + team->member) & workspace->seat
}

/** A field of the contact card (financial info, CRM ids, ...): editable, view-only or hidden per group. */
definition contact_field {
    relation workspace: workspace
    relation editor_group: team
    relation viewer_group: team
    relation hidden_from: team
    permission edit = (editor_group->member - hidden_from->member) + workspace->administer
    permission view = edit + (viewer_group->member - hidden_from->member)
}
`;
