// The index every format produces (DESIGN.md §3) and the per-tensor read plans behind it.

import { ByteBuf } from "../util/bytes";
import { JArr, JObj, JStr, JUint, JValue, writeJson, writeJsonString } from "../util/json";
import { dtypeName } from "./dtype";
import { impactOf } from "./impact";

// Byte codecs a segment's bytes may be wrapped in.
export const CODEC_NONE: i32 = 0;
export const CODEC_DEFLATE: i32 = 1; // raw deflate (zip members)
export const CODEC_ZLIB: i32 = 2;
export const CODEC_GZIP: i32 = 3;
// Decoded whole, not streamed (containers/whole.ts): the compressed range is read at once.
export const CODEC_XZ: i32 = 4;
export const CODEC_LZMA: i32 = 5;
export const CODEC_BZ2: i32 = 6;
export const CODEC_LZ4: i32 = 7;
// 8: latin-1 text stored as UTF-8 (containers/latin1.ts); 64+: protobuf values (protobuf/values.ts)

// A segment of this source is a range of the plan's `inline` bytes, which the index decoded
// itself (bytes pickled as escaped text); the read job stages them without asking the host.
export const SOURCE_INLINE: i32 = -1;

// A run of stored bytes: `length` bytes at `offset` of source `source`; when a codec is set, those
// bytes are decoded and the decoded bytes [skip, skip+take) are the segment's content.
export class Segment {
  source: i32 = 0;
  offset: u64 = 0;
  length: u64 = 0;
  codec: i32 = CODEC_NONE;
  skip: u64 = 0;
  take: u64 = 0;

  static raw(source: i32, offset: u64, length: u64): Segment {
    const s = new Segment();
    s.source = source;
    s.offset = offset;
    s.length = length;
    s.take = length;
    return s;
  }

  static coded(source: i32, offset: u64, length: u64, codec: i32, skip: u64, take: u64): Segment {
    const s = new Segment();
    s.source = source;
    s.offset = offset;
    s.length = length;
    s.codec = codec;
    s.skip = skip;
    s.take = take;
    return s;
  }

  contentLength(): u64 { return this.codec == CODEC_NONE ? this.length : this.take; }
}

// Decodes one stored chunk of a chunked array (the format's filter pipeline: inflate, shuffle,
// LZF, checksums...). `mask` is the per-chunk word saying which filters were skipped.
export abstract class ChunkDecoder {
  error: string = "";
  errorCode: i32 = 0;
  // Decodes `len` stored bytes at `src` into exactly `outLen` bytes at `dst`; 0 or -1 (error set).
  abstract decode(src: usize, len: usize, dst: usize, outLen: usize, mask: u32): i32;
}

// Chunked storage (HDF5): the array is cut into equal chunks stored (and coded) on their own. The
// read job decodes them one at a time and places each in the output; `segments[i]` holds chunk
// i's stored bytes, `origins[i*rank+d]` its first element on axis d. Chunks must be sorted by
// origin (C order). Chunks that are absent take `fill` (elemBytes bytes; zeros when null).
export class ChunkGrid {
  shape: u64[] = [];
  chunk: u64[] = [];
  elemBytes: u64 = 0;
  segments: Segment[] = [];
  origins: u64[] = [];
  masks: u32[] = [];
  decoder: ChunkDecoder | null = null;
  fill: u8[] | null = null;
}

// Layout transforms applied after the bytes are gathered.
export const LAYOUT_C: i32 = 0;
export const LAYOUT_FORTRAN: i32 = 1;

// How to produce a tensor's values: the concatenation of segments holds `elements` values of
// `storage` type, in `bigEndian` byte order and `layout` order over `shape`.
export const STR_UCS4_LE: i32 = 1;
export const STR_UCS4_BE: i32 = 2;
export const STR_BYTES: i32 = 3;

