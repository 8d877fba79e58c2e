// Turns a machine run into a security report: every global with how it is used and its verdict,
// plus findings for structure tricks (frame differentials, expansion, out-of-band buffers, parse
// errors after imports, trailing payloads, nested pickles inside byte arguments).

import { JArr, JObj, JStr, JValue } from "../util/json";
import { Graph, Node, NodeKind, GFlag, NFlag, CallKind } from "./graph";
import { PickleMachine, PickleLimits, Status } from "./machine";
import { PickleError, pickleErrorName } from "./errors";
import { DILL_CREATE_ARRAY, latin1Bytes } from "./fold";
import { classifyGlobal, normalizeName, Severity, severityName, Verdict } from "./policy";

export class GlobalUse {
  module: string = "";
  name: string = "";
  flags: u32 = 0;
  count: i32 = 0;
  firstPos: u64 = 0;
  verdict: Verdict = new Verdict();
}

export class Finding {
  constructor(public severity: i32, public code: string, public message: string, public location: string) {}
  toJson(): JObj {
    const o = new JObj();
    o.setStr("severity", severityName(this.severity));
    o.setStr("code", this.code);
    o.setStr("message", this.message);
    o.setStr("location", this.location);
    return o;
  }
}

export function useNames(f: u32): JArr {
  const a = new JArr();
  if (f & GFlag.OP_GLOBAL) a.push(new JStr("GLOBAL"));
  if (f & GFlag.OP_STACK_GLOBAL) a.push(new JStr("STACK_GLOBAL"));
  if (f & GFlag.OP_INST) a.push(new JStr("INST"));
  if (f & GFlag.OP_EXT) a.push(new JStr("EXT"));
  if (f & GFlag.CALLED) a.push(new JStr("called"));
  if (f & GFlag.DISCARDED) a.push(new JStr("result-discarded"));
  if (f & GFlag.BUILD_TARGET) a.push(new JStr("build-target"));
  if (f & GFlag.MUTATED) a.push(new JStr("mutated"));
  if (f & GFlag.DYNAMIC) a.push(new JStr("computed-name"));
  if (f & GFlag.PY2_STRING) a.push(new JStr("py2-string-operand"));
  if (!(f & (GFlag.CALLED | GFlag.BUILD_TARGET | GFlag.MUTATED))) a.push(new JStr("referenced"));
  return a;
}

// Globals that load another pickle from their arguments.
const NESTED_LOADERS: string[] = [
  "pickle.loads", "pickle.load", "dill.loads", "dill._dill.loads", "torch.storage._load_from_bytes",
  "torch.load", "torch.serialization.load", "joblib.load", "numpy.load", "pandas.read_pickle", "cloudpickle.loads",
];

export class PickleReport {
  globals: Array<GlobalUse> = new Array<GlobalUse>();
  findings: Array<Finding> = new Array<Finding>();
  logicalSize: f64 = 0;
  highest: i32 = Severity.NONE;

  add(f: Finding): void {
    this.findings.push(f);
    if (f.severity > this.highest) this.highest = f.severity;
  }

  globalsJson(): JArr {
    const a = new JArr();
    for (let i = 0; i < this.globals.length; i++) {
      const g = this.globals[i];
      const o = new JObj();
      o.setStr("name", g.verdict.canonical);
      if (normalizeName(g.module, g.name) != g.module + "." + g.name) o.setStr("raw", g.module + "." + g.name);
      o.setStr("severity", severityName(g.verdict.severity));
      o.setStr("reason", g.verdict.reason);
      o.set("uses", useNames(g.flags));
      o.setInt("count", g.count);
      o.setU64("offset", g.firstPos);
      a.push(o);
    }
    return a;
  }
  findingsJson(): JArr {
    const a = new JArr();
    for (let i = 0; i < this.findings.length; i++) a.push(this.findings[i].toJson());
    return a;
  }
}

// Number of values a full (tree) expansion of the graph would hold, saturating at 2^60;
// shared nodes count once per reference, cycles count once.
export function logicalSize(g: Graph): f64 {
  const n = g.count;
  if (n == 0) return 0;
  const size = new Float64Array(n);
  const state = new Uint8Array(n); // 0 new, 1 on path, 2 done
  const stk = new Array<i32>();
  const cursor = new Array<i32>();
  let total: f64 = 0;
  for (let r = 0; r < g.roots.length; r++) {
    const root = g.roots[r];
    if (state[root] == 2) { total += size[root]; continue; }
    stk.push(root); cursor.push(0); state[root] = 1;
    while (stk.length) {
      const id = stk[stk.length - 1];
      const c = cursor[cursor.length - 1];
      const child = childAt(g.at(id), c);
      if (child == -2) {
        let s: f64 = 1;
        const nd = g.at(id);
        for (let k = 0; ; k++) {
          const ch = childAt(nd, k);
          if (ch == -2) break;
          if (ch < 0) continue;
          s += state[ch] == 2 ? size[ch] : 1;
        }
        size[id] = s > 1.15e18 ? 1.15e18 : s;
        state[id] = 2;
        stk.pop(); cursor.pop();
        continue;
      }
      cursor[cursor.length - 1] = c + 1;
      if (child >= 0 && child < n && state[child] == 0) { state[child] = 1; stk.push(child); cursor.push(0); }
    }
    total += size[root];
  }
  return total;
}

