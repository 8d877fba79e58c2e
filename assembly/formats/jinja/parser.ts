// Jinja2 statements: if/elif/else, for (tuple targets, loop filters, else), set (expression and
// block forms, namespace attributes), macro, call, filter blocks, break/continue (the loopcontrols
// extension Hugging Face enables), generation (Hugging Face's assistant-mask block), do, and the
// loader statements (include, import, from, extends, block) that chat templates never need.

import { Lexer, Tok } from "./lexer";
import { N, Node } from "./ast";
import { ExprParser, MAX_DEPTH, TokenStream } from "./expr";

export class ParseResult {
  root: Node | null = null;
  error: string = "";
  errorAt: i32 = 0;
  nodes: i32 = 0;
}

export function parseTemplate(src: string): ParseResult {
  const r = new ParseResult();
  const lex = new Lexer(src);
  if (!lex.run()) { r.error = lex.error; r.errorAt = lex.errorAt; return r; }
  const p = new StatementParser(new TokenStream(lex));
  const root = p.template();
  if (p.ts.bad) { r.error = p.ts.error; r.errorAt = p.ts.errorAt; return r; }
  r.root = root;
  r.nodes = p.ts.nodes;
  return r;
}

const LOADERS: string[] = ["include", "import", "from", "extends", "block"];

class StatementParser {
  ex: ExprParser;
  constructor(public ts: TokenStream) { this.ex = new ExprParser(ts); }

  template(): Node {
    const ts = this.ts;
    const t = ts.node(N.TEMPLATE, "", 0);
    const body = this.body([]);
    t.add(body);
    if (!ts.bad && ts.peek().kind != Tok.EOF) ts.fail("unexpected '{% " + this.endWord + " %}'");
    return t;
  }

  // The tag name that ended the last body ("endif", "else", ...).
  endWord: string = "";

  // Statements up to a {% tag %} whose name is in `ends` (left after the name) or the end.
  body(ends: string[]): Node {
    const ts = this.ts;
    const b = ts.node(N.BODY, "", ts.peek().start);
    if (++ts.blockDepth > MAX_DEPTH * 2) { ts.blockDepth--; ts.fail("blocks nest deeper than " + (MAX_DEPTH * 2).toString() + " levels"); return b; }
    this.endWord = "";
    while (!ts.bad) {
      const t = ts.peek();
      if (t.kind == Tok.EOF) {
        if (ends.length) {
          let want = ends[ends.length - 1];
          for (let e = 0; e < ends.length; e++) if (ends[e].startsWith("end")) want = ends[e];
          ts.fail("missing {% " + want + " %}");
        }
        break;
      }
      if (t.kind == Tok.TEXT) { ts.next(); continue; }
      if (t.kind == Tok.OUT_BEGIN) {
        ts.next();
        const o = ts.node(N.OUTPUT, "", t.start);
        o.add(this.ex.tupleOrExpr(true));
        if (ts.peek().kind != Tok.OUT_END) { ts.fail("expected '}}'"); break; }
        ts.next();
        b.add(ts.finish(o));
        continue;
      }
      if (t.kind != Tok.STMT_BEGIN) { ts.fail("unexpected token outside a block"); break; }
      const name = ts.ahead(1);
      if (name.kind != Tok.NAME) { ts.next(); ts.fail("expected a statement name"); break; }
      if (ends.includes(name.text)) { ts.next(); ts.next(); this.endWord = name.text; break; }
      if (name.text.startsWith("end") || name.text == "else" || name.text == "elif") { ts.next(); ts.fail("unexpected '" + name.text + "'"); break; }
      ts.next(); ts.next();
      const s = this.statement(name.text, t.start);
      if (ts.bad) break;
      b.add(s);
    }
    ts.blockDepth--;
    return ts.finish(b);
  }

  private end(): void {
    const ts = this.ts;
    if (ts.bad) return;
    if (ts.peek().kind != Tok.STMT_END) { ts.fail("expected '%}'"); return; }
    ts.next();
  }

