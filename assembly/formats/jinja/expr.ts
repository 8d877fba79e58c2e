// Jinja2 expressions, with Jinja's precedence (jinja2/parser.py): conditional, or, and, not,
// comparisons (in, not in, ==, ...), + -, ~, * / // %, **, unary - +, then postfix (.attr, [key],
// calls) and the filter/test chain (| name(args), is [not] name args).

import { Lexer, Tok, Token } from "./lexer";
import { MAX_HEIGHT, N, Node } from "./ast";

// Parentheses and blocks nest a few levels in real templates; each level costs a dozen wasm frames.
export const MAX_DEPTH: i32 = 32;
export const MAX_NODES: i32 = 1_000_000;

export class TokenStream {
  pos: i32 = 0;
  error: string = "";
  errorAt: i32 = 0;
  depth: i32 = 0;
  blockDepth: i32 = 0;
  nodes: i32 = 0;

  constructor(public lex: Lexer) {}

  get bad(): bool { return this.error.length > 0; }
  peek(): Token { return this.lex.tokens[this.pos]; }
  ahead(k: i32): Token {
    const i = this.pos + k;
    const t = this.lex.tokens;
    return i < t.length ? t[i] : t[t.length - 1];
  }
  next(): Token {
    const t = this.lex.tokens[this.pos];
    if (t.kind != Tok.EOF) this.pos++;
    return t;
  }
  isOp(op: string): bool { const t = this.peek(); return t.kind == Tok.OP && t.text == op; }
  isName(name: string): bool { const t = this.peek(); return t.kind == Tok.NAME && t.text == name; }
  skipOp(op: string): bool { if (this.isOp(op)) { this.pos++; return true; } return false; }
  skipName(name: string): bool { if (this.isName(name)) { this.pos++; return true; } return false; }

  fail(msg: string): Node {
    if (!this.error.length) {
      const t = this.peek();
      this.error = msg + (t.kind == Tok.EOF ? " at the end of the template" : "");
      this.errorAt = t.start;
    }
    return this.node(N.EMPTY, "", this.peek().start);
  }
  expectOp(op: string): bool {
    if (this.skipOp(op)) return true;
    this.fail("expected '" + op + "'");
    return false;
  }
  node(kind: N, str: string, start: i32): Node {
    this.nodes++;
    if (this.nodes > MAX_NODES && !this.error.length) { this.error = "more than " + MAX_NODES.toString() + " syntax nodes"; this.errorAt = start; }
    const prev = this.pos > 0 ? this.lex.tokens[this.pos - 1].end : start;
    return new Node(kind, str, start, prev > start ? prev : start);
  }
  finish(n: Node): Node {
    const prev = this.pos > 0 ? this.lex.tokens[this.pos - 1].end : n.end;
    if (prev > n.end) n.end = prev;
    if (n.height > MAX_HEIGHT && !this.error.length) { this.error = "the syntax tree is deeper than " + MAX_HEIGHT.toString() + " levels"; this.errorAt = n.start; }
    return n;
  }
}

export class ExprParser {
  constructor(public ts: TokenStream) {}

  // A full expression, including an unparenthesised tuple when allowed (for-loop iterables, set).
  tupleOrExpr(allowTuple: bool, withCond: bool = true): Node {
    const ts = this.ts;
    const start = ts.peek().start;
    const first = this.expression(withCond);
    if (!allowTuple || !ts.isOp(",")) return first;
    const t = ts.node(N.TUPLE, "", start);
    t.add(first);
    while (ts.skipOp(",")) {
      if (this.atEnd() || (!withCond && ts.isName("if"))) break;
      t.add(this.expression(withCond));
      if (ts.bad) break;
    }
    return ts.finish(t);
  }

  atEnd(): bool {
    const k = this.ts.peek().kind;
    return k == Tok.STMT_END || k == Tok.OUT_END || k == Tok.EOF || this.ts.isOp(")") || this.ts.isOp("]") || this.ts.isOp("}") || this.ts.isOp("=");
  }

  expression(withCond: bool): Node {
    const ts = this.ts;
    if (ts.bad) return ts.fail("");
    if (++ts.depth > MAX_DEPTH) { ts.depth--; return ts.fail("expression nests deeper than " + MAX_DEPTH.toString() + " levels"); }
    const start = ts.peek().start;
    let e = this.or();
    while (withCond && !ts.bad && ts.isName("if")) {
      ts.next();
      const c = ts.node(N.COND, "", start);
      c.add(e).add(this.or());
      if (ts.skipName("else")) c.add(this.expression(false));
      else c.add(ts.node(N.EMPTY, "", ts.peek().start));
      e = ts.finish(c);
    }
    ts.depth--;
    return e;
  }

  private bin(op: string, l: Node, r: Node): Node {
    const b = new Node(N.BINOP, op, l.start, r.end);
    this.ts.nodes++;
    return this.ts.finish(b.add(l).add(r));
  }

