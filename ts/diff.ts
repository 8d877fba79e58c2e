// Compares two models: tensors matched by name (shape, dtype, and streamed value statistics:
// max absolute difference, max relative error, cosine similarity), and metadata keys and values.
// Both tensors are read as F32 window by window, so memory stays bounded whatever their size.
//
// Across naming schemes (a Hugging Face llama model and its llama.cpp GGUF) tensors that match by
// no name are matched through the HF <-> llama.cpp name map (ts/llama-names.ts). llama.cpp's
// converters permute the rows of q_proj and k_proj per head; such a pair is compared with the HF
// side permuted the same way when the GGUF's general.architecture is llama (head counts from its
// llama.attention.head_count and head_count_kv), so an exact conversion compares equal. The pair names that permutation.

import type { Model, Tensor } from "./model.ts";
import { llamaGGUFName, permutedProjection, permutedValues } from "./llama-names.ts";

export interface TensorDiff {
  name: string;
  /** B's name when it differs (matched through the HF <-> llama.cpp name map). */
  nameB?: string;
  /** Heads of llama.cpp's Q/K row permutation applied to the HF side before comparing. */
  permuted?: number;
  dtype: [string, string];
  shape: [number[], number[]];
  /** Absent when the shapes differ (values are not compared). */
  maxAbs?: number;
  /** max |a - b| / max |a| over the tensor (0 when both are all zero). */
  relative?: number;
  cosine?: number;
  /** Positions where exactly one side is NaN. */
  nanMismatch?: number;
}

export interface ModelDiff {
  onlyInA: string[];
  onlyInB: string[];
  tensors: TensorDiff[];
  metadata: { key: string; a?: unknown; b?: unknown }[];
  /** true when every tensor is in both, with equal shapes and maxAbs <= tolerance. */
  withinTolerance: boolean;
}

async function* values(t: Tensor, permute = 0): AsyncGenerator<Float32Array> {
  const f32 = t.chunks({ dtype: "F32" }) as AsyncIterable<Float32Array>;
  if (!permute) { yield* f32; return; }
  const rowLen = t.shape.length === 1 ? 1 : t.shape[t.shape.length - 1];
  yield* permutedValues(f32, permute, t.shape.reduce((x, y) => x * y, 1) / rowLen, rowLen);
}

