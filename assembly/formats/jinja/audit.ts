// What a chat template could do beyond formatting messages. Engines that render templates in a
// plain (unsandboxed) Jinja environment let a template walk Python's object graph:
// ''.__class__.__mro__[1].__subclasses__(), self.__init__.__globals__.__builtins__, cycler/joiner/
// lipsum globals, attribute names hidden from a text search by building them ('__cla' ~ 'ss__',
// |join, |format, |reverse) and fetching them with |attr or [...]. Real chat templates use none of
// this: plain attribute names, the context variables and a handful of globals (range, namespace,
// raise_exception, strftime_now). Every finding names the template key and the expression.

import { JArr, JObj, JStr } from "../../util/json";
import { N, Node } from "./ast";
import { parseTemplate } from "./parser";

export const SEV_MEDIUM: i32 = 3;
export const SEV_HIGH: i32 = 4;

// Names a template reaching them has left formatting behind: Python's object model, process and
// code access, the template engine's internals.
const GADGET_ATTRS: string[] = [
  "os", "sys", "popen", "system", "eval", "exec", "subprocess", "import_module", "getoutput", "check_output",
  "check_call", "Popen", "spawn", "spawnv", "execv", "modules", "builtins", "func_globals", "f_globals", "f_locals",
  "f_back", "f_builtins", "gi_frame", "gi_code", "cr_frame", "ag_frame", "tb_frame", "mro", "globals", "getattr",
  "compile", "load_module", "environment", "_TemplateReference__context", "_module", "read_text",
  "write_text", "unlink", "rmtree",
];

// Globals of Jinja itself, of web frameworks that share the environment, and Python names that a
// chat template has no use for. range/namespace/dict (Jinja), raise_exception and strftime_now
// (transformers) are what templates need.
const GADGET_GLOBALS: string[] = [
  "cycler", "joiner", "lipsum", "self", "config", "request", "url_for", "get_flashed_messages", "session", "g",
  "application", "os", "sys", "eval", "exec", "__import__", "__builtins__", "builtins", "getattr", "open",
  "globals", "locals", "vars", "subprocess", "importlib", "compile", "_self", "environment",
];

// Filters that take an attribute name as an argument (a path with dots for attribute=).
const ATTR_NAME_FILTERS: string[] = ["attr", "map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max", "join"];

export class TemplateFinding {
  constructor(public severity: i32, public code: string, public message: string) {}
}

export class TemplateAudit {
  findings: TemplateFinding[] = [];
  parsed: bool = false;
  error: string = "";
  nodes: i32 = 0;
  // for the index (and tests against a reference parser)
  statements: JObj = new JObj();
  variables: string[] = [];
  attributes: string[] = [];
  filters: string[] = [];
  tests: string[] = [];
  private bound: string[] = ["loop", "caller", "varargs", "kwargs"];
  private seen: string[] = [];

  constructor(public key: string, public src: string) {}

  run(): TemplateAudit {
    const r = parseTemplate(this.src);
    if (r.root === null) {
      this.error = r.error + " (at character " + r.errorAt.toString() + ")";
      this.add(SEV_MEDIUM, "template-unparsed", "the template does not parse (" + this.error + "), so it could not be checked", r.errorAt, r.errorAt + 40);
      return this;
    }
    this.parsed = true;
    this.nodes = r.nodes;
    this.collectBound(r.root!);
    this.walk(r.root!);
    return this;
  }

  private excerpt(start: i32, end: i32): string {
    let s = this.src.substring(start, end < start ? start : end);
    if (s.length > 160) s = s.substring(0, 157) + "...";
    return s;
  }

  private add(sev: i32, code: string, why: string, start: i32, end: i32): void {
    const msg = "chat template \"" + this.key + "\": " + why + ": " + this.excerpt(start, end);
    if (this.seen.includes(msg)) return;
    this.seen.push(msg);
    this.findings.push(new TemplateFinding(sev, code, msg));
  }

  private count(what: string): void {
    const v = this.statements.get(what);
    this.statements.setInt(what, v ? <i64>v.asF64() + 1 : 1);
  }

  // Names bound anywhere (for targets, set targets, macro names and parameters, caller parameters).
  private collectBound(n: Node): void {
    const k = n.kind;
    if (k == N.FOR || k == N.SET || k == N.SETBLOCK) this.bindTarget(n.kids[0]);
    if (k == N.MACRO) {
      this.bound.push(n.str);
      for (let i = 0; i + 1 < n.kids.length; i++) this.bound.push(n.kids[i].str);
    }
    if (k == N.CALLBLOCK) for (let i = 2; i < n.kids.length; i++) this.bound.push(n.kids[i].str);
    for (let i = 0; i < n.kids.length; i++) this.collectBound(n.kids[i]);
  }
  private bindTarget(t: Node): void {
    if (t.kind == N.NAME) this.bound.push(t.str);
    else if (t.kind == N.TUPLE) for (let i = 0; i < t.kids.length; i++) this.bindTarget(t.kids[i]);
  }

