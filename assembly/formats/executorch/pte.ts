// ExecuTorch programs (.pte): a FlatBuffer whose file identifier at bytes 4..8 is "ET" and two
// digits ("ET12" today), usually followed at byte 8 by the extended header ("eh00", its length,
// the FlatBuffer's size, the offset where segments start and their total size). The Program lists
// execution plans (methods: values, inputs, outputs, instruction chains, operators, delegates)
// and where constant bytes are: the constant segment (slot offsets into one segment), the legacy
// constant_buffer inside the FlatBuffer, mutable data segments (initial states) and named data
// (blobs delegates share). Constant tensors are the index's tensors; delegate blobs are listed
// with a finding: they are code compiled for a backend, opaque to every reader.

import { Context, ST_DONE } from "../../core/context";
import { E_CORRUPT, E_INVALID_HEADER, E_INVALID_OFFSET, E_TRUNCATED, E_UNSUPPORTED } from "../../core/errors";
import { SEV_INFO, SEV_MEDIUM, Tensor } from "../../core/model";
import { FbReader, FbTable, FbVec } from "../../containers/flatbuffers";
import { JArr, JBool, JFloat, JInt, JObj, JStr } from "../../util/json";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NAME_ONLY, SNIFF_NO } from "../format";
import {
  BD_COMPILE_SPECS, BD_ID, BD_PROCESSED, BUF_STORAGE, CH_INSTRUCTIONS, CS_KEY, CS_VALUE, DATA_INLINE, DATA_SEGMENT,
  DR_INDEX, DR_LOCATION, EP_CHAINS, EP_DELEGATES, EP_INPUTS, EP_NAME, EP_NON_CONST_SIZES, EP_OPERATORS, EP_OUTPUTS,
  EP_VALUES, EV_TYPE, EV_VAL, IA_DELEGATE, IA_FREE, IA_JUMP_FALSE, IA_KERNEL, IA_MOVE, IN_ARGS, IN_TYPE, KC_ARGS,
  KC_INDEX, knownBackend, KT_BOOL, KT_DOUBLE, KT_INT, KT_TENSOR, ND_KEY, ND_SEGMENT_INDEX, OP_NAME,
  OP_OVERLOAD, P_CONSTANT_BUFFER, P_CONSTANT_SEGMENT, P_DELEGATE_DATA, P_EXECUTION_PLAN, P_MUTABLE_SEGMENTS,
  P_NAMED_DATA, P_SEGMENTS, P_VERSION,
} from "./schema";
import { readSegments, readSubsegments, readTensorValue, SegmentRef, Storage } from "./tensors";

const HEADER_MAGIC: u32 = 0x30306865; // "eh00"
const HEADER_MIN: u32 = 24; // magic, length, program size, segment base
const HEADER_FULL: u32 = 32; // + segment data size
const MAX_STRING: u32 = 1 << 16;

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

export class ExecuTorchFormat extends FormatModule {
  get id(): string { return "executorch"; }

