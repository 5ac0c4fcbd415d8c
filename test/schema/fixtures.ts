/** Hand-written, realistic schemas shared by the printer round-trip tests. All of them compile. */
export const SCHEMAS: Record<string, string> = {
  'documents, folders and organisations': `
/** A person who signs in. */
definition user {}

definition organization {
  relation admin: user
  relation member: user
  permission manage = admin
  permission browse = member + admin
}

definition folder {
  relation org: organization
  relation parent: folder
  relation owner: user
  relation editor: user
  relation viewer: user
  permission edit = owner + editor + parent->edit + org->manage
  permission view = viewer + edit + parent->view + org->browse
}

definition document {
  relation folder: folder
  relation owner: user
  relation editor: user
  relation viewer: user | user:*
  relation banned: user
  permission edit = (owner + editor + folder->edit) - banned
  permission view = (viewer + edit + folder->view) - banned
  permission delete = owner & folder->edit
}
`,

  'team-inbox workspace': `
definition user {}

/** A team of agents; team leads supervise it. */
definition team {
  relation lead: user
  relation agent: user
  permission member = lead + agent
}

/** A custom role (agent, supervisor, manager, technical...). */
definition role {
  relation holder: user | team#member
}

/** A product module: dashboard, contacts, messages, snippets, workflows, billing... */
definition module {
  relation workspace: workspace
  relation granted_role: role#holder
  permission use = granted_role + workspace->owner
}

definition workspace {
  relation owner: user
  relation manager: user | role#holder
  relation technical: user | role#holder
  relation agent: user | team#member
  permission admin = owner + technical
  permission manage_channels = admin
  permission billing = owner
  permission member = agent + manager + admin
}

definition channel {
  relation workspace: workspace
  relation assigned_team: team#member
  relation assigned_user: user
  permission send = assigned_user + assigned_team + workspace->manage_channels
  permission configure = workspace->manage_channels
}

definition contact {
  relation workspace: workspace
  relation owning_team: team
  relation owner: user
  relation deletion_blocked: user | role#holder
  permission view = owner + owning_team->member + owning_team->lead + workspace->admin
  permission edit = owner + owning_team->lead + workspace->admin
  permission delete = edit - deletion_blocked
}

/** A sensitive contact field (financial data, CRM ids): viewable, editable or hidden. */
definition contact_field {
  relation workspace: workspace
  relation viewer_group: role#holder | team#member
  relation editor_group: role#holder | team#member
  permission edit = editor_group + workspace->admin
  permission view = viewer_group + edit
}

definition conversation {
  relation contact: contact
  relation channel: channel
  relation team: team
  relation assignee: user
  relation commenter: user | role#holder
  relation read_only: user | role#holder
  relation text_only: user | role#holder
  permission view = assignee + team->member + contact->view + commenter + read_only
  permission comment = assignee + team->member + commenter
  permission reply = (assignee + team->member) & channel->send - read_only
  permission send_files = reply - text_only
  permission send_voice = reply - text_only
}
`,

  'recursive groups': `
definition user {}

definition group {
  relation member: user | group#member
  relation manager: user | group#manager
  relation parent: group
  permission membership = member + manager + parent->membership
  permission administer = manager + parent->administer
}

definition resource {
  relation reader: user | group#member | group#membership
  relation writer: user | group#member
  permission write = writer
  permission read = reader + write
}
`,

  'nested prefixes': `
definition acme/iam/user {}

definition acme/iam/group {
  relation member: acme/iam/user | acme/iam/group#member
}

definition acme/storage/europe/bucket {
  relation reader: acme/iam/user | acme/iam/group#member | acme/iam/user:*
  relation writer: acme/iam/user | acme/iam/group#member
  permission write = writer
  permission read = reader + write
}

definition acme/storage/europe/object {
  relation bucket: acme/storage/europe/bucket
  permission read = bucket->read
  permission write = bucket->write
}
`,

  'source hosting': `
definition user {}

definition organization {
  relation owner: user
  relation member: user
  permission create_repository = owner + member
  permission administer = owner
}

definition team {
  relation org: organization
  relation maintainer: user
  relation direct_member: user | team#member
  permission member = maintainer + direct_member
}

definition repository {
  relation org: organization
  relation admin: user | team#member
  relation maintainer: user | team#member
  relation writer: user | team#member
  relation triager: user | team#member
  relation reader: user | team#member | user:*
  permission administer = admin + org->administer
  permission maintain = maintainer + administer
  permission push = writer + maintain
  permission triage = triager + push
  permission pull = reader + triage + org->create_repository
}
`,

  'exclusions and bans': `
definition user {}

definition forum {
  relation moderator: user
  relation member: user
  relation banned: user
  relation muted: user
  permission post = member - banned - muted
  permission read = (member + moderator) - banned
  permission moderate = moderator - (banned + muted)
}
`,

  'operator precedence': `
definition user {}

definition thing {
  relation aaa: user
  relation bbb: user
  relation ccc: user
  relation ddd: user
  permission p_one = aaa + bbb & ccc
  permission p_two = aaa + (bbb & ccc)
  permission p_three = aaa - bbb + ccc
  permission p_four = (aaa - bbb) + ccc
  permission p_five = aaa & bbb - ccc
  permission p_six = aaa & (bbb - ccc)
  permission p_seven = aaa - bbb - ccc
  permission p_eight = aaa - (bbb - ccc)
  permission p_nine = (aaa + bbb) - (ccc & ddd) - (aaa - ddd)
  permission p_ten = aaa & (bbb + ccc) & ddd
}
`,

  'arrow functions': `
definition user {}

definition approver_pool {
  relation approved: user
  relation member: user
}

definition deployment {
  relation pool: approver_pool
  relation requester: user
  permission deploy = pool.all(approved) & requester
  permission view = pool.any(member) + pool->approved
}
`,

  'public wildcards': `
definition user {}
definition service_account {}

definition page {
  relation viewer: user:* | service_account:* | user
  relation editor: user | service_account
  permission edit = editor
  permission view = viewer + edit
}
`,

  'comments everywhere': `
// Users are people.
// They sign in with SSO.
definition user {}

/**
 * A document.
 *
 * Documents live in folders.
 */
definition doc {
  // who owns it
  relation owner: user // trailing comments are not kept

  /** who can read it */
  relation reader: user

  // Not a doc comment: a blank line follows.

  permission read = reader + owner /* inline, dropped */
}
`,

  'nil and empty definitions': `
definition user {}
definition bot {}

definition legacy {
  relation owner: user | bot
  permission deprecated = nil
  permission view = owner + nil
}
`,

  'multi-tenant saas': `
definition platform/user {}

definition platform/tenant {
  relation admin: platform/user
  relation member: platform/user
  permission manage = admin
  permission access = member + admin
}

definition platform/project {
  relation tenant: platform/tenant
  relation lead: platform/user
  relation contributor: platform/user
  permission contribute = contributor + lead + tenant->manage
  permission view = contribute + tenant->access
}

definition platform/issue {
  relation project: platform/project
  relation assignee: platform/user
  relation watcher: platform/user
  permission close = assignee + project->contribute
  permission view = watcher + close + project->view
}
`,
};
