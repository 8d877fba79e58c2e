// Jinja2 lexer, enough of the language for chat templates: text, {{ }}, {% %}, {# #}, whitespace
// control (-, +), {% raw %} blocks, and the tokens inside blocks (names, strings with escapes,
// numbers, operators). Bracket depth is tracked so "}}" inside a dict literal does not end a block
// (Jinja's own lexer balances brackets the same way).

export const enum Tok { TEXT = 0, OUT_BEGIN = 1, OUT_END = 2, STMT_BEGIN = 3, STMT_END = 4, NAME = 5, STRING = 6, NUMBER = 7, OP = 8, EOF = 9 }

export class Token {
  constructor(public kind: Tok, public text: string, public start: i32, public end: i32) {}
}

// Operators, longest first.
const OPS: string[] = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}"];

export const MAX_TOKENS: i32 = 2_000_000;

export class Lexer {
  tokens: Token[] = [];
  error: string = "";
  errorAt: i32 = 0;

  constructor(public src: string) {}

  private fail(msg: string, at: i32): bool {
    if (!this.error.length) { this.error = msg; this.errorAt = at; }
    return false;
  }

  private push(kind: Tok, text: string, start: i32, end: i32): bool {
    if (this.tokens.length >= MAX_TOKENS) return this.fail("more than " + MAX_TOKENS.toString() + " tokens", start);
    this.tokens.push(new Token(kind, text, start, end));
    return true;
  }

  run(): bool {
    const s = this.src;
    const n = s.length;
    let i = 0;
    while (i < n) {
      // text up to the next block opener
      let j = i;
      while (j < n) {
        if (s.charCodeAt(j) == 0x7b && j + 1 < n) {
          const c = s.charCodeAt(j + 1);
          if (c == 0x7b || c == 0x25 || c == 0x23) break;
        }
        j++;
      }
      if (j > i && !this.push(Tok.TEXT, "", i, j)) return false;
      if (j >= n) break;
      const kind = s.charCodeAt(j + 1);
      let k = j + 2;
      if (k < n && (s.charCodeAt(k) == 0x2d || s.charCodeAt(k) == 0x2b)) k++;
      if (kind == 0x23) { // comment
        const e = s.indexOf("#}", k);
        if (e < 0) return this.fail("unclosed comment", j);
        i = e + 2;
        continue;
      }
      if (kind == 0x25 && this.isRaw(k)) {
        const close = this.findEndRaw(k);
        if (close < 0) return this.fail("unclosed raw block", j);
        if (!this.push(Tok.TEXT, "", j, close)) return false;
        i = close;
        continue;
      }
      const begin = kind == 0x7b ? Tok.OUT_BEGIN : Tok.STMT_BEGIN;
      if (!this.push(begin, kind == 0x7b ? "{{" : "{%", j, k)) return false;
      const after = this.block(k, kind == 0x7b ? 0x7d : 0x25);
      if (after < 0) return false;
      i = after;
    }
    return this.push(Tok.EOF, "", n, n);
  }

  // "{% raw %}" (with optional whitespace markers) starting at k (after "{%" and a marker).
  private isRaw(k: i32): bool {
    const s = this.src;
    let p = k;
    while (p < s.length && isSpace(s.charCodeAt(p))) p++;
    if (s.substr(p, 3) != "raw") return false;
    p += 3;
    while (p < s.length && isSpace(s.charCodeAt(p))) p++;
    if (p < s.length && (s.charCodeAt(p) == 0x2d || s.charCodeAt(p) == 0x2b)) p++;
    return s.substr(p, 2) == "%}";
  }

  // Index just past "{% endraw %}" or -1.
  private findEndRaw(k: i32): i32 {
    const s = this.src;
    let p = s.indexOf("%}", k);
    while (p >= 0) {
      const q = s.indexOf("{%", p + 2);
      if (q < 0) return -1;
      let r = q + 2;
      if (r < s.length && (s.charCodeAt(r) == 0x2d || s.charCodeAt(r) == 0x2b)) r++;
      while (r < s.length && isSpace(s.charCodeAt(r))) r++;
      if (s.substr(r, 6) == "endraw") {
        const e = s.indexOf("%}", r + 6);
        return e < 0 ? -1 : e + 2;
      }
      p = q + 2;
    }
    return -1;
  }