  sniff(s: Sniff): i32 {
    if (s.size >= 16 && s.startsWith("ET", 4) && isDigit(s.byte(6)) && isDigit(s.byte(7))) {
      const root = <u64>load<u32>(s.head);
      if (root >= 8 && root < s.size) return SNIFF_MAGIC;
    }
    return s.nameEndsWith(".pte") ? SNIFF_NAME_ONLY : SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const size = ctx.size;
    const n = size < <u64>HEADER_FULL + 8 ? size : <u64>HEADER_FULL + 8;
    const head = ctx.view(0, n);
    if (!head && n > 0) return ctx.truncated("the ExecuTorch header", 0);
    if (size < 8 || load<u8>(head + 4) != 0x45 || load<u8>(head + 5) != 0x54 || !isDigit(<i32>load<u8>(head + 6)) || !isDigit(<i32>load<u8>(head + 7))) {
      return ctx.fail(E_INVALID_HEADER, "executorch: the file identifier at bytes 4..8 is not \"ET\" and two digits", 4);
    }
    ctx.index.format = "executorch";
    const ident = String.fromCharCodes([<i32>load<u8>(head + 4), <i32>load<u8>(head + 5), <i32>load<u8>(head + 6), <i32>load<u8>(head + 7)]);
    const meta = ctx.index.metadata;
    meta.setStr("file_identifier", ident);
    ctx.index.formatVersion = ident;

    // The extended header, when present, bounds the FlatBuffer and says where segments start.
    let fbEnd = size;
    let segBase: u64 = 0;
    let hasHeader = false;
    if (size >= 16 && load<u32>(head + 8) == HEADER_MAGIC) {
      const len = load<u32>(head + 12);
      if (len < HEADER_MIN) return ctx.fail(E_INVALID_HEADER, "executorch: the extended header says it is " + len.toString() + " bytes (at least 24)", 12);
      if (size < 8 + <u64>HEADER_MIN) return ctx.truncated("the extended header", 8);
      const progSize = load<u64>(head + 16);
      segBase = load<u64>(head + 24);
      const dataSize: u64 = len >= HEADER_FULL && size >= 8 + <u64>HEADER_FULL ? load<u64>(head + 32) : 0;
      if (progSize < 8 + <u64>len || progSize > size) {
        return ctx.fail(progSize > size ? E_TRUNCATED : E_INVALID_HEADER, "executorch: the extended header gives a program size of " + progSize.toString() + " bytes in a file of " + size.toString(), 16);
      }
      if (segBase != 0 && (segBase < progSize || segBase > size)) {
        return ctx.fail(segBase > size ? E_TRUNCATED : E_INVALID_OFFSET, "executorch: the segment base offset " + segBase.toString() + " is not between the program's end (" + progSize.toString() + ") and the file's (" + size.toString() + ")", 24);
      }
      if (segBase != 0 && dataSize > size - segBase) {
        return ctx.fail(E_TRUNCATED, "executorch: the file ends inside the segment data (" + dataSize.toString() + " bytes from " + segBase.toString() + ", file " + size.toString() + ")", segBase);
      }
      fbEnd = progSize;
      hasHeader = true;
      const eh = new JObj();
      eh.setU64("program_size", progSize);
      eh.setU64("segment_base_offset", segBase);
      if (len >= HEADER_FULL) eh.setU64("segment_data_size", dataSize);
      meta.set("extended_header", eh);
    }

    const r = new FbReader(ctx, 0, 0, fbEnd, "executorch");
    const prog = r.root();
    if (prog === null) return r.status();
    const version = r.u32f(prog, P_VERSION, 0);
    const sv = r.vectorF(prog, P_SEGMENTS, 4);
    if (!r.ok) return r.status();
    const st = new Storage();
    const segs = readSegments(r, sv, segBase, size);
    if (segs === null) return r.status();
    // Without the header there is no segment base: only empty segments (which writers list for
    // programs whose constants are all elsewhere) are possible.
    if (!hasHeader) for (let i = 0; i < segs.length; i++) if (segs[i].size > 0) {
      return ctx.fail(E_CORRUPT, "executorch: the program has " + segs[i].size.toString() + " bytes in segment " + i.toString() + " but no extended header to place its segments", 8);
    }
    st.segments = segs;
    st.constantBuffer = r.vectorF(prog, P_CONSTANT_BUFFER, 4);
    st.constant = readSubsegments(r, r.tableF(prog, P_CONSTANT_SEGMENT), segs, "the constant segment");
    if (!r.ok) return r.status();
    const mv = r.vectorF(prog, P_MUTABLE_SEGMENTS, 4);
    if (mv !== null) for (let i: u32 = 0; i < mv.length; i++) {
      const t = r.tableAt(mv, i);
      if (t === null) return r.status();
      const sub = readSubsegments(r, t, segs, "mutable data segment " + i.toString());
      if (sub === null) return r.status();
      st.mutable.push(sub);
    }
    meta.setInt("schema_version", version);
    meta.setInt("segment_count", segs.length);
    const cst = st.constantBuffer !== null && st.constantBuffer!.length > 0 ? "constant_buffer" : st.constant !== null ? "constant_segment" : "none";
    meta.setStr("constant_storage", cst);

    const named = this.namedData(r, prog, segs);
    if (named === null) return r.status();
    if (named.items.length) meta.set("named_data", named);

    const pv = r.vectorF(prog, P_EXECUTION_PLAN, 4);
    if (!r.ok) return r.status();
    const np: u32 = pv === null ? 0 : pv.length;
    if (np == 0) return ctx.fail(E_UNSUPPORTED, "executorch: the program has no execution plan", prog.pos);
    const dv = r.vectorF(prog, P_DELEGATE_DATA, 4);
    if (!r.ok) return r.status();
    const plans = new JArr();
    const ops = new Array<string>();
    let first: JObj | null = null;
    for (let p: u32 = 0; p < np; p++) {
      const t = r.tableAt(pv!, p);
      if (t === null) return r.status();
      const j = this.plan(ctx, r, t, p, st, dv, ops);
      if (j === null) return r.status();
      plans.push(j.summary);
      if (first === null) first = j.graph;
    }
    meta.set("execution_plans", plans);
    ops.sort();
    const jops = new JArr();
    for (let i = 0; i < ops.length; i++) jops.push(new JStr(ops[i]));
    meta.set("op_types", jops);
    const g = first!;
    meta.set("inputs", g.get("inputs")!);
    meta.set("outputs", g.get("outputs")!);
    if (np > 1) {
      const names = new JArr();
      for (let i = 0; i < plans.items.length; i++) names.push(new JStr((<JObj>plans.items[i]).getStr("name")!));
      g.set("methods", names);
    }
    ctx.index.graph = g;
    return ST_DONE;
  }