// k-th child id of a node (items, vals, appended, callee/args/kwargs, state), -1 for none, -2 past the end.
export function childAt(n: Node, k: i32): i32 {
  const it = n.items;
  const ni = it ? it.length : 0;
  if (k < ni) return it![k];
  k -= ni;
  const vs = n.vals;
  const nv = vs ? vs.length : 0;
  if (k < nv) return vs![k];
  k -= nv;
  const ap = n.appended;
  const na = ap ? ap.length : 0;
  if (k < na) return ap![k];
  k -= na;
  if (k == 0) return n.kind == NodeKind.GLOBAL ? -1 : n.a;
  if (k == 1) return n.kind == NodeKind.GLOBAL ? -1 : n.b;
  if (k == 2) return n.c;
  if (k == 3) return n.state;
  return -2;
}

export function buildReport(m: PickleMachine, view: usize, viewLen: usize, depth: i32): PickleReport {
  const r = new PickleReport();
  const g = m.g;
  const rebuilt = classesRebuiltByCopyreg(g);
  // merge globals by raw name
  for (let i = 0; i < g.globals.length; i++) {
    const n = g.at(g.globals[i]);
    let found: GlobalUse | null = null;
    for (let k = 0; k < r.globals.length; k++) {
      if (r.globals[k].module == n.s && r.globals[k].name == n.s2) { found = r.globals[k]; break; }
    }
    if (!found) {
      found = new GlobalUse();
      found.module = n.s;
      found.name = n.s2;
      found.firstPos = n.pos;
      r.globals.push(found);
    }
    found.flags |= n.gflags;
    if (rebuilt.has(g.globals[i])) found.flags |= GFlag.CALLED;
    found.count++;
  }
  for (let i = 0; i < r.globals.length; i++) {
    const gu = r.globals[i];
    gu.verdict = classifyGlobal(gu.module, gu.name, gu.flags);
  }
  // ultralytics-style full-model pickles: getattr(<known class>, "<plain attribute>") with no other
  // dangerous import around it is not an execution gadget
  let othersHigh = false;
  let getattrAt = -1;
  for (let i = 0; i < r.globals.length; i++) {
    const v = r.globals[i].verdict;
    if (v.canonical == "builtins.getattr") getattrAt = i;
    else if (v.severity >= Severity.HIGH) othersHigh = true;
  }
  if (getattrAt >= 0 && !othersHigh && r.globals[getattrAt].verdict.severity == Severity.CRITICAL && getattrIsLiteral(g)) {
    const v = r.globals[getattrAt].verdict;
    v.severity = Severity.MEDIUM;
    v.reason = "getattr with literal arguments on known, harmless names only";
  }
  // dill's array wrapper is numpy's own reconstruct + __setstate__ when every call passes numpy's
  // _reconstruct (the folder makes each such call a tensor); any other callable keeps it critical
  for (let i = 0; i < r.globals.length; i++) {
    const v = r.globals[i].verdict;
    if (v.canonical == DILL_CREATE_ARRAY && dillArraysAreNumpy(g)) {
      v.severity = Severity.NONE;
      v.reason = "dill's ndarray wrapper around numpy's _reconstruct (read as a tensor)";
    }
  }
  for (let i = 0; i < r.globals.length; i++) {
    const gu = r.globals[i];
    if (gu.verdict.severity >= Severity.LOW) {
      r.add(new Finding(gu.verdict.severity, "pickle-global", gu.verdict.canonical + ": " + gu.verdict.reason, "offset " + gu.firstPos.toString()));
    } else if (gu.verdict.severity > r.highest) r.highest = gu.verdict.severity;
  }
  // calls of computed callables (the result of one call called again)
  let computedCalls = 0;
  for (let i = 0; i < g.count; i++) {
    const n = g.at(i);
    if (n.kind == NodeKind.CALL && g.kindOf(n.a) != NodeKind.GLOBAL) computedCalls++;
  }
  if (computedCalls) r.add(new Finding(Severity.HIGH, "pickle-computed-call", computedCalls.toString() + " call(s) of a value produced by another call (attribute or function obtained at load time)", ""));
  if (m.error) {
    const sev = m.error == PickleError.FRAME ? Severity.CRITICAL : (r.globals.length ? Severity.HIGH : Severity.MEDIUM);
    r.add(new Finding(sev, "pickle-" + pickleErrorName(m.error), m.errorMsg + " (pickle.load would run every import and call before this point)", "offset " + m.errorPos.toString()));
  }
  if (m.oobBuffers) r.add(new Finding(Severity.MEDIUM, "pickle-out-of-band-buffer", "NEXT_BUFFER opcodes: out-of-band buffers are never present in files", ""));
  if (m.streams > 1) r.add(new Finding(Severity.INFO, "pickle-stacked", m.streams.toString() + " pickles in one stream", ""));
  for (let i = 0; i < m.notes.length && i < 20; i++) r.add(new Finding(Severity.LOW, "pickle-anomaly", m.notes[i], ""));
  // expansion
  // Expansion needs many shared references (memo GETs, DUPs) relative to the objects built;
  // ordinary pickles (a state dict has about one GET per tensor) skip the walk.
  r.logicalSize = (m.gets + m.dups) * 2 > <u64>g.count ? logicalSize(g) : <f64>g.count;
  if (r.logicalSize > 1e6 && r.logicalSize > <f64>g.count * 1000) {
    r.add(new Finding(Severity.HIGH, "pickle-expansion", "shared references expand to about " + r.logicalSize.toString() + " values from " + g.count.toString() + " objects (memo/DUP bomb)", ""));
  }
  // nested pickles in byte arguments of loaders
  if (depth < 3) {
    for (let i = 0; i < g.count; i++) {
      const n = g.at(i);
      if (n.kind != NodeKind.CALL) continue;
      const cn = g.kindOf(n.a) == NodeKind.GLOBAL ? normalizeName(g.at(n.a).s, g.at(n.a).s2) : "";
      if (!NESTED_LOADERS.includes(cn)) continue;
      const args = g.seq(n.b);
      if (!args || args.length == 0) continue;
      let b = g.at(args[0]);
      let latin: Uint8Array | null = null;
      if (b.kind == NodeKind.CALL && g.calleeName(args[0]) == "_codecs.encode") {
        // protocol-2 bytes: _codecs.encode(latin-1 text, 'latin1')
        const ea = g.seq(b.b);
        if (ea && ea.length >= 1 && g.kindOf(ea[0]) == NodeKind.STR) latin = latin1Bytes(g.at(ea[0]));
        if (!latin) continue;
      } else if (b.kind != NodeKind.BYTES && b.kind != NodeKind.PYSTR && b.kind != NodeKind.BYTEARRAY) continue;
      let ptr: usize = 0;
      let len: usize = 0;
      if (latin) { ptr = latin.dataStart; len = <usize>latin.length; }
      else if (b.data) { ptr = b.data!.dataStart; len = <usize>b.data!.length; }
      else if (view && b.off + b.len <= <u64>viewLen) { ptr = view + <usize>b.off; len = <usize>b.len; }
      if (!ptr) continue;
      const inner = new PickleMachine(m.limits);
      inner.total = <u64>len;
      let off: usize = 0;
      while (off < len || inner.streams == 0) {
        const st = inner.feed(ptr + off, len - off, true);
        off += inner.consumed;
        if (st != Status.STOP || off >= len) break;
      }
      const sub = buildReport(inner, 0, 0, depth + 1);
      r.add(new Finding(Severity.CRITICAL, "pickle-nested", cn + " loads a nested pickle of " + len.toString() + " bytes", "offset " + b.off.toString()));
      for (let k = 0; k < sub.findings.length; k++) {
        const f = sub.findings[k];
        r.add(new Finding(f.severity, f.code, "nested: " + f.message, f.location));
      }
    }
  }
  return r;
}