  private statement(word: string, start: i32): Node {
    const ts = this.ts;
    const ex = this.ex;
    if (word == "if") return this.ifStatement(start);
    if (word == "for") {
      const f = ts.node(N.FOR, "", start);
      f.add(this.target());
      if (!ts.skipName("in")) return ts.fail("expected 'in'");
      f.add(ex.tupleOrExpr(true, false));
      let cond = ts.node(N.EMPTY, "", ts.peek().start);
      if (ts.skipName("if")) cond = ex.expression(true);
      ts.skipName("recursive");
      this.end();
      f.add(this.body(["endfor", "else"]));
      if (this.endWord == "else") {
        this.end();
        f.add(this.body(["endfor"]));
      } else f.add(ts.node(N.BODY, "", ts.peek().start));
      this.end();
      f.add(cond);
      return ts.finish(f);
    }
    if (word == "set") {
      const target = this.target();
      if (ts.skipOp("=")) {
        const s = ts.node(N.SET, "", start);
        s.add(target).add(ex.tupleOrExpr(true));
        this.end();
        return ts.finish(s);
      }
      const s = ts.node(N.SETBLOCK, "", start);
      s.add(target);
      let filt = ts.node(N.EMPTY, "", ts.peek().start);
      if (ts.isOp("|")) filt = this.filterChain();
      this.end();
      s.add(this.body(["endset"]));
      this.end();
      s.add(filt);
      return ts.finish(s);
    }
    if (word == "macro") {
      const nameTok = ts.next();
      if (nameTok.kind != Tok.NAME) return ts.fail("expected a macro name");
      const m = ts.node(N.MACRO, nameTok.text, start);
      this.params(m);
      this.end();
      m.add(this.body(["endmacro"]));
      this.end();
      return ts.finish(m);
    }
    if (word == "call") {
      const c = ts.node(N.CALLBLOCK, "", start);
      const params = ts.node(N.EMPTY, "", start);
      if (ts.isOp("(")) this.params(params);
      const callee = ex.expression(true);
      if (callee.kind != N.CALL) return ts.fail("expected a call after {% call %}");
      this.end();
      c.add(callee).add(this.body(["endcall"]));
      this.end();
      for (let i = 0; i < params.kids.length; i++) c.add(params.kids[i]);
      return ts.finish(c);
    }
    if (word == "filter") {
      const f = ts.node(N.FILTERBLOCK, "", start);
      const chain = this.filterChain();
      this.end();
      f.add(chain).add(this.body(["endfilter"]));
      this.end();
      return ts.finish(f);
    }
    if (word == "break" || word == "continue") {
      const n = ts.node(word == "break" ? N.BREAK : N.CONTINUE, "", start);
      this.end();
      return n;
    }
    if (word == "generation") {
      const g = ts.node(N.GENERATION, "", start);
      this.end();
      g.add(this.body(["endgeneration"]));
      this.end();
      return ts.finish(g);
    }
    if (word == "do") {
      const d = ts.node(N.DO, "", start);
      d.add(ex.tupleOrExpr(true));
      this.end();
      return ts.finish(d);
    }
    if (LOADERS.includes(word)) {
      // Parsed loosely (their expressions are kept for the audit); a block's body is walked.
      const l = ts.node(N.LOADER, word, start);
      while (!ts.bad && ts.peek().kind != Tok.STMT_END && ts.peek().kind != Tok.EOF) {
        const t = ts.peek();
        if (t.kind == Tok.NAME && (t.text == "import" || t.text == "as" || t.text == "with" || t.text == "without" || t.text == "context" || t.text == "ignore" || t.text == "missing" || t.text == "scoped" || t.text == "required")) { ts.next(); continue; }
        if (ts.skipOp(",")) continue;
        l.add(ex.expression(true));
      }
      this.end();
      if (word == "block") { l.add(this.body(["endblock"])); ts.skipName(l.kids.length > 0 && l.kids[0].kind == N.NAME ? l.kids[0].str : ""); this.end(); }
      return ts.finish(l);
    }
    return ts.fail("unknown statement '" + word + "'");
  }

  private ifStatement(start: i32): Node {
    const ts = this.ts;
    const n = ts.node(N.IF, "", start);
    n.add(this.ex.tupleOrExpr(false));
    this.end();
    n.add(this.body(["elif", "else", "endif"]));
    if (this.endWord == "elif") {
      const e = ts.node(N.BODY, "", ts.peek().start);
      e.add(this.ifStatement(ts.peek().start));
      n.add(ts.finish(e));
      return ts.finish(n);
    }
    if (this.endWord == "else") {
      this.end();
      n.add(this.body(["endif"]));
    } else n.add(ts.node(N.BODY, "", ts.peek().start));
    this.end();
    return ts.finish(n);
  }

  // An assignment target: a name, a dotted namespace attribute, or a tuple of names.
  private target(): Node {
    const ts = this.ts;
    const start = ts.peek().start;
    const first = this.oneTarget();
    if (!ts.isOp(",")) return first;
    const t = ts.node(N.TUPLE, "", start);
    t.add(first);
    while (ts.skipOp(",")) {
      if (ts.isName("in") || ts.isOp("=")) break;
      t.add(this.oneTarget());
    }
    return ts.finish(t);
  }

  private oneTarget(): Node {
    const ts = this.ts;
    if (ts.skipOp("(")) {
      const t = this.target();
      ts.expectOp(")");
      return t;
    }
    const tok = ts.next();
    if (tok.kind != Tok.NAME) return ts.fail("expected a name to assign");
    let n = ts.node(N.NAME, tok.text, tok.start);
    if (ts.isOp(".") && ts.ahead(1).kind == Tok.NAME) {
      ts.next();
      const a = ts.next();
      n = ts.finish(new Node(N.GETATTR, a.text, n.start, a.end).add(n));
      ts.nodes++;
    }
    return n;
  }

  // Macro / caller parameters "(a, b=default, ...)" appended to target.
  private params(target: Node): void {
    const ts = this.ts;
    if (!ts.expectOp("(")) return;
    while (!ts.bad && !ts.isOp(")")) {
      const t = ts.next();
      if (t.kind != Tok.NAME) { ts.fail("expected a parameter name"); return; }
      if (ts.skipOp("=")) {
        const k = ts.node(N.KWARG, t.text, t.start);
        k.add(this.ex.expression(true));
        target.add(ts.finish(k));
      } else target.add(ts.node(N.NAME, t.text, t.start));
      if (!ts.skipOp(",")) break;
    }
    ts.expectOp(")");
  }

  // "name(args) | name ..." of a filter block or a set block's filter.
  private filterChain(): Node {
    const ts = this.ts;
    ts.skipOp("|");
    let n = this.ex.filter(ts.node(N.EMPTY, "", ts.peek().start));
    while (!ts.bad && ts.skipOp("|")) n = this.ex.filter(n);
    return n;
  }
}