  private namedData(r: FbReader, prog: FbTable, segs: SegmentRef[]): JArr | null {
    const a = new JArr();
    const v = r.vectorF(prog, P_NAMED_DATA, 4);
    if (v === null) return r.ok ? a : null;
    for (let i: u32 = 0; i < v.length; i++) {
      const t = r.tableAt(v, i);
      if (t === null) return null;
      const key = r.stringF(t, ND_KEY, MAX_STRING);
      const si = r.u32f(t, ND_SEGMENT_INDEX, 0);
      if (!r.ok) return null;
      if (si >= <u32>segs.length) { r.fail(E_INVALID_OFFSET, "named data \"" + key + "\" names segment " + si.toString() + " of " + segs.length.toString(), t.pos); return null; }
      const o = new JObj();
      o.setStr("key", key);
      o.setInt("segment", si);
      o.setU64("offset", segs[si].offset);
      o.setU64("size", segs[si].size);
      a.push(o);
    }
    return a;
  }

  private plan(ctx: Context, r: FbReader, t: FbTable, p: u32, st: Storage, dv: FbVec | null, ops: string[]): PlanJson | null {
    const name = r.stringF(t, EP_NAME, MAX_STRING);
    const vv = r.vectorF(t, EP_VALUES, 4);
    if (!r.ok) return null;
    const prefix = (name.length ? name : "plan_" + p.toString()) + "/";
    const nv: u32 = vv === null ? 0 : vv.length;
    // Per value: its name, kind, whether it holds bytes before the plan runs, its description.
    const names = new Array<string>();
    const kinds = new Array<i32>();
    const defined = new Array<bool>();
    const described = new Array<JObj | null>();
    const literal = new Array<JObj | null>();
    for (let i: u32 = 0; i < nv; i++) {
      const ev = r.tableAt(vv!, i);
      if (ev === null) return null;
      const kind = <i32>r.u8f(ev, EV_TYPE, 0);
      if (!r.ok) return null;
      let nm = prefix + "value_" + i.toString();
      let desc: JObj | null = null;
      let isConst = false;
      let lit: JObj | null = null;
      if (kind == KT_TENSOR) {
        const tt = r.tableF(ev, EV_VAL);
        if (tt === null) { if (r.ok) r.fail(E_CORRUPT, "value " + i.toString() + " of plan \"" + name + "\" is a tensor with no table", ev.pos); return null; }
        const facts = readTensorValue(r, tt, st, nm, i);
        if (facts === null) return null;
        const fq = facts.json.getStr("fully_qualified_name");
        if (fq !== null && fq.length) {
          nm = prefix + fq;
          facts.json.setStr("name", nm);
          if (facts.tensor !== null) facts.tensor!.name = nm;
        }
        desc = facts.json;
        isConst = facts.constant;
        if (facts.tensor !== null) {
          for (let k = 0; k < ctx.index.tensors.length; k++) if (ctx.index.tensors[k].name == nm) { nm = nm + "#" + i.toString(); facts.tensor!.name = nm; facts.json.setStr("name", nm); break; }
          ctx.index.tensors.push(<Tensor>facts.tensor);
        }
      } else if (kind == KT_INT || kind == KT_BOOL || kind == KT_DOUBLE) {
        const lt = r.tableF(ev, EV_VAL);
        if (!r.ok) return null;
        lit = new JObj();
        if (lt !== null) {
          if (kind == KT_INT) lit.set("value", new JInt(r.i64f(lt, 0, 0)));
          else if (kind == KT_BOOL) lit.set("value", new JBool(r.boolf(lt, 0)));
          else lit.set("value", new JFloat(r.f64f(lt, 0, 0)));
          if (!r.ok) return null;
        }
      }
      names.push(nm);
      kinds.push(kind);
      defined.push(isConst);
      described.push(desc);
      literal.push(lit);
    }

    const ins = this.valueList(r, t, EP_INPUTS, names, described, "an input", name);
    if (ins === null) return null;
    for (let i = 0; i < ins.idx.length; i++) defined[ins.idx[i]] = true;
    const outs = this.valueList(r, t, EP_OUTPUTS, names, described, "an output", name);
    if (outs === null) return null;

    // Operators and delegates of this plan.
    const opNames = new Array<string>();
    const ov = r.vectorF(t, EP_OPERATORS, 4);
    if (!r.ok) return null;
    if (ov !== null) for (let i: u32 = 0; i < ov.length; i++) {
      const o = r.tableAt(ov, i);
      if (o === null) return null;
      const n = r.stringF(o, OP_NAME, MAX_STRING);
      const ol = r.stringF(o, OP_OVERLOAD, MAX_STRING);
      if (!r.ok) return null;
      opNames.push(ol.length ? n + "." + ol : n);
    }
    const delegates = new JArr();
    const delegateIds = new Array<string>();
    const bv = r.vectorF(t, EP_DELEGATES, 4);
    if (!r.ok) return null;
    if (bv !== null) for (let i: u32 = 0; i < bv.length; i++) {
      const d = r.tableAt(bv, i);
      if (d === null) return null;
      const dj = this.delegate(ctx, r, d, i, st, dv, name);
      if (dj === null) return null;
      delegates.push(dj);
      delegateIds.push(dj.getStr("id")!);
    }

    // Instructions, as graph nodes. A tensor argument that holds no bytes yet (not an input, not a
    // constant, not written by an earlier instruction) is what the instruction writes: ExecuTorch
    // passes outputs as arguments (the out= variants), so that is how data flows.
    const nodes = new JArr();
    const cv = r.vectorF(t, EP_CHAINS, 4);
    if (!r.ok) return null;
    let instructions = 0;
    if (cv !== null) for (let c: u32 = 0; c < cv.length; c++) {
      const ch = r.tableAt(cv, c);
      if (ch === null) return null;
      const iv = r.vectorF(ch, CH_INSTRUCTIONS, 4);
      if (!r.ok) return null;
      if (iv !== null) for (let k: u32 = 0; k < iv.length; k++) {
        const it = r.tableAt(iv, k);
        if (it === null) return null;
        const node = this.instruction(r, it, names, kinds, defined, literal, opNames, delegateIds, ops, name);
        if (node === null) return null;
        if (cv.length > 1) node.setInt("chain", c);
        nodes.push(node);
        instructions++;
      }
    }

    const summary = new JObj();
    summary.setStr("name", name);
    summary.setInt("value_count", nv);
    summary.setInt("instruction_count", instructions);
    summary.set("inputs", ins.json);
    summary.set("outputs", outs.json);
    const jo = new JArr();
    for (let i = 0; i < opNames.length; i++) jo.push(new JStr(opNames[i]));
    summary.set("operators", jo);
    if (delegates.items.length) summary.set("delegates", delegates);
    const nc = r.vectorF(t, EP_NON_CONST_SIZES, 8);
    if (!r.ok) return null;
    if (nc !== null && nc.length <= 64) {
      const a = new JArr();
      for (let i: u32 = 0; i < nc.length; i++) a.push(new JInt(r.i64At(nc, i)));
      summary.set("non_const_buffer_sizes", a);
    }
    const graph = new JObj();
    graph.setStr("name", name);
    graph.set("nodes", nodes);
    graph.set("inputs", ins.json);
    graph.set("outputs", outs.json);
    if (delegates.items.length) graph.set("delegates", delegates);
    const out = new PlanJson();
    out.summary = summary;
    out.graph = graph;
    return out;
  }