export class Plan {
  segments: Segment[] = [];
  storage: i32 = 0;
  bigEndian: bool = false;
  layout: i32 = LAYOUT_C;
  // A value every element takes when there are no segments (e.g. HDF5 fill values); raw bytes.
  fill: u64 = 0;
  // Reason the tensor cannot be read, when it cannot (strings, objects, external data missing...).
  unreadable: string | null = null;
  // The type a read "as stored" returns when it differs from the stored one (0: the stored type),
  // e.g. TF.js float32 weights stored quantized as uint8/uint16/float16.
  logical: i32 = 0;
  // Affine dequantization applied in f64 after widening: value = stored * scale + bias, rounded
  // once to f32 (TF.js uint8/uint16 quantization).
  affine: bool = false;
  scale: f64 = 1.0;
  bias: f64 = 0.0;
  // Quantized integers (TFLite): a float read yields (stored - quantZero[c]) * quantScale[c] in
  // f64, rounded once (kernels/dequant.ts), c = (element / quantInner) % quantScale.length.
  quantScale: f64[] | null = null;
  quantZero: f64[] | null = null;
  quantInner: u64 = 1;
  // Element count of sub-byte values whose last byte is padded (int4 with an odd count); 0: all.
  elements: u64 = 0;
  // Chunked storage, when the values are not one run of segments (then `segments` is empty).
  grid: ChunkGrid | null = null;
  // Fixed-width strings (STR tensors): how each item is encoded and its size in bytes.
  stringEncoding: i32 = 0;
  stringItem: u64 = 0;
  // The bytes SOURCE_INLINE segments point into (small arrays pickled as text, decoded at index time).
  inline: Uint8Array | null = null;

  static single(source: i32, offset: u64, length: u64, storage: i32): Plan {
    const p = new Plan();
    p.segments.push(Segment.raw(source, offset, length));
    p.storage = storage;
    return p;
  }
}

export class Tensor {
  name: string;
  dtype: i32;
  // For dtypes with no code of their own (numpy structured, string kinds): the text shown.
  dtypeText: string | null = null;
  shape: u64[];
  byteLength: u64;
  plan: Plan | null = null;
  // Extra format-specific facts shown with the tensor (e.g. ggml type id, storage key, strides).
  info: JObj | null = null;

  constructor(name: string, dtype: i32, shape: u64[], byteLength: u64) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.byteLength = byteLength;
  }
}

export const SEV_INFO: i32 = 1;
export const SEV_LOW: i32 = 2;
export const SEV_MEDIUM: i32 = 3;
export const SEV_HIGH: i32 = 4;
export const SEV_CRITICAL: i32 = 5;
const SEV_NAMES: string[] = ["none", "info", "low", "medium", "high", "critical"];

export function severityName(s: i32): string {
  return s >= 0 && s < SEV_NAMES.length ? SEV_NAMES[s] : "info";
}

export class Finding {
  constructor(
    public severity: i32,
    public code: string,
    public message: string,
    public location: string,
  ) {}
  // Optional evidence (e.g. code shown, global names).
  detail: JValue | null = null;
}

export class Child {
  constructor(public name: string) {}
  format: string | null = null;
  // Where the child's bytes are: `length` stored bytes at `offset` of `source`, decoded with
  // `codec` when set, of which the decoded bytes [skip, skip+size) are the child.
  source: i32 = 0;
  offset: u64 = 0;
  length: u64 = 0;
  codec: i32 = CODEC_NONE;
  skip: u64 = 0;
  size: u64 = 0;
  // Whether the bytes above are known, so the child can be opened (child_open).
  readable: bool = false;
  // What child_open answers for an unreadable child: 0 = E_UNREADABLE (encrypted, unknown
  // method); E_PATH_VIOLATION for a reference that leaves the archive or directory.
  refusal: i32 = 0;
  // Whether `format` came from sniffing the child's first bytes (decoded by a streaming inflate
  // at index time): then a null format means no reader knows it, and child_open refuses it
  // without decompressing the whole member (a zip bomb's members are gigabytes of nothing).
  sniffed: bool = false;
  // Not sniffed because the index's sniffing budget was spent: child_open sniffs its first
  // decoded window instead.
  sniffDeferred: bool = false;
}

