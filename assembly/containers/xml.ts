// A bounded, streaming XML tokenizer (OpenVINO IR). It reads a source forward through a Cursor
// and hands out one token at a time: a start tag with its attributes, an end tag, or a run of
// text; nothing is kept but the current token and the stack of open element names, so a document
// of any size is read in constant memory (the caller keeps what it needs). Every size is capped:
// names, attribute counts and values, text runs and nesting depth; past a cap the token is an
// E_LIMIT error, never an unbounded allocation.
//
// What is read: elements, attributes in single or double quotes, the five predefined entities and
// numeric character references, CDATA sections (as text), comments, processing instructions and
// a DOCTYPE without an internal subset (skipped). Mismatched or unclosed tags are errors.

import { Cursor } from "../formats/cursor";
import { Context } from "../core/context";
import { E_CORRUPT, E_LIMIT, E_TRUNCATED, E_UNSUPPORTED } from "../core/errors";
import { ByteBuf } from "../util/bytes";

export const XML_STOP: i32 = -1; // a cache miss (the job re-runs) or an error (`error` set)
export const XML_EOF: i32 = 0;
export const XML_START: i32 = 1;
export const XML_END: i32 = 2;
export const XML_TEXT: i32 = 3;

const MAX_NAME: i32 = 1024;
const MAX_ATTRS: i32 = 4096;
const MAX_VALUE: i32 = 1 << 20;
const MAX_TEXT: i32 = 1 << 16; // text kept; a longer run is kept cut and flagged
const MAX_DEPTH: i32 = 256;

export class XmlTokenizer {
  cur: Cursor;
  // The current token.
  name: string = "";
  attrNames: string[] = [];
  attrValues: string[] = [];
  selfClosing: bool = false;
  text: string = "";
  textCut: bool = false;
  // Open elements.
  stack: string[] = [];
  error: string = "";
  errorCode: i32 = 0;
  tokenStart: u64 = 0;
  private buf: ByteBuf = new ByteBuf();
  private pendingEnd: bool = false; // a self-closing tag's implied end comes next

  constructor(public ctx: Context, src: i32, start: u64) {
    this.cur = new Cursor(ctx, src, start);
  }

  get depth(): i32 { return this.stack.length; }

  attr(name: string): string | null {
    for (let i = 0; i < this.attrNames.length; i++) if (this.attrNames[i] == name) return this.attrValues[i];
    return null;
  }

  private fail(code: i32, msg: string): i32 {
    if (this.errorCode == 0) { this.errorCode = code; this.error = msg + " (at byte " + this.tokenStart.toString() + ")"; }
    return XML_STOP;
  }

  // The next byte, advancing; -1 at a miss or the end (cur.ended tells which).
  private get(): i32 {
    const c = this.cur.byte();
    if (c >= 0) this.cur.pos++;
    return c;
  }

  private peek(): i32 { return this.cur.byte(); }

  // A stop inside a token: a miss (no error: the caller sees ctx.pending) or a truncation.
  private stopped(what: string): i32 {
    if (this.cur.ended) return this.fail(E_TRUNCATED, "the document ends inside " + what);
    return XML_STOP;
  }

  next(): i32 {
    this.buf.clear();
    if (this.pendingEnd) {
      this.pendingEnd = false;
      this.stack.pop();
      return XML_END;
    }
    while (true) {
      this.tokenStart = this.cur.pos;
      const c = this.peek();
      if (c < 0) {
        if (!this.cur.ended) return XML_STOP;
        if (this.stack.length) return this.fail(E_TRUNCATED, "the document ends inside <" + this.stack[this.stack.length - 1] + ">");
        return XML_EOF;
      }
      if (c != 0x3c) {
        const k = this.readText();
        if (k != XML_TEXT) return k;
        if (this.text.length == 0) continue; // whitespace between tags
        if (this.stack.length == 0) return this.fail(E_CORRUPT, "text outside the root element");
        return XML_TEXT;
      }
      this.cur.pos++;
      const d = this.peek();
      if (d < 0) return this.stopped("a tag");
      if (d == 0x2f) { this.cur.pos++; return this.endTag(); }
      if (d == 0x3f) { this.cur.pos++; const k = this.skipUntil("?>", "a processing instruction"); if (k != XML_START) return k; continue; }
      if (d == 0x21) {
        this.cur.pos++;
        const k = this.bang();
        if (k == XML_TEXT) return XML_TEXT;
        if (k != XML_START) return k;
        continue;
      }
      return this.startTag();
    }
  }