  private valueList(r: FbReader, t: FbTable, id: i32, names: string[], described: (JObj | null)[], what: string, plan: string): ValueList | null {
    const out = new ValueList();
    const v = r.vectorF(t, id, 4);
    if (v === null) return r.ok ? out : null;
    for (let i: u32 = 0; i < v.length; i++) {
      const k = r.i32At(v, i);
      if (!r.ok) return null;
      if (k < 0 || k >= names.length) { r.fail(E_INVALID_OFFSET, what + " of plan \"" + plan + "\" names value " + k.toString() + " of " + names.length.toString(), t.pos); return null; }
      out.idx.push(k);
      const d = described[k];
      if (d !== null) out.json.push(d);
      else { const o = new JObj(); o.setStr("name", names[k]); out.json.push(o); }
    }
    return out;
  }

  private instruction(r: FbReader, it: FbTable, names: string[], kinds: i32[], defined: bool[], literal: (JObj | null)[], opNames: string[], delegateIds: string[], ops: string[], plan: string): JObj | null {
    const type = <i32>r.u8f(it, IN_TYPE, 0);
    const a = r.tableF(it, IN_ARGS);
    if (!r.ok) return null;
    const o = new JObj();
    if (a === null) { o.setStr("op_type", "none"); return o; }
    if (type == IA_KERNEL || type == IA_DELEGATE) {
      const idx = r.i32f(a, KC_INDEX, 0);
      const av = r.vectorF(a, KC_ARGS, 4);
      if (!r.ok) return null;
      let op: string;
      if (type == IA_KERNEL) {
        if (idx < 0 || idx >= opNames.length) { r.fail(E_INVALID_OFFSET, "an instruction of plan \"" + plan + "\" calls operator " + idx.toString() + " of " + opNames.length.toString(), it.pos); return null; }
        op = opNames[idx];
      } else {
        if (idx < 0 || idx >= delegateIds.length) { r.fail(E_INVALID_OFFSET, "an instruction of plan \"" + plan + "\" calls delegate " + idx.toString() + " of " + delegateIds.length.toString(), it.pos); return null; }
        op = "delegate:" + delegateIds[idx];
        o.setInt("delegate", idx);
      }
      if (!ops.includes(op)) ops.push(op);
      o.setStr("op_type", op);
      const ins = new JArr();
      const outs = new JArr();
      const attrs = new JArr();
      const n: u32 = av === null ? 0 : av.length;
      for (let i: u32 = 0; i < n; i++) {
        const k = r.i32At(av!, i);
        if (!r.ok) return null;
        if (k < 0 || k >= names.length) { r.fail(E_INVALID_OFFSET, op + " in plan \"" + plan + "\" names value " + k.toString() + " of " + names.length.toString(), it.pos); return null; }
        if (kinds[k] == KT_TENSOR) {
          const nm = new JStr(names[k]);
          if (defined[k]) { if (!has(outs, names[k])) ins.push(nm); }
          else { defined[k] = true; outs.push(nm); }
        } else if (literal[k] !== null) {
          const l = literal[k]!;
          const v = l.get("value");
          if (v !== null && attrs.items.length < 64) attrs.push(v);
        }
      }
      o.set("inputs", ins);
      o.set("outputs", outs);
      if (attrs.items.length) o.set("attributes", attrs);
      o.setInt("arg_count", n);
      return o;
    }
    if (type == IA_MOVE) o.setStr("op_type", "move");
    else if (type == IA_JUMP_FALSE) o.setStr("op_type", "jump_false");
    else if (type == IA_FREE) o.setStr("op_type", "free");
    else o.setStr("op_type", "instruction_" + type.toString());
    return o;
  }