  private or(): Node {
    let l = this.and();
    while (!this.ts.bad && this.ts.skipName("or")) l = this.bin("or", l, this.and());
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (!this.ts.bad && this.ts.skipName("and")) l = this.bin("and", l, this.not());
    return l;
  }
  private not(): Node {
    const ts = this.ts;
    if (ts.isName("not")) {
      const start = ts.next().start;
      if (++ts.depth > MAX_DEPTH) { ts.depth--; return ts.fail("expression nests too deep"); }
      const u = ts.node(N.UNOP, "not", start);
      u.add(this.not());
      ts.depth--;
      return ts.finish(u);
    }
    return this.compare();
  }
  private compare(): Node {
    const ts = this.ts;
    let l = this.math1();
    while (!ts.bad) {
      const t = ts.peek();
      if (t.kind == Tok.OP && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=")) {
        ts.next();
        l = this.bin(t.text, l, this.math1());
      } else if (ts.isName("in")) {
        ts.next();
        l = this.bin("in", l, this.math1());
      } else if (ts.isName("not") && ts.ahead(1).kind == Tok.NAME && ts.ahead(1).text == "in") {
        ts.next(); ts.next();
        l = this.bin("not in", l, this.math1());
      } else break;
    }
    return l;
  }
  private math1(): Node {
    const ts = this.ts;
    let l = this.concat();
    while (!ts.bad && (ts.isOp("+") || ts.isOp("-"))) l = this.bin(ts.next().text, l, this.concat());
    return l;
  }
  private concat(): Node {
    const ts = this.ts;
    let l = this.math2();
    while (!ts.bad && ts.isOp("~")) { ts.next(); l = this.bin("~", l, this.math2()); }
    return l;
  }
  private math2(): Node {
    const ts = this.ts;
    let l = this.pow();
    while (!ts.bad && (ts.isOp("*") || ts.isOp("/") || ts.isOp("//") || ts.isOp("%"))) l = this.bin(ts.next().text, l, this.pow());
    return l;
  }
  private pow(): Node {
    const ts = this.ts;
    let l = this.unary(true);
    while (!ts.bad && ts.isOp("**")) { ts.next(); l = this.bin("**", l, this.unary(true)); }
    return l;
  }
  private unary(withFilter: bool): Node {
    const ts = this.ts;
    if (ts.bad) return ts.fail("");
    let n: Node;
    if (ts.isOp("-") || ts.isOp("+")) {
      const t = ts.next();
      if (++ts.depth > MAX_DEPTH) { ts.depth--; return ts.fail("expression nests too deep"); }
      const u = ts.node(N.UNOP, t.text, t.start);
      u.add(this.unary(false));
      ts.depth--;
      n = ts.finish(u);
    } else n = this.primary();
    n = this.postfix(n);
    if (withFilter) n = this.filterChain(n);
    return n;
  }

  private primary(): Node {
    const ts = this.ts;
    const t = ts.peek();
    if (t.kind == Tok.NAME) {
      ts.next();
      const low = t.text.toLowerCase();
      if (low == "true" || low == "false" || low == "none") return ts.node(N.CONST, t.text, t.start);
      return ts.node(N.NAME, t.text, t.start);
    }
    if (t.kind == Tok.STRING) {
      ts.next();
      // adjacent literals concatenate ("a" "b")
      let v = t.text;
      while (ts.peek().kind == Tok.STRING) v += ts.next().text;
      return ts.node(N.STR, v, t.start);
    }
    if (t.kind == Tok.NUMBER) { ts.next(); return ts.node(N.NUM, t.text, t.start); }
    if (t.kind == Tok.OP) {
      if (t.text == "(") {
        ts.next();
        if (ts.skipOp(")")) return ts.node(N.TUPLE, "", t.start);
        const first = this.expression(true);
        if (ts.isOp(",")) {
          const tup = ts.node(N.TUPLE, "", t.start);
          tup.add(first);
          while (ts.skipOp(",")) {
            if (ts.isOp(")")) break;
            tup.add(this.expression(true));
            if (ts.bad) break;
          }
          ts.expectOp(")");
          return ts.finish(tup);
        }
        ts.expectOp(")");
        return first;
      }
      if (t.text == "[") {
        ts.next();
        const l = ts.node(N.LIST, "", t.start);
        while (!ts.bad && !ts.isOp("]")) {
          l.add(this.expression(true));
          if (!ts.skipOp(",")) break;
        }
        ts.expectOp("]");
        return ts.finish(l);
      }
      if (t.text == "{") {
        ts.next();
        const d = ts.node(N.DICT, "", t.start);
        while (!ts.bad && !ts.isOp("}")) {
          d.add(this.expression(true));
          ts.expectOp(":");
          d.add(this.expression(true));
          if (!ts.skipOp(",")) break;
        }
        ts.expectOp("}");
        return ts.finish(d);
      }
    }
    return ts.fail("unexpected " + (t.kind == Tok.EOF ? "end" : "'" + (t.text.length ? t.text : "token") + "'") + " in an expression");
  }

