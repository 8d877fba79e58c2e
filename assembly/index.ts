// The core's ABI: the only exports of omnimodel.wasm. Documented in bindings/ABI.md; any change
// here changes that page and, for incompatible changes, ABI_VERSION's major number.
//
// Conventions: pointers and lengths are u32 (hosts treat them as unsigned); file offsets and
// sizes are f64 holding integers below 2^53; no exceptions cross the boundary: errors are codes.

import { E_BAD_ARGUMENT, E_BAD_DTYPE, E_NOT_FOUND, E_UNKNOWN_FORMAT, E_UNREADABLE, E_UNSUPPORTED, errorName } from "./core/errors";
import { CODEC_NONE, Plan, Segment, Tensor } from "./core/model";
import { dtypeByteLength, dtypeFromName, DT_BF16, DT_F16, DT_F32, DT_KEEP, DT_U8 } from "./core/dtype";
import { DoneJob } from "./jobs/done-job";
import { planGGUF } from "./writers/gguf-plan";
import { Edits, parseEdits } from "./writers/gguf-edits";
import { quantizeGGML } from "./kernels/quantize/index";
import { planSafetensors } from "./writers/safetensors-plan";
import { npyHeader } from "./writers/npy-header";
import { Job, S_ERROR } from "./jobs/job";
import { IndexJob } from "./jobs/index-job";
import { ReadJob } from "./jobs/read-job";
import { ChildSniff } from "./formats/archive/children";
import { StringsJob } from "./jobs/strings-job";
import { ArrayJob, findMetadataArray } from "./jobs/array-job";
import { JArr, JKind, JObj, JsonParser } from "./util/json";
import { chooseEntry } from "./core/entry";
import { impactOf, loaderFor } from "./core/impact";
import { ByteBuf } from "./util/bytes";
import { convertToF32 } from "./kernels/convert";

const ABI_VERSION: u32 = 0x00010000;
const MAX_ALLOC: usize = 1 << 30;

const jobs = new Array<Job | null>();
const scratch = new ByteBuf();

function toU64(x: f64): u64 {
  if (!(x >= 0) || x > 9007199254740991) return u64.MAX_VALUE;
  return <u64>x;
}

function job(h: i32): Job | null {
  if (h <= 0 || h > jobs.length) return null;
  return jobs[h - 1];
}

function addJob(j: Job): i32 {
  for (let i = 0; i < jobs.length; i++) {
    if (jobs[i] === null) { jobs[i] = j; return i + 1; }
  }
  jobs.push(j);
  return jobs.length;
}

export function abi_version(): u32 { return ABI_VERSION; }

// bit 0: built with SIMD128.
export function features(): u32 { return 1; }

// Memory the host may write into (e.g. bytes for kernels). 0 when refused; never traps.
export function alloc(size: usize): usize {
  if (size == 0 || size > MAX_ALLOC) return 0;
  // The allocator traps when memory cannot grow: refuse requests that might need memory beyond
  // the 4 GiB of wasm32 (conservative: free blocks inside the heap are not counted).
  const used = <u64>memory.size() << 16;
  if (used + <u64>size + (1 << 20) > (<u64>1 << 32)) return 0;
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  if (ptr) heap.free(ptr);
}

// ---- index jobs ----

// Starts indexing a model whose main file has `size` bytes. Returns a job handle (> 0).
export function index_open(size: f64): i32 {
  const s = toU64(size);
  if (s == u64.MAX_VALUE) return -E_BAD_ARGUMENT;
  return addJob(new IndexJob(s));
}

// The main file's name (base name): used for findings and to tell split-file siblings apart.
export function job_set_name(h: i32, ptr: usize, len: u32): i32 {
  const j = job(h);
  if (!j || !(j instanceof IndexJob)) return E_BAD_ARGUMENT;
  (<IndexJob>j).ctx.name = String.UTF8.decodeUnsafe(ptr, len, false);
  (<IndexJob>j).reader.sources[0].name = (<IndexJob>j).ctx.name;
  return 0;
}

// Options as a JSON object (see ABI.md), set before the first run.
export function job_set_options(h: i32, ptr: usize, len: u32): i32 {
  const j = job(h);
  if (!j || !(j instanceof IndexJob)) return E_BAD_ARGUMENT;
  const v = new JsonParser().parse(ptr, len);
  if (!v || v.kind != JKind.OBJ) return E_BAD_ARGUMENT;
  (<IndexJob>j).ctx.options = <JObj>v;
  return 0;
}

// ---- read jobs ----

