/**
 * Recursive-descent parser for SpiceDB's schema language. Every error becomes a Diagnostic saying what
 * was expected and what was found; the parser then skips to the next `relation`, `permission`,
 * `definition` or `}` and carries on, so one run reports every error in the file.
 *
 * Operator precedence is SpiceDB's, which is not the usual one (pkg/schemadsl/parser/parser.go,
 * `ComputeExpressionOperators = [Minus, And, Plus]`, wrapped in reverse so `-` is outermost):
 *   `->` / `.any()` / `.all()`  binds tightest
 *   `+`  union
 *   `&`  intersection
 *   `-`  exclusion                loosest
 * all left-associative. So `a + b & c` is `(a + b) & c` and `a - b + c` is `a - (b + c)`.
 */
import type { Diagnostic } from '../core/errors.js';
import type { DefinitionNode, ExprNode, MemberNode, PermissionNode, Pos, RelationNode, SchemaFile, TypeRefNode } from './ast.js';
import { HARD_KEYWORDS, describeToken, lex } from './lexer.js';
import type { Token } from './lexer.js';

export interface ParseResult {
  readonly file: SchemaFile;
  /** Syntax errors, and uses of features Warden does not support yet. */
  readonly diagnostics: Diagnostic[];
  readonly warnings: Diagnostic[];
}

/** Thrown after a diagnostic has been recorded, to unwind to the nearest recovery point. */
class Abort extends Error {}

// `use` is not among them: it only means something at the top level, so inside a definition it is a name.
const MEMBER_END_KEYWORDS = new Set(['relation', 'permission', 'definition', 'caveat']);

// Every later stage (type check, compiler, printer, engine, expand) walks expressions recursively, so an
// untrusted schema with thousands of nested "(" or chained operators would overflow the call stack
// there (a 500, not a diagnostic). Real permissions are far below both bounds.
export const MAX_EXPR_NESTING = 64;
export const MAX_EXPR_OPERATORS = 500;

export function parseSchema(text: string): ParseResult {
  const { tokens, diagnostics } = lex(text);
  const p = new Parser(tokens, diagnostics);
  const file = p.parseFile();
  return { file, diagnostics: p.diagnostics, warnings: p.warnings };
}

class Parser {
  private i = 0;
  readonly warnings: Diagnostic[] = [];
  /**
   * The member being parsed when a syntax error aborted it, once its name was read. It is kept (marked
   * incomplete) so the type checker can still run without reporting every use of that name as unknown.
   */
  private partial: MemberNode | undefined;
  private sawCaveat = false;
  /** Open parentheses and operators so far in the permission being parsed (see MAX_EXPR_*). */
  private nesting = 0;
  private operators = 0;

  constructor(
    private readonly tokens: readonly Token[],
    readonly diagnostics: Diagnostic[],
  ) {}

