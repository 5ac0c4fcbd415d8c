/**
 * Type checking of a parsed schema, following what SpiceDB's type system checks
 * (pkg/schema/typesystem_validation.go and the compiler): every name resolves, nothing is defined
 * twice, arrows walk relations (not permissions, not wildcards), wildcards are not smuggled in through
 * subject relations. What SpiceDB only lints (an arrow to a relation no subject type has, a
 * permission that can only recurse into itself) is a warning here too. Every diagnostic points at
 * the offending token.
 */
import type { Diagnostic } from '../core/errors.js';
import { isValidRelationName, isValidTypeName } from '../core/refs.js';
import type { DefinitionNode, ExprNode, MemberNode, PermissionNode, Pos, RelationNode, SchemaFile } from './ast.js';

export interface TypeCheckResult {
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

interface DefInfo {
  readonly node: DefinitionNode;
  readonly members: Map<string, MemberNode>;
}

const NAME_RULE = 'lower-case letters, digits and "_", 3 to 64 characters, starting with a letter and not ending with "_"';

export function typeCheck(file: SchemaFile): TypeCheckResult {
  return new Checker(file).run();
}

class Checker {
  private readonly errors: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];
  private readonly defs = new Map<string, DefInfo>();

  constructor(private readonly file: SchemaFile) {}

  private error(at: Pos, message: string): void {
    this.errors.push({ line: at.line, column: at.column, message });
  }

  private warn(at: Pos, message: string): void {
    this.warnings.push({ line: at.line, column: at.column, message });
  }

  run(): TypeCheckResult {
    this.collect();
    for (const info of this.defs.values()) {
      for (const m of info.members.values()) {
        if (m.kind === 'relation') this.checkRelation(info, m);
        else this.checkPermission(info, m);
      }
      this.checkRecursion(info);
    }
    return { errors: this.errors, warnings: this.warnings };
  }

  /** Names, and duplicates: the first definition of a name wins, later ones are reported. */
  private collect(): void {
    for (const def of this.file.definitions) {
      if (!isValidTypeName(def.name)) {
        this.error(def.namePos, `invalid definition name "${def.name}": each "/"-separated part must be ${NAME_RULE}`);
      }
      const first = this.defs.get(def.name);
      if (first) {
        this.error(def.namePos, `duplicate definition "${def.name}" (first defined at ${at(first.node.namePos)})`);
        continue;
      }
      const members = new Map<string, MemberNode>();
      for (const m of def.members) {
        if (!isValidRelationName(m.name)) {
          this.error(m.namePos, `invalid ${m.kind} name "${m.name}" in definition "${def.name}": a name must be ${NAME_RULE}`);
        }
        const prev = members.get(m.name);
        if (prev) {
          const what = prev.kind === m.kind ? `duplicate ${m.kind} "${m.name}"` : `"${m.name}" is defined both as a ${prev.kind} and as a ${m.kind}`;
          this.error(m.namePos, `${what} in definition "${def.name}" (first defined at ${at(prev.namePos)}): relation and permission names must be unique`);
          continue;
        }
        members.set(m.name, m);
      }
      this.defs.set(def.name, { node: def, members });
    }
  }

  private checkRelation(info: DefInfo, rel: RelationNode): void {
    const where = `${info.node.name}#${rel.name}`;
    if (rel.incomplete) return; // its syntax error has been reported
    if (rel.types.length === 0) {
      this.error(rel.namePos, `relation "${where}" has no allowed subject types: at least one is required (e.g. "relation ${rel.name}: user")`);
      return;
    }
    const seen = new Set<string>();
    for (const ref of rel.types) {
      const label = ref.wildcard ? `${ref.type}:*` : ref.relation ? `${ref.type}#${ref.relation}` : ref.type;
      // `user with a | user with b` are distinct in SpiceDB; traits are refused anyway, so do not add noise.
      if (seen.has(label) && !ref.hasTraits) {
        this.error(ref.pos, `duplicate allowed subject type "${label}" on relation "${where}"`);
        continue;
      }
      seen.add(label);
      const target = this.defs.get(ref.type);
      if (!target) {
        this.error(ref.pos, `unknown definition "${ref.type}" in the allowed subject types of "${where}"`);
        continue;
      }
      if (ref.relation === undefined) continue;
      const sub = target.members.get(ref.relation);
      if (!sub) {
        this.error(ref.relationPos ?? ref.pos, `relation or permission "${ref.relation}" not found on definition "${ref.type}" (in the allowed subject types of "${where}")`);
        continue;
      }
      // SpiceDB: a subject set must not bring a wildcard in through the back door.
      const wildcard = this.wildcardVia(ref.type, ref.relation, new Set());
      if (wildcard) {
        this.error(
          ref.pos,
          `subject type "${label}" on "${where}" includes the wildcard "${wildcard.type}:*" via "${wildcard.via}": wildcards cannot be included transitively`,
        );
      }
    }
  }