// Starts reading tensor `tensor` (its position in the index) of a finished index job, converted
// to dtype code `dtype` (0 = as stored). Errors surface on the first job_run.
export function read_open(indexHandle: i32, tensor: i32, dtype: i32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob)) return -E_BAD_ARGUMENT;
  const ij = <IndexJob>j;
  if (!ij.finished) return -E_BAD_ARGUMENT;
  const ts = ij.index.tensors;
  if (tensor < 0 || tensor >= ts.length) return -E_NOT_FOUND;
  const t = ts[tensor];
  const plan = t.plan;
  if (!plan) return -E_NOT_FOUND;
  const rj = new ReadJob(t, plan, dtype);
  rj.check();
  return addJob(rj);
}

// Starts reading the bytes of child `child` (its position in the index's children) of a finished
// index job: a read job whose result is the member's content (COPY when stored, OUTPUT when it
// must be decompressed). Hosts open the result as a model of its own.
export function child_open(indexHandle: i32, child: i32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob) || !(<IndexJob>j).finished) return -E_BAD_ARGUMENT;
  const cs = (<IndexJob>j).index.children;
  if (child < 0 || child >= cs.length) return -E_NOT_FOUND;
  const c = cs[child];
  if (!c.readable) return -(c.refusal ? c.refusal : E_UNREADABLE);
  if (c.sniffed && c.format === null) return -E_UNKNOWN_FORMAT;
  const plan = new Plan();
  plan.storage = DT_U8;
  plan.segments.push(c.codec == CODEC_NONE ? Segment.raw(c.source, c.offset, c.size) : Segment.coded(c.source, c.offset, c.length, c.codec, c.skip, c.size));
  const shape = new Array<u64>();
  shape.push(c.size);
  const rj = new ReadJob(new Tensor(c.name, DT_U8, shape, c.size), plan, DT_KEEP);
  // Not sniffed at index time (past the sniffing budget): sniffed from the first window.
  if (c.sniffDeferred && c.codec != CODEC_NONE) rj.headCheck = new ChildSniff(c.name, c.size);
  rj.check();
  return addJob(rj);
}

// Starts reading a tensor of fixed-width strings (dtype STR, e.g. NumPy 'U' and 'S' arrays): the
// outputs, concatenated in job_output_offset order, are per element a u32 little-endian byte
// count and the string's UTF-8 bytes. Errors (not a string tensor, compressed) on the first run.
export function strings_open(indexHandle: i32, tensor: i32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob) || !(<IndexJob>j).finished) return -E_BAD_ARGUMENT;
  const ts = (<IndexJob>j).index.tensors;
  if (tensor < 0 || tensor >= ts.length) return -E_NOT_FOUND;
  const t = ts[tensor];
  const plan = t.plan;
  if (!plan) return -E_NOT_FOUND;
  const sj = new StringsJob(t, plan);
  sj.check();
  return addJob(sj);
}

// Total bytes the read will produce (for sizing the destination).
export function read_output_length(h: i32): f64 {
  const j = job(h);
  if (!j || !(j instanceof ReadJob)) return -1;
  return <f64>(<ReadJob>j).outputLength();
}

// ---- metadata arrays ----

// Streams the elements of metadata array `key` of a finished index job (formats that register
// their arrays: GGUF). Returns a job handle (> 0) whose job_result describes the array as JSON
// {key, type, dtype, length, encoding, byteLength} and whose OUTPUTs are the elements (ABI.md);
// -NOT_FOUND when the key is no streamable array, -UNSUPPORTED for arrays of arrays.
export function metadata_array(indexHandle: i32, keyPtr: usize, keyLen: u32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob)) return -E_BAD_ARGUMENT;
  const ij = <IndexJob>j;
  if (!ij.finished) return -E_BAD_ARGUMENT;
  const key = String.UTF8.decodeUnsafe(keyPtr, keyLen, false);
  const spec = findMetadataArray(ij.ctx, key);
  if (!spec || spec.source != 0) return -E_NOT_FOUND;
  if (spec.dtype < 0) return -E_UNSUPPORTED;
  return addJob(new ArrayJob(spec, ij.reader.size(0), key));
}

// ---- driving any job ----

export function job_run(h: i32): i32 {
  const j = job(h);
  if (!j) return S_ERROR;
  return j.run();
}

export function job_need_source(h: i32): i32 { const j = job(h); return j ? j.needSource : -1; }
export function job_need_offset(h: i32): f64 { const j = job(h); return j ? <f64>j.needOffset : -1; }
export function job_need_length(h: i32): f64 { const j = job(h); return j ? <f64>j.needLength : -1; }
export function job_need_name(h: i32): usize { const j = job(h); return j ? j.nameBuf.ptr : 0; }
export function job_need_name_length(h: i32): u32 { const j = job(h); return j ? <u32>j.nameBuf.len : 0; }