  // <!-- comment -->, <![CDATA[ text ]]> or <!DOCTYPE ...>: XML_START means "skipped, go on".
  private bang(): i32 {
    const c = this.get();
    if (c < 0) return this.stopped("a declaration");
    if (c == 0x2d) {
      if (this.get() != 0x2d) return this.cur.ended ? this.stopped("a comment") : this.fail(E_CORRUPT, "a malformed comment");
      return this.skipUntil("-->", "a comment");
    }
    if (c == 0x5b) {
      for (let i = 0; i < 6; i++) {
        const k = this.get();
        if (k < 0) return this.stopped("a CDATA section");
        if (k != "CDATA[".charCodeAt(i)) return this.fail(E_CORRUPT, "a malformed CDATA section");
      }
      if (this.stack.length == 0) return this.fail(E_CORRUPT, "a CDATA section outside the root element");
      // Text up to "]]>", kept up to MAX_TEXT.
      let m = 0;
      this.textCut = false;
      while (true) {
        const k = this.get();
        if (k < 0) return this.stopped("a CDATA section");
        if (k == 0x5d) { m++; continue; }
        if (k == 0x3e && m >= 2) {
          for (let i = 0; i < m - 2; i++) this.keep(0x5d);
          break;
        }
        for (let i = 0; i < m; i++) this.keep(0x5d);
        m = 0;
        this.keep(<u8>k);
      }
      this.text = String.UTF8.decodeUnsafe(this.buf.ptr, this.buf.len, false);
      return XML_TEXT;
    }
    // A DOCTYPE: skipped to its '>'; an internal subset ('[') declares entities we do not expand.
    while (true) {
      const k = this.get();
      if (k < 0) return this.stopped("a DOCTYPE");
      if (k == 0x5b) return this.fail(E_UNSUPPORTED, "a DOCTYPE with an internal subset (entity declarations are not expanded)");
      if (k == 0x3e) return XML_START;
    }
  }

  private keep(b: u8): void {
    if (<i32>this.buf.len < MAX_TEXT) this.buf.byte(b);
    else this.textCut = true;
  }

  private skipUntil(end: string, what: string): i32 {
    let m = 0;
    const n = end.length;
    while (true) {
      const c = this.get();
      if (c < 0) return this.stopped(what);
      if (c == end.charCodeAt(m)) { m++; if (m == n) return XML_START; }
      else m = c == end.charCodeAt(0) ? 1 : 0;
    }
  }

  private isSpace(c: i32): bool { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; }

  private skipSpace(): i32 {
    while (true) {
      const c = this.peek();
      if (c < 0 || !this.isSpace(c)) return c;
      this.cur.pos++;
    }
  }

  // A name: bytes up to whitespace, '=', '/', '>' (at most MAX_NAME); "" on a stop or error.
  private readName(what: string): string {
    this.buf.clear();
    while (true) {
      const c = this.peek();
      if (c < 0) { this.stopped(what); return ""; }
      if (this.isSpace(c) || c == 0x3d || c == 0x2f || c == 0x3e || c == 0x3c || c == 0x22 || c == 0x27) break;
      if (<i32>this.buf.len >= MAX_NAME) { this.fail(E_LIMIT, what + " longer than " + MAX_NAME.toString() + " bytes"); return ""; }
      this.buf.byte(<u8>c);
      this.cur.pos++;
    }
    if (this.buf.len == 0) { this.fail(E_CORRUPT, what + " is empty"); return ""; }
    return String.UTF8.decodeUnsafe(this.buf.ptr, this.buf.len, false);
  }

  private startTag(): i32 {
    const name = this.readName("an element name");
    if (!name.length) return XML_STOP;
    if (this.stack.length >= MAX_DEPTH) return this.fail(E_LIMIT, "elements nested deeper than " + MAX_DEPTH.toString());
    if (this.stack.length == 0 && this.seenRoot) return this.fail(E_CORRUPT, "a second root element <" + name + ">");
    this.name = name;
    this.attrNames = [];
    this.attrValues = [];
    this.selfClosing = false;
    while (true) {
      const c = this.skipSpace();
      if (c < 0) return this.stopped("the tag <" + name + ">");
      if (c == 0x3e) { this.cur.pos++; break; }
      if (c == 0x2f) {
        this.cur.pos++;
        const d = this.get();
        if (d < 0) return this.stopped("the tag <" + name + ">");
        if (d != 0x3e) return this.fail(E_CORRUPT, "'/' not followed by '>' in <" + name + ">");
        this.selfClosing = true;
        break;
      }
      const an = this.readName("an attribute name");
      if (!an.length) return XML_STOP;
      if (this.skipSpace() != 0x3d) return this.cur.ended || this.peek() >= 0 ? this.fail(E_CORRUPT, "attribute \"" + an + "\" of <" + name + "> has no '='") : XML_STOP;
      this.cur.pos++;
      const q = this.skipSpace();
      if (q < 0) return this.stopped("the tag <" + name + ">");
      if (q != 0x22 && q != 0x27) return this.fail(E_CORRUPT, "attribute \"" + an + "\" of <" + name + "> is not quoted");
      this.cur.pos++;
      const v = this.readValue(q, name);
      if (v === null) return XML_STOP;
      if (this.attrNames.length >= MAX_ATTRS) return this.fail(E_LIMIT, "<" + name + "> has more than " + MAX_ATTRS.toString() + " attributes");
      if (this.attrNames.includes(an)) return this.fail(E_CORRUPT, "<" + name + "> repeats the attribute \"" + an + "\"");
      this.attrNames.push(an);
      this.attrValues.push(v!);
    }
    this.seenRoot = true;
    this.stack.push(name);
    if (this.selfClosing) this.pendingEnd = true;
    return XML_START;
  }
  private seenRoot: bool = false;