  // Tokens of one block from k up to its closing delimiter (close = '}' or '%'); index after it.
  private block(k: i32, close: i32): i32 {
    const s = this.src;
    const n = s.length;
    let depth = 0;
    let i = k;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (isSpace(c)) { i++; continue; }
      if (depth == 0) {
        // end delimiter, optionally with a whitespace marker before it
        let e = i;
        if ((c == 0x2d || c == 0x2b) && e + 1 < n && s.charCodeAt(e + 1) == close) e++;
        if (s.charCodeAt(e) == close && e + 1 < n && s.charCodeAt(e + 1) == 0x7d) {
          if (!this.push(close == 0x7d ? Tok.OUT_END : Tok.STMT_END, "", i, e + 2)) return -1;
          return e + 2;
        }
      }
      if (isNameStart(c)) {
        let j = i + 1;
        while (j < n && isNamePart(s.charCodeAt(j))) j++;
        if (!this.push(Tok.NAME, s.substring(i, j), i, j)) return -1;
        i = j;
        continue;
      }
      if (c >= 0x30 && c <= 0x39) {
        let j = i + 1;
        while (j < n) {
          const d = s.charCodeAt(j);
          if ((d >= 0x30 && d <= 0x39) || d == 0x5f) { j++; continue; }
          if (d == 0x2e && j + 1 < n && s.charCodeAt(j + 1) >= 0x30 && s.charCodeAt(j + 1) <= 0x39) { j++; continue; }
          if ((d == 0x65 || d == 0x45) && j + 1 < n) { j++; if (s.charCodeAt(j) == 0x2b || s.charCodeAt(j) == 0x2d) j++; continue; }
          break;
        }
        if (!this.push(Tok.NUMBER, s.substring(i, j), i, j)) return -1;
        i = j;
        continue;
      }
      if (c == 0x22 || c == 0x27) {
        const j = this.string(i, c);
        if (j < 0) return -1;
        i = j;
        continue;
      }
      let op = "";
      for (let o = 0; o < OPS.length; o++) {
        if (s.substr(i, OPS[o].length) == OPS[o]) { op = OPS[o]; break; }
      }
      if (!op.length) {
        this.fail("unexpected character '" + String.fromCharCode(c) + "'", i);
        return -1;
      }
      if (op == "(" || op == "[" || op == "{") depth++;
      else if (op == ")" || op == "]" || op == "}") {
        if (depth == 0) { this.fail("unbalanced '" + op + "'", i); return -1; }
        depth--;
      }
      if (!this.push(Tok.OP, op, i, i + op.length)) return -1;
      i += op.length;
    }
    this.fail(close == 0x7d ? "unclosed {{" : "unclosed {%", k);
    return -1;
  }

  // A quoted string with Python escapes; pushes its decoded value. Index after the closing quote.
  private string(i: i32, q: i32): i32 {
    const s = this.src;
    const n = s.length;
    const parts = new Array<string>();
    let run = i + 1;
    let j = i + 1;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c == q) {
        parts.push(s.substring(run, j));
        if (!this.push(Tok.STRING, parts.join(""), i, j + 1)) return -1;
        return j + 1;
      }
      if (c == 0x5c && j + 1 < n) {
        parts.push(s.substring(run, j));
        const e = s.charCodeAt(j + 1);
        let len = 2;
        if (e == 0x6e) parts.push("\n");
        else if (e == 0x74) parts.push("\t");
        else if (e == 0x72) parts.push("\r");
        else if (e == 0x30) parts.push("\0");
        else if (e == 0x78 && j + 3 < n) { parts.push(String.fromCharCode(hex(s, j + 2, 2))); len = 4; }
        else if (e == 0x75 && j + 5 < n) { parts.push(String.fromCharCode(hex(s, j + 2, 4))); len = 6; }
        else if (e == 0x5c || e == 0x27 || e == 0x22) parts.push(String.fromCharCode(e));
        else if (e == 0x0a) { /* line continuation */ }
        else parts.push(s.substring(j, j + 2));
        j += len;
        run = j;
        continue;
      }
      j++;
    }
    this.fail("unclosed string", i);
    return -1;
  }
}

function hex(s: string, at: i32, len: i32): i32 {
  let v = 0;
  for (let k = 0; k < len && at + k < s.length; k++) {
    const c = s.charCodeAt(at + k);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return 0x3f;
    v = v * 16 + d;
  }
  return v;
}

export function isSpace(c: i32): bool { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c; }
function isNameStart(c: i32): bool { return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c >= 0x80; }
function isNamePart(c: i32): bool { return isNameStart(c) || (c >= 0x30 && c <= 0x39); }