// Where to write `len` bytes answering S_NEED_BYTES (0 = refused: wrong length or no memory).
export function job_feed(h: i32, len: f64): usize {
  const j = job(h);
  if (!j) return 0;
  return j.feedBuffer(toU64(len));
}

// The host wrote `len` bytes at the feed pointer.
export function job_commit(h: i32, len: f64): i32 {
  const j = job(h);
  if (!j) return E_BAD_ARGUMENT;
  return j.commit(toU64(len));
}

// Answers S_NEED_SOURCE: the sibling exists with `size` bytes.
export function job_source_found(h: i32, source: i32, size: f64): i32 {
  const j = job(h);
  if (!j) return E_BAD_ARGUMENT;
  return j.resolveSource(source, toU64(size));
}

// Answers S_NEED_SOURCE: the sibling is missing or refused (`code` an error code, message UTF-8).
export function job_source_failed(h: i32, source: i32, code: i32, ptr: usize, len: u32): i32 {
  const j = job(h);
  if (!j) return E_BAD_ARGUMENT;
  return j.failSource(source, code, String.UTF8.decodeUnsafe(ptr, len, false));
}

export function job_output_ptr(h: i32): usize { const j = job(h); return j ? j.outPtr : 0; }
export function job_output_length(h: i32): u32 { const j = job(h); return j ? <u32>j.outLen : 0; }
export function job_output_offset(h: i32): f64 { const j = job(h); return j ? <f64>j.outOffset : -1; }

// The index JSON (UTF-8) of a finished index job.
export function job_result(h: i32): usize { const j = job(h); return j ? j.result.ptr : 0; }
export function job_result_length(h: i32): u32 { const j = job(h); return j ? <u32>j.result.len : 0; }

export function job_error_code(h: i32): i32 { const j = job(h); return j ? j.errorCode : E_BAD_ARGUMENT; }
export function job_error_offset(h: i32): f64 { const j = job(h); return j ? <f64>j.errorOffset : 0; }
export function job_error_message(h: i32): usize { const j = job(h); return j ? j.errorBuf.ptr : 0; }
export function job_error_message_length(h: i32): u32 { const j = job(h); return j ? <u32>j.errorBuf.len : 0; }

export function job_close(h: i32): void {
  const j = job(h);
  if (!j) return;
  j.dispose();
  jobs[h - 1] = null;
}

// ---- writing ----

// A finished job holding a writer's plan: its JSON description as the result, its header bytes
// as the output (kept alive until the job is closed).
function planJob(description: ByteBuf, header: ByteBuf): i32 {
  const d = new DoneJob();
  d.result.raw(description.ptr, description.len);
  description.dispose();
  d.outPtr = header.ptr;
  d.outLen = header.len;
  d.keep = header;
  return addJob(d);
}

// Plans a conversion of a finished index job to safetensors, as dtype `want` (0 keep, 2 F32,
// 3 F16, 4 BF16). Returns a finished job: job_result = JSON {tensors: [{tensor, name, dtype,
// readAs, byteLength}], skipped, headerLength, totalLength}; job_output_* = the header bytes.
export function convert_plan(indexHandle: i32, want: i32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob) || !(<IndexJob>j).finished) return -E_BAD_ARGUMENT;
  if (want != DT_KEEP && want != DT_F32 && want != DT_F16 && want != DT_BF16) return -E_BAD_ARGUMENT;
  const plan = planSafetensors((<IndexJob>j).index, want);
  return planJob(plan.description, plan.header);
}

// Plans a conversion of a finished index job to GGUF v3: type is a ggml type id (F32, F16, BF16,
// Q8_0, Q4_K, ...) or -1 to keep every tensor's stored type; setFileType writes general.file_type.
// Returns a finished job: job_result = JSON {parts, tensors, skipped, notes, alignment, dataStart,
// totalLength}; job_output_* = the literal header bytes the parts refer to (bindings/ABI.md).
// optsPtr/optsLen: JSON edits and shard selection (writers/gguf-edits.ts), or length 0.
export function gguf_plan(indexHandle: i32, type: i32, setFileType: i32, optsPtr: usize, optsLen: u32): i32 {
  const j = job(indexHandle);
  if (!j || !(j instanceof IndexJob) || !(<IndexJob>j).finished) return -E_BAD_ARGUMENT;
  const index = (<IndexJob>j).index;
  let edits = new Edits();
  if (optsLen > 0) {
    const v = new JsonParser().parse(optsPtr, optsLen);
    if (!v || v.kind != JKind.OBJ) return -E_BAD_ARGUMENT;
    edits = parseEdits(<JObj>v, index.ggufKvTypes);
  }
  const plan = planGGUF(index, type, setFileType != 0, edits);
  if (plan.error.length) {
    const d = new DoneJob();
    d.status = S_ERROR;
    d.errorCode = E_BAD_ARGUMENT;
    d.errorBuf.str(plan.error);
    return addJob(d);
  }
  return planJob(plan.description, plan.header);
}