  // --- token helpers -------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isSym(v: string, t = this.peek()): boolean {
    return t.kind === 'symbol' && t.value === v;
  }
  private isKw(v: string, t = this.peek()): boolean {
    return t.kind === 'keyword' && t.value === v;
  }
  private isName(t = this.peek()): boolean {
    return t.kind === 'ident' || (t.kind === 'keyword' && !HARD_KEYWORDS.has(t.value));
  }
  private report(at: Pos, message: string): void {
    this.diagnostics.push({ line: at.line, column: at.column, message });
  }
  private fail(at: Pos, message: string): never {
    this.report(at, message);
    throw new Abort();
  }
  private expectSym(v: string, context: string): Token {
    const t = this.peek();
    if (!this.isSym(v, t)) this.fail(t, `expected "${v}" ${context}, found ${describeToken(t)}`);
    return this.next();
  }
  private expectName(what: string): Token {
    const t = this.peek();
    if (!this.isName(t)) {
      this.fail(t, `expected ${what}, found ${describeToken(t)}`);
    }
    return this.next();
  }
  /** True at a token that ends a relation or permission statement. */
  private atStatementEnd(t = this.peek()): boolean {
    return t.kind === 'eof' || this.isSym('}', t) || this.isSym(';', t) || (t.kind === 'keyword' && MEMBER_END_KEYWORDS.has(t.value));
  }
  /** Skips to the next token a definition body can resume at. */
  private recoverInDefinition(): void {
    while (!this.atStatementEnd() || this.isSym(';')) this.next();
  }

  // --- top level -----------------------------------------------------------------------------

  parseFile(): SchemaFile {
    const definitions: DefinitionNode[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      try {
        if (this.isKw('definition')) {
          definitions.push(this.parseDefinition());
        } else if (this.isKw('caveat')) {
          this.skipCaveat();
        } else if (this.isKw('use')) {
          // SpiceDB: "`use` expressions must be declared before any definition" (caveats count).
          if (definitions.length > 0 || this.sawCaveat) this.report(t, '"use" must come before every definition and caveat');
          this.parseUse();
        } else if (this.isSym(';')) {
          this.next();
        } else {
          this.fail(t, `expected "definition", "caveat" or "use" at the top level, found ${describeToken(t)}`);
        }
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        // Skip at least one token, then to the next top-level keyword.
        if (this.peek() === t) this.next();
        while (this.peek().kind !== 'eof' && !this.isKw('definition') && !this.isKw('caveat') && !this.isKw('use')) this.next();
      }
    }
    return { definitions };
  }

  /** `use expiration` / `use typechecking`: SpiceDB feature flags. */
  private parseUse(): void {
    const kw = this.next();
    const flag = this.expectName('a feature name after "use" (e.g. "expiration")');
    if (flag.value === 'expiration') {
      this.report(kw, 'expiration is not supported yet ("use expiration")');
    } else if (flag.value === 'typechecking') {
      this.warnings.push({ line: kw.line, column: kw.column, message: '"use typechecking" is ignored: Warden always type-checks schemas' });
    } else {
      this.report(flag, `unknown feature "${flag.value}" after "use": expected "expiration" or "typechecking"`);
    }
  }

  /** `caveat name(params) { cel }`: skipped with balanced brackets, and reported as unsupported. */
  private skipCaveat(): void {
    const kw = this.next();
    this.sawCaveat = true;
    this.report(kw, 'caveats are not supported yet: remove the "caveat" definition and its uses');
    this.parseTypePath('caveat name');
    const open = this.expectSym('(', 'after caveat name');
    this.skipBalanced('(', ')', open);
    const brace = this.expectSym('{', 'before the caveat expression');
    this.skipBalanced('{', '}', brace);
  }

  private skipBalanced(open: string, close: string, opener: Token): void {
    let depth = 1;
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') this.fail(t, `expected "${close}" to close the "${open}" at ${opener.line}:${opener.column}, found end of file`);
      if (this.isSym(open, t)) depth++;
      else if (this.isSym(close, t) && --depth === 0) return;
    }
  }

  private parseTypePath(what: string): { name: string; pos: Pos } {
    const first = this.expectName(what);
    let name = first.value;
    while (this.isSym('/') && this.isName(this.peek(1))) {
      this.next();
      name += `/${this.next().value}`;
    }
    if (this.isSym('/')) {
      this.next();
      this.fail(this.peek(), `expected a name after "/" in "${name}/", found ${describeToken(this.peek())}`);
    }
    return { name, pos: first };
  }

  // --- definitions ---------------------------------------------------------------------------

  private parseDefinition(): DefinitionNode {
    const kw = this.next();
    const { name, pos: namePos } = this.parseTypePath('a definition name after "definition"');
    this.expectSym('{', `after definition name "${name}"`);
    const members: MemberNode[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isSym('}')) {
        this.next();
        break;
      }
      if (t.kind === 'eof') {
        this.report(t, `expected "}" to close definition "${name}", found end of file`);
        break;
      }
      if (this.isKw('definition') || this.isKw('caveat')) {
        this.report(t, `expected "}" to close definition "${name}" before ${describeToken(t)}`);
        break;
      }
      if (this.isSym(';')) {
        this.next();
        continue;
      }
      this.partial = undefined;
      try {
        if (this.isKw('relation')) members.push(this.parseRelation());
        else if (this.isKw('permission')) members.push(this.parsePermission());
        else this.fail(t, `expected "relation", "permission" or "}" in definition "${name}", found ${describeToken(t)}`);
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        if (this.partial) members.push(this.partial);
        this.recoverInDefinition();
      }
    }
    return { kind: 'definition', name, pos: pos(kw), namePos: pos(namePos), members, ...comment(kw) };
  }

  private parseRelation(): RelationNode {
    const kw = this.next();
    const name = this.expectName('a relation name after "relation"');
    const types: TypeRefNode[] = [];
    this.partial = { kind: 'relation', name: name.value, pos: pos(kw), namePos: pos(name), types, incomplete: true };
    const colon = this.peek();
    if (!this.isSym(':')) this.fail(colon, `expected ":" after relation name "${name.value}", found ${describeToken(colon)}`);
    this.next();
    // `relation viewer:` with nothing after it parses; the type checker reports the missing types.
    if (!this.atStatementEnd()) {
      for (;;) {
        types.push(this.parseTypeRef());
        if (!this.isSym('|')) break;
        this.next();
      }
      const t = this.peek();
      if (!this.atStatementEnd(t)) {
        this.fail(t, `expected "|" or the end of relation "${name.value}", found ${describeToken(t)}`);
      }
    }
    return { kind: 'relation', name: name.value, pos: pos(kw), namePos: pos(name), types, ...comment(kw) };
  }

  private parseTypeRef(): TypeRefNode {
    const { name: type, pos: at } = this.parseTypePath('a subject type (e.g. "user" or "team#member")');
    let ref: TypeRefNode;
    if (this.isSym(':')) {
      this.next();
      this.expectSym('*', `after "${type}:" (a wildcard is written "${type}:*")`);
      if (this.isSym('#')) {
        this.fail(this.peek(), `a wildcard subject type cannot have a relation: "${type}:*" must not be followed by "#"`);
      }
      ref = { type, pos: pos(at), wildcard: true };
    } else if (this.isSym('#')) {
      this.next();
      if (this.isSym('...')) {
        // `team#...` is SpiceDB's spelling of "the object itself", the same as plain `team`.
        this.next();
        ref = { type, pos: pos(at), wildcard: false };
      } else {
        const rel = this.expectName(`a relation name after "${type}#"`);
        ref = { type, pos: pos(at), relation: rel.value, relationPos: pos(rel), wildcard: false };
      }
    } else {
      ref = { type, pos: pos(at), wildcard: false };
    }
    return this.parseTraits() ? { ...ref, hasTraits: true } : ref;
  }

  /** `with caveat_name`, `with expiration`, `with caveat_name and expiration`: parsed, then refused. */
  private parseTraits(): boolean {
    if (!this.isKw('with')) return false;
    this.next();
    for (;;) {
      const t = this.peek();
      if (this.isKw('expiration')) {
        this.next();
        this.report(t, 'expiration is not supported yet ("with expiration")');
      } else {
        const { name } = this.parseTypePath('a caveat name or "expiration" after "with"');
        this.report(t, `caveats are not supported yet ("with ${name}")`);
      }
      if (!this.isKw('and')) return true;
      this.next();
    }
  }

  private parsePermission(): PermissionNode {
    const kw = this.next();
    const name = this.expectName('a permission name after "permission"');
    this.partial = { kind: 'permission', name: name.value, pos: pos(kw), namePos: pos(name), expr: { kind: 'nil', pos: pos(name) }, incomplete: true };
    this.expectSym('=', 'after permission name');
    this.nesting = 0;
    this.operators = 0;
    const expr = this.parseExpr('after "="');
    const t = this.peek();
    if (!this.atStatementEnd(t)) {
      const hint = this.isSym('(', t) || this.isName(t) ? ' (missing "+", "&" or "-"?)' : '';
      this.fail(t, `expected an operator ("+", "&", "-") or the end of permission "${name.value}", found ${describeToken(t)}${hint}`);
    }
    return { kind: 'permission', name: name.value, pos: pos(kw), namePos: pos(name), expr, ...comment(kw) };
  }

  // --- expressions: exclusion < intersection < union < arrow ---------------------------------

  private parseExpr(context: string): ExprNode {
    return this.parseExclusion(context);
  }

  private parseExclusion(context: string): ExprNode {
    let left = this.parseIntersection(context);
    while (this.isSym('-')) {
      const op = this.countOperator(this.next());
      const right = this.parseIntersection('after "-"');
      left = { kind: 'exclusion', left, right, pos: pos(op) };
    }
    return left;
  }

  private parseIntersection(context: string): ExprNode {
    let left = this.parseUnion(context);
    while (this.isSym('&')) {
      const op = this.countOperator(this.next());
      const right = this.parseUnion('after "&"');
      left = { kind: 'intersection', left, right, pos: pos(op) };
    }
    return left;
  }

  private parseUnion(context: string): ExprNode {
    let left = this.parsePrimary(context);
    while (this.isSym('+')) {
      const op = this.countOperator(this.next());
      const right = this.parsePrimary('after "+"');
      left = { kind: 'union', left, right, pos: pos(op) };
    }
    return left;
  }

  private countOperator(op: Token): Token {
    if (++this.operators > MAX_EXPR_OPERATORS) this.fail(op, `more than ${MAX_EXPR_OPERATORS} operators in one permission: use intermediate permissions`);
    return op;
  }

  private parsePrimary(context: string): ExprNode {
    const t = this.peek();
    if (this.isSym('(')) {
      this.next();
      if (++this.nesting > MAX_EXPR_NESTING) this.fail(t, `expression nested more than ${MAX_EXPR_NESTING} parentheses deep: use intermediate permissions`);
      const inner = this.parseExpr('after "("');
      this.nesting--;
      const close = this.peek();
      if (!this.isSym(')')) this.fail(close, `expected ")" to close the "(" at ${t.line}:${t.column}, found ${describeToken(close)}`);
      this.next();
      if (this.isSym('->') || this.isSym('.')) {
        this.fail(this.peek(), 'the left side of an arrow must be a relation name, not a parenthesised expression');
      }
      return inner;
    }
    if (this.isKw('nil')) {
      this.next();
      if (this.isSym('->') || this.isSym('.')) this.fail(this.peek(), 'the left side of an arrow must be a relation name, not "nil"');
      return { kind: 'nil', pos: pos(t) };
    }
    if (this.isName(t)) {
      this.next();
      if (this.isSym('->') || this.isSym('.')) {
        const arrow = this.parseArrowTail(t);
        if (this.isSym('->') || this.isSym('.')) {
          // SpiceDB parses `a->b->c` and then refuses it in its compiler; say so here.
          this.fail(this.peek(), `nested arrows are not supported: "${t.value}->${arrow.computed}" cannot be followed by another arrow (use an intermediate permission)`);
        }
        return arrow;
      }
      return { kind: 'ref', name: t.value, pos: pos(t) };
    }
    this.fail(t, `expected a relation or permission name, "nil" or "(" ${context}, found ${describeToken(t)}`);
  }

  private parseArrowTail(tupleset: Token): Extract<ExprNode, { kind: 'arrow' }> {
    const op = this.next();
    if (op.value === '->') {
      const computed = this.expectName(`a relation or permission name after "${tupleset.value}->"`);
      return { kind: 'arrow', tupleset: tupleset.value, computed: computed.value, mode: 'any', pos: pos(tupleset), computedPos: pos(computed) };
    }
    // `.any(x)` / `.all(x)`: SpiceDB's arrow functions.
    const fn = this.peek();
    if (!this.isKw('any') && !this.isKw('all')) {
      this.fail(fn, `expected "any" or "all" after "${tupleset.value}.", found ${describeToken(fn)}`);
    }
    this.next();
    this.expectSym('(', `after "${tupleset.value}.${fn.value}"`);
    const computed = this.expectName(`a relation or permission name in "${tupleset.value}.${fn.value}(...)"`);
    this.expectSym(')', `to close "${tupleset.value}.${fn.value}(${computed.value}"`);
    return {
      kind: 'arrow',
      tupleset: tupleset.value,
      computed: computed.value,
      mode: fn.value === 'all' ? 'all' : 'any',
      pos: pos(tupleset),
      computedPos: pos(computed),
    };
  }
}

function pos(t: Pos): Pos {
  return { line: t.line, column: t.column };
}

function comment(t: Token): { comment?: string } {
  return t.comment !== undefined ? { comment: t.comment } : {};
}