  private delegate(ctx: Context, r: FbReader, d: FbTable, i: u32, st: Storage, dv: FbVec | null, plan: string): JObj | null {
    const id = r.stringF(d, BD_ID, MAX_STRING);
    const ref = r.tableF(d, BD_PROCESSED);
    if (!r.ok) return null;
    const o = new JObj();
    o.setStr("id", id);
    let offset: u64 = 0;
    let bytes: u64 = 0;
    if (ref !== null) {
      const loc = <i32>r.u8f(ref, DR_LOCATION, 0);
      const idx = r.u32f(ref, DR_INDEX, 0);
      if (!r.ok) return null;
      if (loc == DATA_INLINE) {
        const count: u32 = dv === null ? 0 : dv.length;
        if (idx >= count) { r.fail(E_INVALID_OFFSET, "delegate \"" + id + "\" names inline data " + idx.toString() + " of " + count.toString(), ref.pos); return null; }
        const bt = r.tableAt(dv!, idx);
        if (bt === null) return null;
        const data = r.vectorF(bt, BUF_STORAGE, 1);
        if (!r.ok) return null;
        o.setStr("location", "inline");
        if (data !== null) { offset = data.pos; bytes = <u64>data.length; }
      } else if (loc == DATA_SEGMENT) {
        if (idx >= <u32>st.segments.length) { r.fail(E_INVALID_OFFSET, "delegate \"" + id + "\" names segment " + idx.toString() + " of " + st.segments.length.toString(), ref.pos); return null; }
        o.setStr("location", "segment");
        o.setInt("segment", idx);
        offset = st.segments[idx].offset;
        bytes = st.segments[idx].size;
      } else { r.fail(E_CORRUPT, "delegate \"" + id + "\" has data location " + loc.toString(), ref.pos); return null; }
      o.setU64("offset", offset);
      o.setU64("size", bytes);
    }
    const specs = new JArr();
    const cs = r.vectorF(d, BD_COMPILE_SPECS, 4);
    if (!r.ok) return null;
    if (cs !== null) for (let k: u32 = 0; k < cs.length && k < 256; k++) {
      const c = r.tableAt(cs, k);
      if (c === null) return null;
      const key = r.stringF(c, CS_KEY, MAX_STRING);
      const val = r.vectorF(c, CS_VALUE, 1);
      if (!r.ok) return null;
      const e = new JObj();
      e.setStr("key", key);
      e.setInt("value_bytes", val === null ? 0 : val.length);
      specs.push(e);
    }
    if (specs.items.length) o.set("compile_specs", specs);
    const where = plan + "/delegate_" + i.toString();
    if (knownBackend(id)) {
      ctx.index.addFinding(SEV_INFO, "executorch-delegate", "Method \"" + plan + "\" hands part of its graph to the " + id + " backend as a " + bytes.toString() + "-byte compiled blob, which only that backend's runtime reads.", where);
    } else {
      ctx.index.addFinding(SEV_MEDIUM, "executorch-unknown-delegate", "Method \"" + plan + "\" hands part of its graph to the backend \"" + id + "\", which ExecuTorch does not ship: running it needs native code the application registers, fed a " + bytes.toString() + "-byte blob no reader can check.", where);
    }
    return o;
  }
}

class PlanJson {
  summary: JObj = new JObj();
  graph: JObj = new JObj();
}

class ValueList {
  idx: i32[] = [];
  json: JArr = new JArr();
}

function has(a: JArr, s: string): bool {
  for (let i = 0; i < a.items.length; i++) if ((<JStr>a.items[i]).value == s) return true;
  return false;
}