export class Index {
  format: string = "";
  formatVersion: string | null = null;
  tensors: Tensor[] = [];
  metadata: JObj = new JObj();
  graph: JValue | null = null;
  findings: Finding[] = [];
  children: Child[] = [];
  // GGUF sources: where each metadata pair lies in the main file (key -> [offset, length]), and
  // the data alignment; the GGUF writer copies the pairs as they are.
  ggufKvRanges: JObj | null = null;
  ggufKvTypes: JObj | null = null; // key -> value type name ("UINT32", "ARRAY[STRING]", ...)
  ggufAlignment: u32 = 32;

  addTensor(t: Tensor): Tensor {
    this.tensors.push(t);
    return t;
  }

  addFinding(severity: i32, code: string, message: string, location: string): Finding {
    const f = new Finding(severity, code, message, location);
    this.findings.push(f);
    return f;
  }

  toJson(out: ByteBuf): void {
    out.str("{\"format\":");
    writeJsonString(out, this.format);
    out.str(",\"formatVersion\":");
    const fv = this.formatVersion;
    if (fv === null) out.str("null");
    else writeJsonString(out, fv);
    out.str(",\"tensors\":[");
    for (let i = 0; i < this.tensors.length; i++) {
      if (i) out.byte(0x2c);
      writeTensor(out, this.tensors[i]);
    }
    out.str("],\"metadata\":");
    writeJson(out, this.metadata);
    out.str(",\"graph\":");
    const g = this.graph;
    if (g === null) out.str("null");
    else writeJson(out, g);
    out.str(",\"findings\":[");
    for (let i = 0; i < this.findings.length; i++) {
      if (i) out.byte(0x2c);
      const f = this.findings[i];
      out.str("{\"severity\":");
      writeJsonString(out, severityName(f.severity));
      out.str(",\"code\":");
      writeJsonString(out, f.code);
      out.str(",\"message\":");
      writeJsonString(out, f.message);
      out.str(",\"location\":");
      writeJsonString(out, f.location);
      out.str(",\"impact\":");
      writeJsonString(out, impactOf(f.severity, f.code, f.message, this.format));
      const d = f.detail;
      if (d !== null) {
        out.str(",\"detail\":");
        writeJson(out, d);
      }
      out.byte(0x7d);
    }
    out.str("],\"children\":[");
    for (let i = 0; i < this.children.length; i++) {
      if (i) out.byte(0x2c);
      const c = this.children[i];
      out.str("{\"name\":");
      writeJsonString(out, c.name);
      out.str(",\"format\":");
      const cf = c.format;
      if (cf === null) out.str("null");
      else writeJsonString(out, cf);
      out.str(",\"size\":");
      writeJson(out, new JUint(c.size));
      out.str(c.readable ? ",\"readable\":true" : ",\"readable\":false");
      out.byte(0x7d);
    }
    out.str("]}");
  }
}

function writeTensor(out: ByteBuf, t: Tensor): void {
  out.str("{\"name\":");
  writeJsonString(out, t.name);
  out.str(",\"dtype\":");
  const text = t.dtypeText;
  writeJsonString(out, text !== null ? text : dtypeName(t.dtype));
  out.str(",\"shape\":[");
  for (let i = 0; i < t.shape.length; i++) {
    if (i) out.byte(0x2c);
    writeJson(out, new JUint(t.shape[i]));
  }
  out.str("],\"byteLength\":");
  writeJson(out, new JUint(t.byteLength));
  const info = t.info;
  if (info !== null) {
    out.str(",\"info\":");
    writeJson(out, info);
  }
  out.byte(0x7d);
}

export function shapeArray(shape: u64[]): JArr {
  const a = new JArr();
  for (let i = 0; i < shape.length; i++) a.push(new JUint(shape[i]));
  return a;
}

export function strArray(items: string[]): JArr {
  const a = new JArr();
  for (let i = 0; i < items.length; i++) a.push(new JStr(items[i]));
  return a;
}
