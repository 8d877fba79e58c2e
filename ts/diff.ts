// Compares two models: tensors matched by name (shape, dtype, and streamed value statistics:
// max absolute difference, max relative error, cosine similarity), and metadata keys and values.
// Both tensors are read as F32 window by window, so memory stays bounded whatever their size.

import type { Model, Tensor } from "./model.ts";

export interface TensorDiff {
  name: string;
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

async function* values(t: Tensor): AsyncGenerator<Float32Array> {
  for await (const c of t.chunks({ dtype: "F32" })) yield c as Float32Array;
}

/** Streams both tensors in lockstep and accumulates the statistics. */
async function compareValues(a: Tensor, b: Tensor): Promise<{ maxAbs: number; relative: number; cosine: number; nanMismatch: number }> {
  const ia = values(a), ib = values(b);
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

export async function diffModels(a: Model, b: Model, options: { tolerance?: number } = {}): Promise<ModelDiff> {
  const tol = options.tolerance ?? 0;
  const byName = new Map(b.tensors.map((t) => [t.name, t]));
  const namesA = new Set(a.tensors.map((t) => t.name));
  const out: ModelDiff = {
    onlyInA: a.tensors.filter((t) => !byName.has(t.name)).map((t) => t.name),
    onlyInB: b.tensors.filter((t) => !namesA.has(t.name)).map((t) => t.name),
    tensors: [],
    metadata: [],
    withinTolerance: true,
  };
  if (out.onlyInA.length || out.onlyInB.length) out.withinTolerance = false;
  for (const ta of a.tensors) {
    const tb = byName.get(ta.name);
    if (!tb) continue;
    const d: TensorDiff = { name: ta.name, dtype: [ta.dtype, tb.dtype], shape: [[...ta.shape], [...tb.shape]] };
    if (same(d.shape[0], d.shape[1])) {
      Object.assign(d, await compareValues(ta, tb));
      if (!(d.maxAbs! <= tol) || d.nanMismatch) out.withinTolerance = false;
    } else out.withinTolerance = false;
    out.tensors.push(d);
  }
  const keys = new Set([...Object.keys(a.metadata), ...Object.keys(b.metadata)]);
  for (const k of keys) {
    const x = a.metadata[k], y = b.metadata[k];
    if (!same(x, y)) out.metadata.push({ key: k, ...(k in a.metadata ? { a: x } : {}), ...(k in b.metadata ? { b: y } : {}) });
  }
  return out;
}