/** Streams both tensors in lockstep and accumulates the statistics. */
async function compareValues(a: Tensor, b: Tensor, permuteA = 0, permuteB = 0): Promise<{ maxAbs: number; relative: number; cosine: number; nanMismatch: number }> {
  const ia = values(a, permuteA), ib = values(b, permuteB);
  let ca: Float32Array = new Float32Array(0), cb: Float32Array = new Float32Array(0);
  let pa = 0, pb = 0;
  let maxAbs = 0, maxA = 0, dot = 0, na = 0, nb = 0, nanMismatch = 0;
  for (;;) {
    if (pa === ca.length) { const r = await ia.next(); if (r.done) break; ca = r.value; pa = 0; continue; }
    if (pb === cb.length) { const r = await ib.next(); if (r.done) break; cb = r.value; pb = 0; continue; }
    const n = Math.min(ca.length - pa, cb.length - pb);
    for (let i = 0; i < n; i++) {
      const x = ca[pa + i], y = cb[pb + i];
      if (Number.isNaN(x) || Number.isNaN(y)) { if (Number.isNaN(x) !== Number.isNaN(y)) nanMismatch++; continue; }
      const d = Math.abs(x - y);
      if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? (x === y ? maxAbs : Infinity) : d;
      if (Math.abs(x) > maxA) maxA = Math.abs(x);
      dot += x * y; na += x * x; nb += y * y;
    }
    pa += n; pb += n;
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return { maxAbs, relative: maxA === 0 ? (maxAbs === 0 ? 0 : Infinity) : maxAbs / maxA, cosine, nanMismatch };
}

const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

function isArrayStub(v: unknown): v is { type: string; length: number; offset: number } {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.type === "string" && o.type.startsWith("ARRAY") && typeof o.length === "number" && typeof o.offset === "number" && Object.keys(o).length === 3;
}

/** Head count of llama.cpp's permutation of an HF q/k tensor, from the GGUF side's metadata (0: none applies). */
function permutationHeads(hfName: string, gguf: Model, t: Tensor): number {
  const p = permutedProjection(hfName);
  const arch = gguf.metadata["general.architecture"];
  if (!p || arch !== "llama") return 0; // llama.cpp permutes for its llama architecture only (not qwen2, gemma, ...)
  const heads = gguf.metadata[`${arch}.attention.head_count`];
  const kv = gguf.metadata[`${arch}.attention.head_count_kv`] ?? heads;
  const g = Number(p === "q" ? heads : kv);
  const rowLen = t.shape.length === 1 ? 1 : t.shape[t.shape.length - 1];
  const rows = t.shape.reduce((x, y) => x * y, 1) / rowLen;
  return Number.isInteger(g) && g > 0 && rows % (2 * g) === 0 ? g : 0;
}

export async function diffModels(a: Model, b: Model, options: { tolerance?: number } = {}): Promise<ModelDiff> {
  const tol = options.tolerance ?? 0;
  const byName = new Map(b.tensors.map((t) => [t.name, t]));
  const namesA = new Set(a.tensors.map((t) => t.name));
  // pairs: by name, else through the name map (either side may carry the HF names)
  const pairs: { ta: Tensor; tb: Tensor; permuteA: number; permuteB: number }[] = [];
  const matchedB = new Set<string>();
  const mapped = new Map<string, Tensor>();
  for (const t of b.tensors) { const g = llamaGGUFName(t.name); if (g !== null && !namesA.has(t.name) && !mapped.has(g)) mapped.set(g, t); }
  for (const ta of a.tensors) {
    let tb = byName.get(ta.name);
    let permuteA = 0, permuteB = 0;
    if (!tb) {
      const g = llamaGGUFName(ta.name);
      const viaA = g !== null && !namesA.has(g) ? byName.get(g) : undefined; // A is HF-named, B llama.cpp
      const viaB = mapped.get(ta.name); // B is HF-named, A llama.cpp
      if (viaA && !matchedB.has(viaA.name)) { tb = viaA; permuteA = permutationHeads(ta.name, b, ta); }
      else if (viaB && !matchedB.has(viaB.name)) { tb = viaB; permuteB = permutationHeads(viaB.name, a, viaB); }
    }
    if (!tb || matchedB.has(tb.name)) continue;
    matchedB.add(tb.name);
    pairs.push({ ta, tb, permuteA, permuteB });
  }
  const pairedA = new Set(pairs.map((p) => p.ta.name));
  const out: ModelDiff = {
    onlyInA: a.tensors.filter((t) => !pairedA.has(t.name)).map((t) => t.name),
    onlyInB: b.tensors.filter((t) => !matchedB.has(t.name)).map((t) => t.name),
    tensors: [],
    metadata: [],
    withinTolerance: true,
  };
  if (out.onlyInA.length || out.onlyInB.length) out.withinTolerance = false;
  for (const { ta, tb, permuteA, permuteB } of pairs) {
    const d: TensorDiff = { name: ta.name, dtype: [ta.dtype, tb.dtype], shape: [[...ta.shape], [...tb.shape]] };
    if (tb.name !== ta.name) d.nameB = tb.name;
    if (permuteA || permuteB) d.permuted = permuteA || permuteB;
    if (same(d.shape[0], d.shape[1])) {
      Object.assign(d, await compareValues(ta, tb, permuteA, permuteB));
      if (!(d.maxAbs! <= tol) || d.nanMismatch) out.withinTolerance = false;
    } else out.withinTolerance = false;
    out.tensors.push(d);
  }
  const keys = new Set([...Object.keys(a.metadata), ...Object.keys(b.metadata)]);
  for (const k of keys) {
    const x = a.metadata[k], y = b.metadata[k];
    if (isArrayStub(x) && isArrayStub(y) && x.type === y.type && x.length === y.length) {
      // large GGUF arrays (a vocabulary) are indexed as {type, length, offset}: compare the items
      if (same(await a.metadataArray(k), await b.metadataArray(k))) continue;
    }
    if (!same(x, y)) out.metadata.push({ key: k, ...(k in a.metadata ? { a: x } : {}), ...(k in b.metadata ? { b: y } : {}) });
  }
  return out;
}