  private walk(n: Node): void {
    const k = n.kind;
    switch (k) {
      case N.OUTPUT: this.count("output"); break;
      case N.IF: this.count("if"); break;
      case N.FOR: this.count("for"); break;
      case N.SET: case N.SETBLOCK: this.count("set"); break;
      case N.MACRO: this.count("macro"); break;
      case N.CALLBLOCK: this.count("call"); break;
      case N.FILTERBLOCK: this.count("filter"); break;
      case N.NAME: this.name(n); break;
      case N.GETATTR: this.getattr(n); break;
      case N.GETITEM: this.getitem(n); break;
      case N.FILTER: this.filter(n); break;
      case N.TEST: if (!this.tests.includes(n.str)) this.tests.push(n.str); break;
      case N.STR: this.literal(n); break;
      case N.CALL: this.call(n); break;
      case N.LOADER:
        this.count(n.str);
        this.add(SEV_HIGH, "template-loader", "{% " + n.str + " %} loads other templates through the engine's loader (files on the server); chat templates are self-contained", n.start, n.end);
        break;
      case N.DO: this.count("do"); break;
    }
    for (let i = 0; i < n.kids.length; i++) this.walk(n.kids[i]);
  }

  private name(n: Node): void {
    if (this.bound.includes(n.str)) return;
    if (!this.variables.includes(n.str)) this.variables.push(n.str);
    if (GADGET_GLOBALS.includes(n.str)) {
      this.add(SEV_HIGH, "template-global", "uses the global '" + n.str + "', which chat templates never need and which reaches the engine or Python objects", n.start, n.end);
    } else if (n.str.startsWith("_")) {
      this.add(SEV_HIGH, "template-global", "uses the private name '" + n.str + "'", n.start, n.end);
    }
  }

  private getattr(n: Node): void {
    if (!this.attributes.includes(n.str)) this.attributes.push(n.str);
    this.attrName(n.str, false, n);
  }

  // An attribute name reached by .name, [...], |attr or a filter's attribute argument.
  private attrName(name: string, built: bool, n: Node): void {
    const how = built ? "builds the attribute name '" + name + "' from pieces and reads it" : "reads the attribute '" + name + "'";
    if (name.startsWith("__")) this.add(SEV_HIGH, "template-dunder", how + " (Python object internals: the way out of a template to code execution)", n.start, n.end);
    else if (name.startsWith("_")) this.add(SEV_HIGH, "template-dunder", how + " (a private attribute that Jinja's sandbox refuses)", n.start, n.end);
    else if (GADGET_ATTRS.includes(name)) this.add(SEV_HIGH, "template-gadget", how + " (process, code or engine access)", n.start, n.end);
    else if (built) this.add(SEV_HIGH, "template-built-name", how + " (names are assembled to hide them)", n.start, n.end);
  }

  private getitem(n: Node): void {
    const key = n.kids[1];
    if (key.kind == N.STR) { this.attrName(key.str, false, n); return; }
    if (key.kind == N.NAME || key.kind == N.NUM || key.kind == N.SLICE || key.kind == N.UNOP) return;
    const folded = foldString(key, 0);
    if (folded !== null) this.attrName(folded, true, n);
    else if (producesString(key)) this.add(SEV_HIGH, "template-built-name", "subscript with a key computed from strings at render time", n.start, n.end);
  }

  private filter(n: Node): void {
    const name = n.str;
    if (!this.filters.includes(name)) this.filters.push(name);
    if (name == "attr") {
      if (n.kids.length < 2) return;
      const a = n.kids[1];
      if (a.kind == N.STR) {
        this.attrName(a.str, false, n);
        this.add(SEV_MEDIUM, "template-attr-filter", "uses the attr filter (a way around attribute checks; chat templates do not use it)", n.start, n.end);
        return;
      }
      const folded = foldString(a, 0);
      if (folded !== null) this.attrName(folded, true, n);
      else this.add(SEV_HIGH, "template-built-name", "the attr filter reads an attribute whose name is computed at render time", n.start, n.end);
      return;
    }
    if (ATTR_NAME_FILTERS.includes(name)) {
      for (let i = 1; i < n.kids.length; i++) {
        let a = n.kids[i];
        if (a.kind == N.KWARG) { if (a.str != "attribute") continue; a = a.kids[0]; }
        else if (name != "map" && name != "selectattr" && name != "rejectattr") continue;
        const v = a.kind == N.STR ? a.str : foldString(a, 0);
        if (v === null) continue;
        const parts = v.split(".");
        for (let p = 0; p < parts.length; p++) {
          const s = parts[p];
          if (s.startsWith("_") || GADGET_ATTRS.includes(s)) this.attrName(s, a.kind != N.STR, n);
        }
      }
    }
  }

