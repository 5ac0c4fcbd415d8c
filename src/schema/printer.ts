/**
 * Prints a compiled schema as canonical schema text: definitions and members in source order, one
 * tab of indentation, doc comments kept, and only the parentheses needed to give back the same tree
 * under SpiceDB's precedence (`-` loosest, then `&`, then `+`, arrows tightest; all left-associative),
 * plus the ones SpiceDB's docs recommend where that precedence surprises readers: a union inside an
 * intersection (`(a + b) & c`, not `a + b & c`) or on the right of an exclusion (`a - (b + c)`, not
 * `a - b + c`). Someone reading ReadSchema output must not misread who gets access.
 * The canonical text is what the schema hash is computed from, and parsing it again must give the
 * same IR: printSchema(compile(printSchema(s))) === printSchema(s).
 */
import type { CompiledSchema, Definition, RelationOrPermission, RewriteExpr, AllowedSubject } from './compiled.js';

const INDENT = '\t';

export function printSchema(schema: Pick<CompiledSchema, 'definitions'>): string {
  const blocks: string[] = [];
  for (const def of schema.definitions.values()) blocks.push(printDefinition(def));
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

function printDefinition(def: Definition): string {
  const lines: string[] = [];
  if (def.comment !== undefined) lines.push(...commentLines(def.comment, ''));
  const members = def.order.map((n) => def.relations.get(n)).filter((m): m is RelationOrPermission => m !== undefined);
  if (members.length === 0) {
    lines.push(`definition ${def.name} {}`);
    return lines.join('\n');
  }
  lines.push(`definition ${def.name} {`);
  for (const m of members) {
    if (m.comment !== undefined) lines.push(...commentLines(m.comment, INDENT));
    lines.push(INDENT + printMember(m));
  }
  lines.push('}');
  return lines.join('\n');
}

function printMember(m: RelationOrPermission): string {
  if (m.kind === 'relation') return `relation ${m.name}: ${m.allowed.map(printAllowed).join(' | ')}`;
  return `permission ${m.name} = ${printExpr(m.rewrite)}`;
}

export function printAllowed(a: AllowedSubject): string {
  if (a.wildcard) return `${a.type}:*`;
  return a.relation !== undefined ? `${a.type}#${a.relation}` : a.type;
}

/**
 * Comments are stored with their lines trimmed; continuation lines of a block comment that start with
 * `*` get one space so the stars line up under the opening `/**`.
 */
function commentLines(comment: string, indent: string): string[] {
  return comment.split('\n').map((l) => {
    if (l === '') return '';
    return l.startsWith('*') ? `${indent} ${l}` : indent + l;
  });
}

// Binding strength of each operator; a child needs parentheses when it binds looser than its parent
// requires. Exclusion is left-associative, so its right operand needs them even at equal strength.
const EXCLUSION = 1;
const INTERSECTION = 2;
const UNION = 3;
const ATOM = 4;

function strength(e: RewriteExpr): number {
  switch (e.kind) {
    case 'exclusion':
      return EXCLUSION;
    case 'intersection':
      return e.children.length === 1 ? strength(e.children[0]!) : INTERSECTION;
    case 'union':
      return e.children.length === 1 ? strength(e.children[0]!) : UNION;
    default:
      return ATOM;
  }
}

export function printExpr(e: RewriteExpr): string {
  switch (e.kind) {
    case 'nil':
      return 'nil';
    case 'computed':
      return e.relation;
    case 'arrow':
      return e.mode === 'all' ? `${e.tupleset}.all(${e.computed})` : `${e.tupleset}->${e.computed}`;
    case 'union':
      return e.children.map((c) => wrap(c, UNION)).join(' + ');
    case 'intersection':
      return e.children.map((c) => wrap(c, INTERSECTION, true)).join(' & ');
    case 'exclusion':
      return `${wrap(e.base, EXCLUSION)} - ${wrap(e.subtract, EXCLUSION + 1, true)}`;
  }
}

/** `clarifyUnion`: parenthesise a union here even though precedence does not need it (see top). */
function wrap(child: RewriteExpr, min: number, clarifyUnion = false): string {
  const s = printExpr(child);
  const k = strength(child);
  return k < min || (clarifyUnion && k === UNION) ? `(${s})` : s;
}
