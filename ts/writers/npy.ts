// The .npy header for one tensor, written by the core (npy_header) so every host agrees.

import type { Core } from "../core.ts";
import { DTYPE_CODES } from "../dtypes.ts";
import { OmnimodelError } from "../errors.ts";

export function npyHeader(core: Core, dtype: string, shape: number[]): Uint8Array {
  const code = DTYPE_CODES[dtype];
  const e = core.exports;
  const p = e.alloc(Math.max(8, shape.length * 8)) >>> 0;
  if (!p) throw new OmnimodelError("NO_MEMORY", "the core could not allocate a shape");
  try {
    const dv = new DataView(e.memory.buffer, p, shape.length * 8);
    shape.forEach((d, i) => dv.setBigUint64(i * 8, BigInt(d), true));
    const h = code === undefined ? -16 : e.npy_header(code, p, shape.length);
    if (h <= 0) throw new OmnimodelError("BAD_DTYPE", `${dtype} has no NumPy dtype; convert it first (e.g. --dtype F32)`);
    try {
      return core.output(h);
    } finally {
      e.job_close(h);
    }
  } finally {
    e.free(p);
  }
}

/**
 * Header and read dtype for writing a tensor as .npy: as stored when NumPy has the type, else as
 * F32 (BF16, F8, quantized types).
 */
export function npyForTensor(core: Core, t: { dtype: string; shape: number[] }, dtype?: string): { header: Uint8Array; readAs?: string } {
  if (dtype) return { header: npyHeader(core, dtype, t.shape), readAs: dtype };
  try {
    return { header: npyHeader(core, t.dtype, t.shape) };
  } catch (e) {
    if (!(e instanceof OmnimodelError) || e.code !== "BAD_DTYPE") throw e;
    return { header: npyHeader(core, "F32", t.shape), readAs: "F32" };
  }
}