// True when every call of builtins.getattr in the graph is getattr(<global>, "<attr>") where the
// global is not itself dangerous and the attribute is a plain public name. Anything else (a
// computed object, a dunder, a dangerous target) keeps getattr critical.
function getattrIsLiteral(g: Graph): bool {
  let calls = 0;
  for (let i = 0; i < g.count; i++) {
    const n = g.at(i);
    if (n.kind != NodeKind.CALL || g.kindOf(n.a) != NodeKind.GLOBAL) continue;
    const cal = g.at(n.a);
    if (normalizeName(cal.s, cal.s2) != "builtins.getattr") continue;
    calls++;
    const args = g.seq(n.b);
    if (!args || args.length != 2) return false;
    if (g.kindOf(args[0]) != NodeKind.GLOBAL) return false;
    const target = g.at(args[0]);
    const tv = classifyGlobal(target.s, target.s2, target.gflags & ~(GFlag.CALLED | GFlag.DISCARDED));
    if (tv.severity >= Severity.HIGH) return false;
    const attr = g.text(args[1]);
    if (attr === null || attr.length == 0 || attr.startsWith("_") || attr.indexOf(".") >= 0) return false;
    const probe = classifyGlobal("x", attr, 0);
    if (probe.severity == Severity.CRITICAL) return false;
  }
  // every getattr node must also be used only as a callee (not passed around as a value)
  return calls > 0;
}

