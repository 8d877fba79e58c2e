// Streams a model as a GGUF v3 file. The core plans everything (which tensors, which ggml type,
// the metadata pairs, tensor infos, aligned offsets: gguf_plan); the host writes the header parts
// (literal bytes, or a GGUF source's metadata pairs copied byte for byte), then each tensor:
// copied as stored, or read as F32 and quantized in the core (quantize_rows, bit-exact with
// ggml's reference quantizers), a bounded window at a time, padded to the alignment.

import { OmnimodelError } from "../errors.ts";
import type { Model, Tensor } from "../model.ts";
import { permutedValues } from "../llama-names.ts";

/** ggml type names the writer can produce (`--type`). */
export const GGUF_WRITE_TYPES = [
  "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
  "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4",
] as const;
export type GGUFWriteType = (typeof GGUF_WRITE_TYPES)[number];

export interface GGUFPlannedTensor {
  tensor: Tensor;
  name: string;
  type: string;
  typeId: number;
  quantize: boolean;
  byteLength: number;
  offset: number;
  /** Heads whose rows are reordered as llama.cpp's Q/K permutation (0: none), rows of permuteRow values. */
  permute: number;
  permuteRow: number;
}

export interface GGUFPlan {
  parts: ({ literal: number } | { offset: number; length: number })[];
  header: Uint8Array;
  tensors: GGUFPlannedTensor[];
  skipped: { name: string; dtype: string; reason: string }[];
  notes: { name: string; note: string }[];
  alignment: number;
  dataStart: number;
  totalBytes: number;
}

export interface GGUFOptions {
  /** Target type of the large float tensors; omitted = keep every tensor's stored type. */
  type?: GGUFWriteType;
  /** Metadata edits and shard selection (gguf set / rm / split). */
  edits?: GGUFEdits;
}

export interface GGUFEdits {
  /** Pairs to set: value as text, parsed by `type` (UINT8..FLOAT64, BOOL, STRING), else the key's type, else STRING. */
  set?: { key: string; value: string; type?: string }[];
  remove?: string[];
  /** false: write none of the source's pairs (shards after the first). */
  kv?: boolean;
  /** The planned tensors [first, end) only. */
  tensors?: [number, number];
  /** split.no, split.count, split.tensors.count pairs to add. */
  split?: [number, number, number];
  alignment?: number;
  /** Array pairs to set (a tokenizer's vocabulary). */
  arrays?: { key: string; type: "STRING" | "FLOAT32" | "INT32" | "UINT32"; values: (string | number)[] }[];
  /** Source tensor name -> written name. */
  rename?: Record<string, string>;
  /** Source tensor name -> head count: rows reordered as llama.cpp does for Q and K (ts/llama-names.ts). */
  permute?: Record<string, number>;
}

const TYPE_IDS: Record<GGUFWriteType, number> = {
  F32: 0, F16: 1, BF16: 30, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q2_K: 10, Q3_K: 11, Q4_K: 12,
  Q5_K: 13, Q6_K: 14, IQ4_NL: 20, IQ4_XS: 23, TQ1_0: 34, TQ2_0: 35, MXFP4: 39,
};

export function planGGUF(model: Model, options: GGUFOptions = {}): GGUFPlan {
  const core = model.core;
  let id = -1;
  if (options.type !== undefined) {
    id = TYPE_IDS[options.type as GGUFWriteType] ?? -2;
    if (id === -2) throw new OmnimodelError("BAD_ARGUMENT", `cannot write GGUF type "${options.type}" (one of ${GGUF_WRITE_TYPES.join(", ")})`);
  }
  const opts = options.edits ? JSON.stringify(options.edits) : "";
  const h = opts
    ? core.withString(opts, (p, l) => core.exports.gguf_plan(model.handle, id, options.type !== undefined ? 1 : 0, p, l))
    : core.exports.gguf_plan(model.handle, id, options.type !== undefined ? 1 : 0, 0, 0);
  if (h <= 0) throw new OmnimodelError("BAD_ARGUMENT", "the model cannot be converted (is it closed?)", { file: model.source.name });
  try {
    if (core.exports.job_error_code(h) !== 0 && core.exports.job_run(h) < 0) {
      const msg = core.string(core.exports.job_error_message(h), core.exports.job_error_message_length(h));
      throw new OmnimodelError("BAD_ARGUMENT", msg, { file: model.source.name });
    }
    const d = JSON.parse(core.result(h)) as Omit<GGUFPlan, "header" | "tensors" | "totalBytes"> & {
      tensors: (Omit<GGUFPlannedTensor, "tensor" | "quantize"> & { tensor: number; quantize: number })[];
      totalLength: number;
    };
    return {
      parts: d.parts,
      header: core.output(h),
      tensors: d.tensors.map((t) => ({ ...t, tensor: model.tensors[t.tensor], quantize: t.quantize === 1 })),
      skipped: d.skipped,
      notes: d.notes,
      alignment: d.alignment,
      dataStart: d.dataStart,
      totalBytes: d.totalLength,
    };
  } finally {
    core.exports.job_close(h);
  }
}