  // A string literal that spells a dunder name anywhere (format strings "{0.__class__}", names
  // handed to filters) is suspicious on its own.
  private literal(n: Node): void {
    const s = n.str;
    const i = s.indexOf("__");
    if (i < 0) return;
    const j = s.indexOf("__", i + 2);
    if (j > i + 2 && isIdent(s.substring(i + 2, j))) {
      this.add(SEV_HIGH, "template-dunder", "a string spells the Python internal name '" + s.substring(i, j + 2) + "'", n.start, n.end);
    }
  }

  private call(n: Node): void {
    const callee = n.kids[0];
    // str.format reaches attributes through its replacement fields: "{0.__class__}".format(x)
    if (callee.kind == N.GETATTR && callee.str == "format" && callee.kids[0].kind == N.STR && callee.kids[0].str.indexOf("{") >= 0) {
      const f = callee.kids[0].str;
      if (f.indexOf(".") >= 0 || f.indexOf("[") >= 0) {
        const lb = f.indexOf("{");
        const rb = f.indexOf("}", lb);
        const field = rb > lb ? f.substring(lb, rb + 1) : f;
        if (field.indexOf(".") >= 0 || field.indexOf("[") >= 0) this.add(SEV_HIGH, "template-format-field", "str.format with a replacement field that reads attributes (" + field + ")", n.start, n.end);
      }
    }
  }

  toJson(): JObj {
    const o = new JObj();
    o.setStr("key", this.key);
    o.setBool("parsed", this.parsed);
    if (!this.parsed) o.setStr("error", this.error);
    o.setInt("nodes", this.nodes);
    o.set("statements", this.statements);
    o.set("variables", strs(this.variables));
    o.set("attributes", strs(this.attributes));
    o.set("filters", strs(this.filters));
    o.set("tests", strs(this.tests));
    return o;
  }
}

function strs(a: string[]): JArr {
  const r = new JArr();
  for (let i = 0; i < a.length; i++) r.push(new JStr(a[i]));
  return r;
}

function isIdent(s: string): bool {
  if (!s.length) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f)) return false;
  }
  return true;
}

