// Between the pickle machine and the index: runs the machine over bytes, turns folded tensors into
// index tensors with read plans (storage slices, strided views as runs of segments), and turns the
// scan report into findings and metadata. Used by the pickle, pytorch, torchscript, joblib and npy
// object-array format modules.

import { Context } from "../core/context";
import { Index, Plan, Segment, Tensor, LAYOUT_C, LAYOUT_FORTRAN, CODEC_NONE, SOURCE_INLINE } from "../core/model";
import { CODEC_LATIN1_UTF8 } from "../containers/latin1";
import { JArr, JInt, JObj, JStr, JUint } from "../util/json";
import { PickleMachine, PickleLimits, Status } from "./machine";
import { pickleErrorName } from "./errors";
import { Folder, FoldResult, FoldedTensor, DataKind, DT_OBJECT, DT_STR, DT_RAW } from "./fold";
import { buildReport, PickleReport } from "./scan";
import { Severity } from "./policy";

// Most runs a strided view may be split into before it is declared unreadable.
const MAX_RUNS: u64 = 65536;

// Runs every stacked pickle in [ptr, ptr+len) (a viewed range). Stops at the first error; when
// maxStreams > 0, stops after that many pickles (the bytes after are not pickles, e.g. legacy torch).
export function runPickles(ptr: usize, len: usize, maxStreams: i32, limits: PickleLimits = new PickleLimits()): PickleMachine {
  // The graph takes about 30 bytes of heap per input byte: reserving it in one growth (capped)
  // spares the allocator many small ones.
  const reserve = len < (8 << 20) ? len * 32 : (256 << 20);
  if (reserve > 0) { const w = heap.alloc(reserve); heap.free(w); }
  const m = new PickleMachine(limits);
  m.total = <u64>len;
  let off: usize = 0;
  while (true) {
    const st = m.feed(ptr + off, len - off, true);
    off += m.consumed;
    if (st == Status.ERROR) break;
    if (m.skipRemaining > 0) { const n = m.skipRemaining; m.skip(n); off += <usize>n; }
    if (st == Status.STOP) {
      if (maxStreams > 0 && m.streams >= maxStreams) break;
      if (off >= len) break;
      continue;
    }
    break;
  }
  return m;
}

export class PickleOutcome {
  machine: PickleMachine;
  fold: FoldResult;
  report: PickleReport;
  stream: Segment | null = null; // where the pickle's own bytes are (for tensors inside it)
  constructor(m: PickleMachine, f: FoldResult, r: PickleReport) { this.machine = m; this.fold = f; this.report = r; }
}

export function foldAndScan(m: PickleMachine, view: usize, viewLen: usize): PickleOutcome {
  const f = new Folder(m.g).run();
  const r = buildReport(m, view, viewLen, 0);
  return new PickleOutcome(m, f, r);
}

// Findings of the scan into the index; `where` prefixes locations (a member name). When the
// member's bytes are stored in place in the file (`stream` raw, in source 0), an "offset N" inside
// it also gets "(file offset M)": the byte a SARIF viewer or a hex editor should show.
export function addFindings(idx: Index, r: PickleReport, where: string, stream: Segment | null = null): void {
  const fileBase: i64 = stream !== null && stream.source == 0 && stream.codec == CODEC_NONE && stream.skip == 0 ? <i64>stream.offset : -1;
  for (let i = 0; i < r.findings.length; i++) {
    const f = r.findings[i];
    let loc = where.length ? (f.location.length ? where + ", " + f.location : where) : f.location;
    if (fileBase >= 0 && where.length && f.location.startsWith("offset ")) {
      const n = I64.parseInt(f.location.substring(7));
      if (n >= 0) loc += " (file offset " + (fileBase + n).toString() + ")";
    }
    idx.addFinding(f.severity, f.code, f.message, loc);
  }
}

// Facts about the run for metadata: streams, protocols, globals with verdicts, parse error.
export function pickleFacts(o: PickleOutcome): JObj {
  const m = o.machine;
  const j = new JObj();
  j.setInt("streams", m.streams);
  const pr = new JArr();
  for (let i = 0; i < m.protocols.length; i++) pr.push(m.protocols[i] < 0 ? new JStr("0-1") : new JInt(m.protocols[i]));
  j.set("protocols", pr);
  j.set("globals", o.report.globalsJson());
  if (m.error) {
    const e = new JObj();
    e.setStr("code", pickleErrorName(m.error));
    e.setStr("message", m.errorMsg);
    e.setU64("offset", m.errorPos);
    j.set("error", e);
  }
  j.setU64("opcodes", m.opcodes);
  j.setInt("objects", m.g.count);
  if (o.fold.truncated) j.setBool("metadataTruncated", true);
  return j;
}

