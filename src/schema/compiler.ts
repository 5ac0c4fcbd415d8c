/**
 * Schema text -> CompiledSchema: lex, parse (recovering), type check, then build the IR with unions
 * and intersections flattened and exclusions kept binary. User mistakes come back as diagnostics,
 * never as exceptions (compileSchemaOrThrow is the throwing wrapper for callers that want one).
 */
import { createHash } from 'node:crypto';
import { SchemaError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import type { DefinitionNode, ExprNode, MemberNode } from './ast.js';
import type { AllowedSubject, CompiledSchema, Definition, RelationOrPermission, RewriteExpr } from './compiled.js';
import { parseSchema } from './parser.js';
import { printSchema } from './printer.js';
import { typeCheck } from './typecheck.js';

export type CompileResult =
  | { readonly ok: true; readonly schema: CompiledSchema; readonly warnings?: Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

export function compileSchema(text: string): CompileResult {
  const parsed = parseSchema(text);
  // The parser keeps statements cut short by a syntax error (marked incomplete) so that type checking
  // can still run and one pass reports every error without reporting the holes as unknown names.
  const checked = typeCheck(parsed.file);
  const errors = [...parsed.diagnostics, ...checked.errors];
  if (errors.length > 0) return { ok: false, diagnostics: sortDiagnostics(errors) };

  const definitions = new Map<string, Definition>();
  for (const def of parsed.file.definitions) definitions.set(def.name, compileDefinition(def));
  const schema = buildSchema(definitions);
  const warnings = sortDiagnostics([...parsed.warnings, ...checked.warnings]);
  return warnings.length > 0 ? { ok: true, schema, warnings } : { ok: true, schema };
}

export function compileSchemaOrThrow(text: string): CompiledSchema {
  const result = compileSchema(text);
  if (!result.ok) throw new SchemaError(result.diagnostics);
  return result.schema;
}

/**
 * Freezes definitions into a CompiledSchema and computes its hash. Exported for tests and tools that
 * build IR directly; callers must pass a type-correct schema (this does not check it).
 */
export function buildSchema(definitions: ReadonlyMap<string, Definition>): CompiledSchema {
  const hash = schemaHash(printSchema({ definitions }));
  return Object.freeze({ definitions, hash });
}

/** sha256 of the canonical text, hex, first 16 characters. */
export function schemaHash(canonicalText: string): string {
  return createHash('sha256').update(canonicalText).digest('hex').slice(0, 16);
}

function compileDefinition(def: DefinitionNode): Definition {
  const relations = new Map<string, RelationOrPermission>();
  for (const m of def.members) relations.set(m.name, compileMember(m));
  return Object.freeze({
    name: def.name,
    relations,
    order: Object.freeze(def.members.map((m) => m.name)),
    ...(def.comment !== undefined ? { comment: def.comment } : {}),
    position: Object.freeze({ ...def.pos }),
  });
}

function compileMember(m: MemberNode): RelationOrPermission {
  const common = {
    name: m.name,
    ...(m.comment !== undefined ? { comment: m.comment } : {}),
    position: Object.freeze({ ...m.pos }),
  };
  if (m.kind === 'relation') {
    const allowed = m.types.map(
      (t): AllowedSubject =>
        Object.freeze(t.wildcard ? { type: t.type, wildcard: true } : t.relation !== undefined ? { type: t.type, relation: t.relation } : { type: t.type }),
    );
    return Object.freeze({ kind: 'relation', ...common, allowed: Object.freeze(allowed) });
  }
  return Object.freeze({ kind: 'permission', ...common, rewrite: compileExpr(m.expr) });
}

export function compileExpr(e: ExprNode): RewriteExpr {
  switch (e.kind) {
    case 'nil':
      return Object.freeze({ kind: 'nil' });
    case 'ref':
      return Object.freeze({ kind: 'computed', relation: e.name });
    case 'arrow':
      return Object.freeze({ kind: 'arrow', tupleset: e.tupleset, computed: e.computed, mode: e.mode });
    case 'union':
    case 'intersection': {
      const children: RewriteExpr[] = [];
      flattenInto(e, e.kind, children);
      return Object.freeze({ kind: e.kind, children: Object.freeze(children) });
    }
    case 'exclusion':
      return Object.freeze({ kind: 'exclusion', base: compileExpr(e.left), subtract: compileExpr(e.right) });
  }
}

/** `a + (b + c)` and `(a + b) + c` are the same set: one n-ary node. */
function flattenInto(e: ExprNode, kind: 'union' | 'intersection', out: RewriteExpr[]): void {
  if (e.kind === kind) {
    flattenInto(e.left, kind, out);
    flattenInto(e.right, kind, out);
  } else {
    out.push(compileExpr(e));
  }
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  // Stable: diagnostics at the same position keep the order they were found in.
  return [...ds].sort((a, b) => a.line - b.line || a.column - b.column);
}