  /** Does relation `type#name` allow a wildcard, directly or through subject sets? Permissions do not. */
  private wildcardVia(type: string, name: string, seen: Set<string>): { type: string; via: string } | undefined {
    const key = `${type}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const m = this.defs.get(type)?.members.get(name);
    if (!m || m.kind !== 'relation') return undefined;
    for (const ref of m.types) {
      if (ref.wildcard) return { type: ref.type, via: key };
      if (ref.relation !== undefined) {
        const found = this.wildcardVia(ref.type, ref.relation, seen);
        if (found) return found;
      }
    }
    return undefined;
  }

  private checkPermission(info: DefInfo, perm: PermissionNode): void {
    const defName = info.node.name;
    if (perm.incomplete) return;
    walk(perm.expr, (e) => {
      if (e.kind === 'ref') {
        if (!info.members.has(e.name)) {
          this.error(e.pos, `relation or permission "${e.name}" not found on definition "${defName}" (in permission "${perm.name}")`);
        }
        return;
      }
      if (e.kind !== 'arrow') return;
      const arrowText = e.mode === 'any' ? `${e.tupleset}->${e.computed}` : `${e.tupleset}.all(${e.computed})`;
      const ts = info.members.get(e.tupleset);
      if (!ts) {
        this.error(e.pos, `relation "${e.tupleset}" not found on definition "${defName}" (left side of "${arrowText}" in permission "${perm.name}")`);
        return;
      }
      if (ts.kind === 'relation' && ts.incomplete) return;
      if (ts.kind === 'permission') {
        this.error(
          e.pos,
          `the left side of an arrow must be a relation, but "${e.tupleset}" is a permission on definition "${defName}" (in "${arrowText}" of permission "${perm.name}")`,
        );
        return;
      }
      const wildcard = this.wildcardVia(defName, e.tupleset, new Set());
      if (wildcard) {
        this.error(
          e.pos,
          `"${defName}#${e.tupleset}" includes the wildcard "${wildcard.type}:*" via "${wildcard.via}": wildcard relations cannot be used on the left side of an arrow (in permission "${perm.name}")`,
        );
        return;
      }
      // The arrow follows the subject objects of the relation (ignoring any subject relation).
      const types = [...new Set(ts.types.filter((r) => !r.wildcard).map((r) => r.type))].filter((t) => this.defs.has(t));
      if (types.length === 0) return; // already reported on the relation
      // SpiceDB only lints this (arrow-references-unreachable-relation, pkg/development/warningdefs.go):
      // the schema loads and the arrow is simply empty.
      if (!types.some((t) => this.defs.get(t)!.members.has(e.computed))) {
        this.warn(
          e.computedPos,
          `"${e.computed}" is not a relation or permission on any subject type of "${defName}#${e.tupleset}" (${types.join(', ')}), in "${arrowText}" of permission "${perm.name}": the arrow is always empty`,
        );
      }
    });
  }

  /**
   * A permission whose every evaluation must evaluate itself again on the same object never ends
   * (`permission p = p`, `p = p + p`, `a = b` with `b = a`, `p = viewer & p`): a warning, as in
   * SpiceDB, whose checks of it then fail on depth. Recursion through an arrow moves to another
   * object and is how hierarchies are written, so it is fine. Other cycles (`p = viewer + p`) can
   * still answer "yes" but never a definite "no": a warning as well.
   */
  private checkRecursion(info: DefInfo): void {
    const perms = [...info.members.values()].filter((m): m is PermissionNode => m.kind === 'permission');
    if (perms.length === 0) return;
    const grounded = new Set<string>();
    const isGrounded = (e: ExprNode): boolean => {
      switch (e.kind) {
        case 'nil':
        case 'arrow':
          return true;
        case 'ref': {
          const m = info.members.get(e.name);
          return !m || m.kind === 'relation' || grounded.has(e.name);
        }
        case 'union':
          return isGrounded(e.left) || isGrounded(e.right);
        case 'intersection':
        case 'exclusion':
          return isGrounded(e.left) && isGrounded(e.right);
      }
    };
    // Least fixpoint: a permission is grounded once its expression can finish without itself.
    for (const p of perms) if (p.incomplete) grounded.add(p.name);
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of perms) {
        if (!grounded.has(p.name) && isGrounded(p.expr)) {
          grounded.add(p.name);
          changed = true;
        }
      }
    }
    const defName = info.node.name;
    for (const p of perms) {
      if (!grounded.has(p.name)) {
        // SpiceDB accepts the schema with a warning (permission-references-itself; `zed validate`
        // passes a file with `permission view = view`); every check of it then runs out of depth.
        const loop = this.cycleFrom(info, p.name) ?? [p.name];
        this.warn(
          p.namePos,
          `permission "${defName}#${p.name}" can only recurse into itself (${[...loop, loop[0]].join(' -> ')}): every check of it will exceed the depth limit; add a relation or an arrow`,
        );
      } else {
        const loop = this.cycleFrom(info, p.name);
        if (loop && loop[0] === p.name) {
          this.warnings.push({
            line: p.namePos.line,
            column: p.namePos.column,
            message: `permission "${defName}#${p.name}" refers to itself on the same object (${[...loop, loop[0]].join(' -> ')}): a check that finds no subject will exceed the depth limit`,
          });
        }
      }
    }
  }

  /** A cycle of same-object permission references starting at `start`, if any. */
  private cycleFrom(info: DefInfo, start: string): string[] | undefined {
    const path: string[] = [];
    const visiting = new Set<string>();
    const visit = (name: string): string[] | undefined => {
      if (name === start && path.length > 0) return [...path];
      if (visiting.has(name)) return undefined;
      const m = info.members.get(name);
      if (!m || m.kind !== 'permission') return undefined;
      visiting.add(name);
      path.push(name);
      for (const ref of directRefs(m.expr)) {
        const found = visit(ref);
        if (found) return found;
      }
      path.pop();
      return undefined;
    };
    return visit(start);
  }
}

function directRefs(e: ExprNode): string[] {
  const out: string[] = [];
  walk(e, (n) => {
    if (n.kind === 'ref') out.push(n.name);
  });
  return out;
}

function walk(e: ExprNode, fn: (e: ExprNode) => void): void {
  fn(e);
  if (e.kind === 'union' || e.kind === 'intersection' || e.kind === 'exclusion') {
    walk(e.left, fn);
    walk(e.right, fn);
  }
}

function at(p: Pos): string {
  return `${p.line}:${p.column}`;
}
