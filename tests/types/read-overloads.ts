// Compiled (not run) by tests/first-hour.test.ts: a TS user needs no casts after read({ dtype }).
// Each @ts-expect-error line must be an error, so a loosened overload fails the check too.
import type { Tensor } from "../../bindings/node-index.js";

export async function typed(t: Tensor): Promise<number> {
  const f32: Float32Array = await t.read({ dtype: "F32" });
  const f16: Uint16Array = await t.read({ dtype: "F16" });
  const bf16: Uint16Array = await t.read({ dtype: "BF16" });
  let sum = f32[0] + f16[0] + bf16[0];
  for await (const chunk of t.chunks({ dtype: "F32" })) {
    const c: Float32Array = chunk;
    sum += c[0];
  }
  // @ts-expect-error F16 reads are Uint16Array bits, not Float32Array
  const wrong: Float32Array = await t.read({ dtype: "F16" });
  // @ts-expect-error an unknown stored dtype could be any typed array
  const untyped: Float32Array = await t.read();
  return sum + wrong.length + untyped.length;
}