export interface GGUFProgress { tensor: string; index: number; count: number; bytesWritten: number; totalBytes: number }

const STAGE_ELEMENTS = 1 << 20; // f32 values quantized per call (4 MiB in, a multiple of every block)

/** The bytes of the GGUF file, in order. Memory stays bounded by a few windows. */
export async function* ggufChunks(model: Model, plan: GGUFPlan, onProgress?: (p: GGUFProgress) => void): AsyncGenerator<Uint8Array> {
  let lit = 0;
  let written = 0;
  for (const p of plan.parts) {
    if ("literal" in p) { yield plan.header.subarray(lit, lit + p.literal); lit += p.literal; written += p.literal; }
    else {
      const b = await model.source.read(p.offset, p.length);
      if (b.byteLength !== p.length) throw new OmnimodelError("CORRUPT", "the source changed while converting", { file: model.source.name });
      yield b;
      written += p.length;
    }
  }
  if (written !== plan.dataStart) throw new OmnimodelError("CORRUPT", `GGUF header is ${written} bytes, planned ${plan.dataStart}`);
  const core = model.core;
  for (let i = 0; i < plan.tensors.length; i++) {
    const t = plan.tensors[i];
    if (written < t.offset) { yield new Uint8Array(t.offset - written); written = t.offset; }
    let n = 0;
    if (!t.quantize) {
      for await (const c of t.tensor.chunks()) { // as stored (a quantized type has no dtype code to ask for)
        const b = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
        n += b.byteLength;
        yield b;
      }
    } else {
      const rowBytes = (k: number) => core.exports.dtype_byte_length(4096 + t.typeId, k);
      const src = core.exports.alloc(STAGE_ELEMENTS * 4) >>> 0;
      const dst = core.exports.alloc(STAGE_ELEMENTS * 4) >>> 0;
      if (!src || !dst) throw new OmnimodelError("NO_MEMORY", "the core could not allocate the quantization buffers");
      try {
        let fill = 0; // f32 values staged at src
        const flush = (count: number): Uint8Array => {
          const rc = core.exports.quantize_rows(t.typeId, src, count, dst);
          if (rc !== 0) throw new OmnimodelError("BAD_ARGUMENT", `tensor "${t.name}": ${t.type} cannot be written (${rc === -2 ? "not a whole number of blocks" : "unsupported type"})`);
          return core.bytes(dst, rowBytes(count)).slice();
        };
        const f32 = t.tensor.chunks({ dtype: "F32" }) as AsyncIterable<Float32Array>;
        const n0 = t.tensor.shape.reduce((a, b) => a * b, 1);
        const values = t.permute ? permutedValues(f32, t.permute, n0 / t.permuteRow, t.permuteRow) : f32;
        for await (const c of values) {
          let at = 0;
          while (at < c.length) {
            const take = Math.min(c.length - at, STAGE_ELEMENTS - fill);
            new Float32Array(core.exports.memory.buffer, src + fill * 4, take).set((c as Float32Array).subarray(at, at + take));
            fill += take;
            at += take;
            if (fill === STAGE_ELEMENTS) { const b = flush(fill); n += b.byteLength; yield b; fill = 0; }
          }
        }
        if (fill) { const b = flush(fill); n += b.byteLength; yield b; }
      } finally {
        core.exports.free(src);
        core.exports.free(dst);
      }
    }
    if (n !== t.byteLength) throw new OmnimodelError("CORRUPT", `tensor "${t.name}" produced ${n} bytes, expected ${t.byteLength}`);
    written += n;
    onProgress?.({ tensor: t.name, index: i, count: plan.tensors.length, bytesWritten: written, totalBytes: plan.totalBytes });
  }
  if (written < plan.totalBytes) { yield new Uint8Array(plan.totalBytes - written); written = plan.totalBytes; }
}