  private readValue(q: i32, tag: string): string | null {
    this.buf.clear();
    while (true) {
      const c = this.get();
      if (c < 0) { this.stopped("an attribute value of <" + tag + ">"); return null; }
      if (c == q) break;
      if (c == 0x3c) { this.fail(E_CORRUPT, "'<' inside an attribute value of <" + tag + ">"); return null; }
      if (<i32>this.buf.len >= MAX_VALUE) { this.fail(E_LIMIT, "an attribute value of <" + tag + "> longer than " + MAX_VALUE.toString() + " bytes"); return null; }
      if (c == 0x26) { if (!this.entity(false)) return null; continue; }
      this.buf.byte(<u8>c);
    }
    return String.UTF8.decodeUnsafe(this.buf.ptr, this.buf.len, false);
  }

  // Text up to the next '<', entities decoded; whitespace-only text comes back as "".
  private readText(): i32 {
    this.buf.clear();
    this.textCut = false;
    let blank = true;
    while (true) {
      const c = this.peek();
      if (c < 0) {
        if (!this.cur.ended) return XML_STOP;
        break; // the caller sees the end next
      }
      if (c == 0x3c) break;
      this.cur.pos++;
      if (c == 0x26) { if (!this.entity(true)) return XML_STOP; blank = false; continue; }
      if (!this.isSpace(c)) blank = false;
      this.keep(<u8>c);
    }
    this.text = blank ? "" : String.UTF8.decodeUnsafe(this.buf.ptr, this.buf.len, false).trim();
    return XML_TEXT;
  }

  // After '&': one entity or character reference, appended to buf.
  private entity(text: bool): bool {
    let n = 0;
    let code: i64 = -1;
    let name = "";
    while (true) {
      const c = this.get();
      if (c < 0) { this.stopped("an entity reference"); return false; }
      if (c == 0x3b) break;
      if (++n > 12) { this.fail(E_CORRUPT, "an unterminated entity reference"); return false; }
      name += String.fromCharCode(c);
    }
    if (name == "lt") code = 0x3c;
    else if (name == "gt") code = 0x3e;
    else if (name == "amp") code = 0x26;
    else if (name == "quot") code = 0x22;
    else if (name == "apos") code = 0x27;
    else if (name.startsWith("#x") || name.startsWith("#X")) code = parseRef(name.substring(2), 16);
    else if (name.startsWith("#")) code = parseRef(name.substring(1), 10);
    else { this.fail(E_UNSUPPORTED, "the entity &" + name + "; is not one of XML's predefined five"); return false; }
    if (code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) { this.fail(E_CORRUPT, "the character reference &" + name + "; is out of range"); return false; }
    const s = String.fromCodePoint(<i32>code);
    const len = String.UTF8.byteLength(s, false);
    const tmp = heap.alloc(8);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, tmp, false);
    for (let i = 0; i < len; i++) { if (text) this.keep(load<u8>(tmp + i)); else this.buf.byte(load<u8>(tmp + i)); }
    heap.free(tmp);
    return true;
  }

  private endTag(): i32 {
    const name = this.readName("an end tag");
    if (!name.length) return XML_STOP;
    const c = this.skipSpace();
    if (c < 0) return this.stopped("the end tag </" + name + ">");
    if (c != 0x3e) return this.fail(E_CORRUPT, "the end tag </" + name + "> has more than a name");
    this.cur.pos++;
    if (!this.stack.length) return this.fail(E_CORRUPT, "</" + name + "> closes nothing");
    const open = this.stack[this.stack.length - 1];
    if (open != name) return this.fail(E_CORRUPT, "</" + name + "> closes <" + open + ">");
    this.name = name;
    this.stack.pop();
    return XML_END;
  }

  dispose(): void { this.buf.dispose(); }
}

function parseRef(s: string, base: i32): i64 {
  if (!s.length || s.length > 8) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (base == 16 && c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (base == 16 && c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    if (d < 0) return -1;
    v = v * base + d;
  }
  return v;
}