// Narrows a storage segment to [start, start+n) of its content.
export function sliceSegment(base: Segment, start: u64, n: u64): Segment {
  if (base.codec == CODEC_NONE) return Segment.raw(base.source, base.offset + start, n);
  return Segment.coded(base.source, base.offset, base.length, base.codec, base.skip + start, n);
}

function isContiguous(shape: Array<i64>, stride: Array<i64>, fortran: bool): bool {
  let acc: i64 = 1;
  const nd = shape.length;
  for (let k = 0; k < nd; k++) {
    const i = fortran ? k : nd - 1 - k;
    if (shape[i] != 1 && stride[i] != acc) return false;
    acc *= shape[i];
  }
  return true;
}

// A read plan for a strided view of a storage whose content is `base` (storageBytes long).
// Returns the plan, with `unreadable` set when the view is invalid or too fragmented.
export function viewPlan(base: Segment | null, storageBytes: u64, t: FoldedTensor, problems: Array<string>): Plan {
  const p = new Plan();
  p.storage = t.dtype;
  p.bigEndian = t.bigEndian && t.elemBytes > 1;
  if (t.dtype == DT_OBJECT) { p.unreadable = "an object array holds Python objects"; return p; }
  if (t.dtype == DT_STR || t.dtype == DT_RAW) { p.unreadable = "strings and records are not numeric"; return p; }
  if (!base) { p.unreadable = "the tensor's bytes are not stored in the file"; return p; }
  const eb = <u64>t.elemBytes;
  if (eb == 0) { p.unreadable = "unknown element size"; return p; }
  const nd = t.shape.length;
  if (t.stride.length != nd) { p.unreadable = "strides do not match the shape"; problems.push(t.name + ": strides do not match the shape"); return p; }
  let numel: u64 = 1;
  let maxIndex: u64 = 0;
  if (t.offset < 0) { p.unreadable = "negative storage offset"; problems.push(t.name + ": negative storage offset"); return p; }
  for (let i = 0; i < nd; i++) {
    const s = t.shape[i], st = t.stride[i];
    if (s < 0 || st < 0) { p.unreadable = "negative size or stride"; problems.push(t.name + ": negative size or stride"); return p; }
    if (s == 0) { numel = 0; break; }
    if (numel > (<u64>1 << 50) / <u64>s) { p.unreadable = "element count overflows"; problems.push(t.name + ": element count overflows"); return p; }
    numel *= <u64>s;
    if (<u64>st > (<u64>1 << 50) / <u64>s) { p.unreadable = "stride overflows"; problems.push(t.name + ": stride overflows"); return p; }
    maxIndex += <u64>(s - 1) * <u64>st;
  }
  if (numel == 0) return p;
  const first = <u64>t.offset;
  if (first + maxIndex >= (<u64>1 << 50) / eb || (first + maxIndex + 1) * eb > storageBytes) {
    p.unreadable = "the view reaches past the end of its storage";
    problems.push(t.name + ": view of " + numel.toString() + " elements at offset " + first.toString() + " reaches past its storage of " + storageBytes.toString() + " bytes");
    return p;
  }
  if (isContiguous(t.shape, t.stride, false)) { p.segments.push(sliceSegment(base, first * eb, numel * eb)); return p; }
  if (nd > 1 && isContiguous(t.shape, t.stride, true)) {
    p.segments.push(sliceSegment(base, first * eb, numel * eb));
    p.layout = LAYOUT_FORTRAN;
    return p;
  }
  // General strides: C-order runs of the innermost contiguous block.
  let inner = nd;
  let run: u64 = 1;
  while (inner > 0) {
    const i = inner - 1;
    if (t.shape[i] != 1 && <u64>t.stride[i] != run) break;
    run *= <u64>t.shape[i];
    inner--;
  }
  const runs = numel / run;
  if (runs > MAX_RUNS) { p.unreadable = "a non-contiguous view of " + runs.toString() + " pieces"; return p; }
  const idx = new Array<i64>(inner);
  for (let k: u64 = 0; k < runs; k++) {
    let e: u64 = first;
    for (let d = 0; d < inner; d++) e += <u64>idx[d] * <u64>t.stride[d];
    const seg = sliceSegment(base, e * eb, run * eb);
    const n = p.segments.length;
    const last = n ? p.segments[n - 1] : null;
    if (last && last.codec == CODEC_NONE && seg.codec == CODEC_NONE && last.source == seg.source && last.offset + last.length == seg.offset) {
      last.length += seg.length;
      last.take += seg.take;
    } else p.segments.push(seg);
    for (let d = inner - 1; d >= 0; d--) {
      idx[d]++;
      if (idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return p;
}

function u64Shape(t: FoldedTensor): u64[] {
  const s = new Array<u64>(t.shape.length);
  for (let i = 0; i < t.shape.length; i++) s[i] = t.shape[i] < 0 ? 0 : <u64>t.shape[i];
  return s;
}

// Index tensor for a folded tensor with its plan; info carries the pickle-level facts.
export function indexTensor(t: FoldedTensor, plan: Plan): Tensor {
  const shape = u64Shape(t);
  let numel: u64 = 1;
  for (let i = 0; i < shape.length; i++) numel = shape[i] != 0 && numel > u64.MAX_VALUE / shape[i] ? u64.MAX_VALUE : numel * shape[i];
  const bytes = t.dtype == DT_OBJECT || numel == u64.MAX_VALUE ? 0 : numel * <u64>t.elemBytes;
  const out = new Tensor(t.name, t.dtype, shape, bytes);
  if (t.dtype == DT_STR || t.dtype == DT_RAW) out.dtypeText = t.dtypeText;
  out.plan = plan;
  const info = new JObj();
  if (t.dataKind == DataKind.STORAGE) {
    info.setStr("storage_key", t.storageKey);
    info.setInt("storage_offset", t.offset);
    info.setStr("storage_type", t.storageType);
    if (t.location.length) info.setStr("device", t.location);
  }
  const sd = new JArr();
  for (let i = 0; i < t.stride.length; i++) sd.push(new JInt(t.stride[i]));
  info.set("stride", sd);
  if (t.dtypeText.length) info.setStr("dtype_source", t.dtypeText);
  for (let i = 0; i < t.extra.keys.length; i++) info.set(t.extra.keys[i], t.extra.vals[i]);
  out.info = info;
  return out;
}

// Tensors whose bytes are ranges of the pickle stream itself (numpy arrays inside the pickle,
// joblib raw arrays): `stream` maps a stream offset to the file.
export function addStreamTensors(ctx: Context, fr: FoldResult, stream: Segment): void {
  for (let i = 0; i < fr.tensors.length; i++) {
    const t = fr.tensors[i];
    if (t.dataKind == DataKind.STORAGE) continue;
    ctx.index.addTensor(indexTensor(t, streamPlan(t, stream, fr.problems)));
  }
}

// The read plan of a tensor whose bytes are in the pickle stream itself (not a torch storage).
export function streamPlan(t: FoldedTensor, stream: Segment, problems: Array<string>): Plan {
  if (t.dataKind == DataKind.RANGE) return viewPlan(sliceSegment(stream, t.dataOff, t.dataLen), t.dataLen, t, problems);
  if (t.dataKind == DataKind.INLINE && t.inline !== null) {
    // small arrays pickled as text (protocols 0-2): the index decoded the bytes already
    const bytes = t.inline!;
    const plan = viewPlan(Segment.raw(SOURCE_INLINE, 0, <u64>bytes.length), <u64>bytes.length, t, problems);
    plan.inline = bytes;
    return plan;
  }
  if (t.dataKind == DataKind.TEXT && stream.codec == CODEC_NONE) {
    // long latin-1 text: decoded by the read job from the stored UTF-8, streaming
    const bytes = textBytes(t);
    return viewPlan(Segment.coded(stream.source, stream.offset + t.dataOff, t.dataLen, CODEC_LATIN1_UTF8, 0, bytes), bytes, t, problems);
  }
  const plan = new Plan();
  plan.storage = t.dtype;
  if (t.dataKind == DataKind.TEXT) plan.unreadable = "the values are stored as latin-1 text inside a compressed pickle stream, longer than can be decoded at once";
  else if (t.dtype != DT_OBJECT) plan.unreadable = "the tensor's bytes are not in the file";
  if (t.dtype == DT_OBJECT) plan.unreadable = "an object array holds Python objects";
  return plan;
}

// Bytes an array pickled as text holds: one per latin-1 code point, element count x item size.
function textBytes(t: FoldedTensor): u64 {
  let n: u64 = <u64>t.elemBytes;
  for (let i = 0; i < t.shape.length; i++) {
    const d = t.shape[i] < 0 ? 0 : <u64>t.shape[i];
    if (d != 0 && n > (<u64>1 << 50) / d) return <u64>1 << 50;
    n *= d;
  }
  return n;
}

export function worstSeverity(r: PickleReport): i32 { return r.highest; }
export { Severity };