// n f32 at src -> ggml type `type` at dst (ggml_row_size bytes), bit for bit ggml's reference
// quantizers. Returns 0, -1 (type not writable) or -2 (n not a whole number of blocks).
export function quantize_rows(type: i32, src: usize, n: u32, dst: usize): i32 {
  return quantizeGGML(type, src, <usize>n, dst, true);
}

// The .npy header for writing `n` dims (u64 LE at shapePtr) of dtype `dtype`: a finished job
// with the header at job_output_*, or -BAD_DTYPE when NumPy has no such type.
export function npy_header(dtype: i32, shapePtr: usize, n: u32): i32 {
  if (n > 64) return -E_BAD_ARGUMENT;
  const shape = new Array<u64>();
  for (let i: u32 = 0; i < n; i++) shape.push(load<u64>(shapePtr + (<usize>i << 3)));
  const d = new DoneJob();
  const buf = new ByteBuf();
  if (!npyHeader(dtype, shape, buf)) { buf.dispose(); return -E_BAD_DTYPE; }
  d.outPtr = buf.ptr;
  d.outLen = buf.len;
  d.keep = buf;
  return addJob(d);
}

// ---- directories ----

// Given a JSON array of the relative paths in a directory, the position of the model's entry
// file (the one to open; the others are its siblings), or -1.
export function choose_entry(ptr: usize, len: u32): i32 {
  const v = new JsonParser().parse(ptr, len);
  if (!v || v.kind != JKind.ARR) return -E_BAD_ARGUMENT;
  const a = <JArr>v;
  const paths = new Array<string>();
  for (let i = 0; i < a.length; i++) {
    const s = a.at(i).asStr();
    paths.push(s !== null ? s : "");
  }
  return chooseEntry(paths);
}

// ---- names and kernels ----

// The stable name of an error code, written to a scratch buffer (valid until the next call).
export function error_name(code: i32): usize {
  scratch.clear();
  scratch.str(errorName(code));
  return scratch.ptr;
}
export function error_name_length(): u32 { return <u32>scratch.len; }

// Length of the text the last finding_impact / format_loader call wrote.
export function scratch_length(): u32 { return <u32>scratch.len; }

// The plain sentence of a finding (severity 1..5, code, message) for a file of `format`: what
// its usual loader would do. Written to a scratch buffer; length from scratch_length().
export function finding_impact(severity: i32, codePtr: usize, codeLen: u32, msgPtr: usize, msgLen: u32, fmtPtr: usize, fmtLen: u32): usize {
  const code = String.UTF8.decodeUnsafe(codePtr, codeLen, false);
  const msg = String.UTF8.decodeUnsafe(msgPtr, msgLen, false);
  const fmt = String.UTF8.decodeUnsafe(fmtPtr, fmtLen, false);
  scratch.clear();
  scratch.str(impactOf(severity, code, msg, fmt));
  return scratch.ptr;
}

// The loader a user would normally use for files of `format` (e.g. "torch.load(weights_only=False)").
export function format_loader(ptr: usize, len: u32): usize {
  scratch.clear();
  scratch.str(loaderFor(String.UTF8.decodeUnsafe(ptr, len, false)));
  return scratch.ptr;
}

// dtype code for a name ("F32", "Q4_K", ...), or -1.
export function dtype_code(ptr: usize, len: u32): i32 {
  return dtypeFromName(String.UTF8.decodeUnsafe(ptr, len, false));
}

// Bytes that n elements of dtype occupy, or -1.
export function dtype_byte_length(dtype: i32, n: f64): f64 {
  const b = dtypeByteLength(dtype, toU64(n));
  return b == u64.MAX_VALUE ? -1 : <f64>b;
}

// n elements of dtype at src -> f32 at dst (hosts may run kernels on their own buffers).
export function kernel_to_f32(dtype: i32, src: usize, n: u32, dst: usize): i32 {
  return convertToF32(dtype, src, n, dst);
}


// ---- statistics over f32 windows (min, max, mean, std, NaN/Inf/zero counts, histogram) ----
export { stats_begin, stats_update, stats_result, stats_end } from "./kernels/stats";