// Evaluates an expression made only of string literals and string operations (~, +, |join,
// |format, %, |reverse, |replace, |lower, |upper, |string, |trim, .format(), .join(), [::-1]).
// Null when any part is not constant.
export function foldString(n: Node, depth: i32): string | null {
  if (depth > 64) return null;
  const k = n.kind;
  if (k == N.STR) return n.str;
  if (k == N.BINOP && (n.str == "~" || n.str == "+")) {
    const a = foldString(n.kids[0], depth + 1);
    const b = foldString(n.kids[1], depth + 1);
    return a !== null && b !== null ? a + b : null;
  }
  if (k == N.BINOP && n.str == "%") {
    const f = foldString(n.kids[0], depth + 1);
    if (f === null) return null;
    const r = n.kids[1];
    const args = new Array<string>();
    if (r.kind == N.TUPLE || r.kind == N.LIST) {
      for (let i = 0; i < r.kids.length; i++) { const v = foldString(r.kids[i], depth + 1); if (v === null) return null; args.push(v); }
    } else { const v = foldString(r, depth + 1); if (v === null) return null; args.push(v); }
    return percentFormat(f, args);
  }
  if (k == N.FILTER) {
    const name = n.str;
    const base = n.kids[0];
    if (name == "join") {
      if (base.kind != N.LIST && base.kind != N.TUPLE) return null;
      let sep = "";
      if (n.kids.length > 1) { const s = foldString(n.kids[1], depth + 1); if (s === null) return null; sep = s; }
      const parts = new Array<string>();
      for (let i = 0; i < base.kids.length; i++) { const v = foldString(base.kids[i], depth + 1); if (v === null) return null; parts.push(v); }
      return parts.join(sep);
    }
    const v = foldString(base, depth + 1);
    if (v === null) return null;
    if (name == "format") {
      const args = new Array<string>();
      for (let i = 1; i < n.kids.length; i++) { const a = foldString(n.kids[i], depth + 1); if (a === null) return null; args.push(a); }
      return percentFormat(v, args);
    }
    if (name == "reverse") return reverse(v);
    if (name == "lower") return v.toLowerCase();
    if (name == "upper") return v.toUpperCase();
    if (name == "string" || name == "trim" || name == "safe" || name == "e" || name == "escape") return name == "trim" ? v.trim() : v;
    if (name == "replace" && n.kids.length >= 3) {
      const a = foldString(n.kids[1], depth + 1);
      const b = foldString(n.kids[2], depth + 1);
      if (a === null || b === null || a.length == 0) return null;
      return v.replaceAll(a, b);
    }
    return null;
  }
  if (k == N.CALL && n.kids[0].kind == N.GETATTR) {
    const m = n.kids[0].str;
    const v = foldString(n.kids[0].kids[0], depth + 1);
    if (v === null) return null;
    if (m == "format") {
      const args = new Array<string>();
      for (let i = 1; i < n.kids.length; i++) { const a = foldString(n.kids[i], depth + 1); if (a === null) return null; args.push(a); }
      return braceFormat(v, args);
    }
    if (m == "lower") return v.toLowerCase();
    if (m == "upper") return v.toUpperCase();
    if (m == "strip") return v.trim();
    if (m == "replace" && n.kids.length >= 3) {
      const a = foldString(n.kids[1], depth + 1);
      const b = foldString(n.kids[2], depth + 1);
      if (a === null || b === null || a.length == 0) return null;
      return v.replaceAll(a, b);
    }
    if (m == "join" && n.kids.length == 2) {
      const l = n.kids[1];
      if (l.kind != N.LIST && l.kind != N.TUPLE) return null;
      const parts = new Array<string>();
      for (let i = 0; i < l.kids.length; i++) { const p = foldString(l.kids[i], depth + 1); if (p === null) return null; parts.push(p); }
      return parts.join(v);
    }
    return null;
  }
  if (k == N.GETITEM && n.kids[1].kind == N.SLICE) {
    const v = foldString(n.kids[0], depth + 1);
    const sl = n.kids[1];
    if (v === null) return null;
    if (sl.kids[0].kind == N.EMPTY && sl.kids[1].kind == N.EMPTY && sl.kids[2].kind == N.UNOP && sl.kids[2].str == "-" && sl.kids[2].kids[0].kind == N.NUM && sl.kids[2].kids[0].str == "1") return reverse(v);
    return null;
  }
  return null;
}

// Whether an expression is built from string operations (without being constant).
function producesString(n: Node): bool {
  const k = n.kind;
  if (k == N.STR) return true;
  if (k == N.BINOP && n.str == "~") return true;
  if (k == N.BINOP && (n.str == "+" || n.str == "%")) return producesString(n.kids[0]) || producesString(n.kids[1]);
  if (k == N.FILTER) return n.str == "join" || n.str == "format" || n.str == "reverse" || n.str == "replace" || n.str == "string";
  if (k == N.CALL && n.kids[0].kind == N.GETATTR) { const m = n.kids[0].str; return m == "format" || m == "join" || m == "replace"; }
  return false;
}

function isDigits(s: string): bool {
  if (!s.length || s.length > 6) return false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}

function reverse(s: string): string {
  let r = "";
  for (let i = s.length - 1; i >= 0; i--) r += String.fromCharCode(s.charCodeAt(i));
  return r;
}

function percentFormat(f: string, args: string[]): string {
  let out = "";
  let a = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f.charCodeAt(i);
    if (c == 0x25 && i + 1 < f.length) {
      const d = f.charCodeAt(i + 1);
      if (d == 0x25) { out += "%"; i++; continue; }
      if ((d == 0x73 || d == 0x63 || d == 0x72) && a < args.length) { out += args[a++]; i++; continue; }
    }
    out += String.fromCharCode(c);
  }
  return out;
}

function braceFormat(f: string, args: string[]): string {
  let out = "";
  let a = 0;
  for (let i = 0; i < f.length; i++) {
    const c = f.charCodeAt(i);
    if (c == 0x7b) {
      const e = f.indexOf("}", i);
      if (e > i) {
        const field = f.substring(i + 1, e);
        let idx = a;
        if (field.length) idx = isDigits(field) ? <i32>parseInt(field) : -1;
        else a++;
        if (idx >= 0 && idx < args.length) out += args[idx];
        i = e;
        continue;
      }
    }
    out += String.fromCharCode(c);
  }
  return out;
}

// Audits one template and returns the audit (findings, facts).
export function auditTemplate(key: string, src: string): TemplateAudit {
  return new TemplateAudit(key, src).run();
}