  private postfix(n: Node): Node {
    const ts = this.ts;
    while (!ts.bad) {
      if (ts.isOp(".")) {
        ts.next();
        const t = ts.next();
        if (t.kind == Tok.NAME) n = ts.finish(new Node(N.GETATTR, t.text, n.start, t.end).add(n));
        else if (t.kind == Tok.NUMBER) n = ts.finish(new Node(N.GETITEM, "", n.start, t.end).add(n).add(new Node(N.NUM, t.text, t.start, t.end)));
        else return ts.fail("expected an attribute name after '.'");
        ts.nodes++;
      } else if (ts.isOp("[")) {
        ts.next();
        const g = new Node(N.GETITEM, "", n.start, n.end);
        ts.nodes++;
        g.add(n).add(this.subscript());
        ts.expectOp("]");
        n = ts.finish(g);
      } else if (ts.isOp("(")) {
        n = this.call(n);
      } else break;
    }
    return n;
  }

  private subscript(): Node {
    const ts = this.ts;
    const start = ts.peek().start;
    let first: Node | null = null;
    if (!ts.isOp(":")) first = this.expression(true);
    if (!ts.isOp(":")) return first !== null ? first : ts.fail("empty subscript");
    const s = ts.node(N.SLICE, "", start);
    s.add(first !== null ? first : ts.node(N.EMPTY, "", start));
    ts.next();
    s.add(ts.isOp(":") || ts.isOp("]") ? ts.node(N.EMPTY, "", ts.peek().start) : this.expression(true));
    if (ts.skipOp(":")) s.add(ts.isOp("]") ? ts.node(N.EMPTY, "", ts.peek().start) : this.expression(true));
    else s.add(ts.node(N.EMPTY, "", ts.peek().start));
    return ts.finish(s);
  }

  // Arguments "(...)" of a call, filter or test, appended to `target`.
  args(target: Node): void {
    const ts = this.ts;
    ts.expectOp("(");
    while (!ts.bad && !ts.isOp(")")) {
      const t = ts.peek();
      if (ts.isOp("*") || ts.isOp("**")) {
        ts.next();
        const s = ts.node(t.text == "*" ? N.STARARGS : N.STARKW, "", t.start);
        s.add(this.expression(true));
        target.add(ts.finish(s));
      } else if (t.kind == Tok.NAME && ts.ahead(1).kind == Tok.OP && ts.ahead(1).text == "=") {
        ts.next(); ts.next();
        const k = ts.node(N.KWARG, t.text, t.start);
        k.add(this.expression(true));
        target.add(ts.finish(k));
      } else target.add(this.expression(true));
      if (!ts.skipOp(",")) break;
    }
    ts.expectOp(")");
  }

  call(callee: Node): Node {
    const c = new Node(N.CALL, "", callee.start, callee.end);
    this.ts.nodes++;
    c.add(callee);
    this.args(c);
    return this.ts.finish(c);
  }

  // A dotted filter or test name.
  private dottedName(): string {
    const ts = this.ts;
    const t = ts.next();
    if (t.kind != Tok.NAME) { ts.fail("expected a name"); return ""; }
    let name = t.text;
    while (ts.isOp(".") && ts.ahead(1).kind == Tok.NAME) { ts.next(); name += "." + ts.next().text; }
    return name;
  }

  filterChain(n: Node): Node {
    const ts = this.ts;
    while (!ts.bad) {
      if (ts.isOp("|")) {
        ts.next();
        n = this.filter(n);
      } else if (ts.isName("is")) {
        ts.next();
        const neg = ts.skipName("not");
        const name = this.dottedName();
        const t = new Node(N.TEST, name, n.start, n.end);
        ts.nodes++;
        t.negated = neg;
        t.add(n);
        if (ts.isOp("(")) this.args(t);
        else if (this.startsTestArg()) t.add(this.unary(false));
        n = ts.finish(t);
      } else if (ts.isOp("(")) {
        n = this.call(n);
      } else break;
    }
    return n;
  }

  // One "| name(args)" after the '|' was consumed.
  filter(operand: Node): Node {
    const ts = this.ts;
    const name = this.dottedName();
    const f = new Node(N.FILTER, name, operand.start, operand.end);
    ts.nodes++;
    f.add(operand);
    if (ts.isOp("(")) this.args(f);
    return ts.finish(f);
  }

  // A test argument without parentheses ("is divisibleby 3", "is sameas none").
  private startsTestArg(): bool {
    const t = this.ts.peek();
    if (t.kind == Tok.STRING || t.kind == Tok.NUMBER) return true;
    if (t.kind == Tok.OP) return t.text == "[" || t.text == "{" || t.text == "-";
    if (t.kind != Tok.NAME) return false;
    const w = t.text;
    return !(w == "else" || w == "or" || w == "and" || w == "if" || w == "not" || w == "in" || w == "is");
  }
}