// True when dill._dill._create_array is only ever called, each time as
// _create_array(numpy._core.multiarray._reconstruct, (...), state[, npdict]) - never passed around
// as a value or called with anything else.
function dillArraysAreNumpy(g: Graph): bool {
  let calls = 0;
  let refs = 0;
  for (let i = 0; i < g.globals.length; i++) {
    const n = g.at(g.globals[i]);
    if (normalizeName(n.s, n.s2) != DILL_CREATE_ARRAY) continue;
    if ((n.gflags & (GFlag.BUILD_TARGET | GFlag.MUTATED | GFlag.DYNAMIC)) != 0) return false;
    refs++;
  }
  for (let i = 0; i < g.count; i++) {
    const n = g.at(i);
    if (n.kind != NodeKind.CALL || g.kindOf(n.a) != NodeKind.GLOBAL) continue;
    const cal = g.at(n.a);
    if (normalizeName(cal.s, cal.s2) != DILL_CREATE_ARRAY) continue;
    calls++;
    const args = g.seq(n.b);
    if (!args || args.length < 3 || args.length > 4 || g.kindOf(args[0]) != NodeKind.GLOBAL) return false;
    const f = g.at(args[0]);
    if (normalizeName(f.s, f.s2) != "numpy._core.multiarray._reconstruct") return false;
    if (g.kindOf(args[1]) != NodeKind.TUPLE) return false;
  }
    return calls > 0 && refs > 0 && !dillCreateArrayEscapes(g);
}

// The wrapper used as a value (inside a container or as an argument) rather than as a callee.
function dillCreateArrayEscapes(g: Graph): bool {
  for (let i = 0; i < g.count; i++) {
    const n = g.at(i);
    for (let k = 0; ; k++) {
      const ch = childAt(n, k);
      if (ch == -2) break;
      if (ch < 0 || g.kindOf(ch) != NodeKind.GLOBAL) continue;
      const gl = g.at(ch);
      if (normalizeName(gl.s, gl.s2) != DILL_CREATE_ARRAY) continue;
      // the callee slot of a CALL is childAt(.., items+vals+appended) == n.a
      if (n.kind == NodeKind.CALL && ch == n.a) continue;
      return true;
    }
  }
  return false;
}

// Callables that construct or call a class or function passed as an argument: copyreg's
// _reconstructor(cls, base, state) (protocols 0-1), __newobj__(cls, *args) and
// __newobj_ex__(cls, args, kwargs); torch's _rebuild_from_type_v2(func, new_type, args, state) and
// _rebuild_wrapper_subclass(cls, ...); numpy's _reconstruct(subtype, ...) and its random-state
// constructors. The argument is not the callee, yet it is constructed (and then BUILT) just like a
// NEWOBJ callee, so it is judged as called.
const CONSTRUCTS_ARGUMENT: string[] = [
  "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "torch._tensor._rebuild_from_type_v2",
  "torch._utils._rebuild_wrapper_subclass", "numpy._core.multiarray._reconstruct", "numpy.random._pickle.__bit_generator_ctor",
  "numpy.random._pickle.__generator_ctor", "numpy.random._pickle.__randomstate_ctor",
];

function classesRebuiltByCopyreg(g: Graph): Set<i32> {
  const out = new Set<i32>();
  for (let i = 0; i < g.count; i++) {
    const n = g.at(i);
    if (n.kind != NodeKind.CALL || g.kindOf(n.a) != NodeKind.GLOBAL) continue;
    const cal = g.at(n.a);
    const cn = normalizeName(cal.s, cal.s2);
    if (!CONSTRUCTS_ARGUMENT.includes(cn)) continue;
    const args = g.seq(n.b);
    if (!args) continue;
    const upto = cn == "torch._tensor._rebuild_from_type_v2" ? 2 : 1;
    for (let k = 0; k < upto && k < args.length; k++) if (g.kindOf(args[k]) == NodeKind.GLOBAL) out.add(args[k]);
  }
  return out;
}
