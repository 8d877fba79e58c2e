// F32 -> F16 as ggml writes it (ggml_compute_fp32_to_fp16): round to nearest even like numpy,
// except that every NaN becomes 0x7e00 with its sign (numpy keeps payload bits). The SIMD path
// converts with the shared kernel and then rewrites the NaN lanes.

import { f32ToF16 } from "../float";
import { ggmlF16 } from "./scalar-ops";

export function quantizeF16(src: usize, n: usize, dst: usize, simd: bool): void {
  if (!simd) {
    for (let i: usize = 0; i < n; i++) store<u16>(dst + (i << 1), ggmlF16(load<f32>(src + (i << 2))));
    return;
  }
  f32ToF16(src, n, dst, true);
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (i << 2));
    if (!v128.any_true(f32x4.ne(v, v))) continue;
    for (let k: usize = i; k < i + 4; k++) store<u16>(dst + (k << 1), ggmlF16(load<f32>(src + (k << 2))));
  }
  for (; i < n; i++) store<u16>(dst + (i << 1), ggmlF16(load<f32>(src + (i << 2))));
}
