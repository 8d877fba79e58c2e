// One TFLite tensor -> its index entry: shape and type, where its bytes are (a buffer's inline
// data vector, or the offset/size form models past 2 GB use, relative to the file's start), and
// its quantization (scale / zero point per tensor or per channel along quantized_dimension),
// which the read job applies when a float type is asked for.

import { DT_I4, DT_STR, DT_U4, dtypeBits, dtypeByteLength, dtypeName, shapeElements } from "../../core/dtype";
import { E_BAD_SHAPE, E_CORRUPT, E_INVALID_OFFSET, E_SIZE_MISMATCH } from "../../core/errors";
import { Plan, Segment, Tensor } from "../../core/model";
import { FbReader, FbTable } from "../../containers/flatbuffers";
import { JArr, JFloat, JInt, JObj, JStr } from "../../util/json";
import {
  B_DATA, B_OFFSET, B_SIZE, Q_DETAILS_TYPE, Q_MAX, Q_MIN, Q_QUANTIZED_DIMENSION, Q_SCALE, Q_ZERO_POINT, T_BUFFER,
  T_EXTERNAL_BUFFER, T_IS_VARIABLE, T_NAME, T_QUANTIZATION, T_SHAPE, T_SHAPE_SIGNATURE, T_SPARSITY, T_TYPE,
  tensorDtype, tensorTypeName,
} from "./schema";

const MAX_RANK: u32 = 64;
const MAX_CHANNELS: u32 = 1 << 24;

// Where a buffer's bytes are: `size` bytes at `offset` (absolute in the file); size 0 = empty.
export class BufferRef {
  constructor(public offset: u64, public size: u64, public form: string) {}
}

// Buffer i of the model: inline `data`, or `offset`/`size` (offset 0 or 1 with size 0 means empty).
export function readBuffer(r: FbReader, b: FbTable, fileSize: u64): BufferRef | null {
  const data = r.vectorF(b, B_DATA, 1);
  if (!r.ok) return null;
  if (data !== null && data.length > 0) return new BufferRef(data.pos, <u64>data.length, "inline");
  const off = r.u64f(b, B_OFFSET, 0);
  const size = r.u64f(b, B_SIZE, 0);
  if (!r.ok) return null;
  if (size == 0) return new BufferRef(0, 0, "empty");
  // u64 wrap: compare against what is left after the offset.
  if (off > fileSize || size > fileSize - off) {
    r.fail(E_INVALID_OFFSET, "a buffer's offset " + off.toString() + " + size " + size.toString() + " runs past the end of the file (" + fileSize.toString() + " bytes)", b.pos);
    return null;
  }
  return new BufferRef(off, size, "offset");
}

// Stored bytes of n elements: sub-byte types pack two (int4) or four (int2) to a byte, low bits
// first, the last byte padded.
function storedBytes(dt: i32, n: u64, bits: i32): u64 {
  if (bits < 8 && bits > 0) {
    const per = <u64>(8 / bits);
    return n / per + (n % per != 0 ? 1 : 0);
  }
  return dtypeByteLength(dt, n);
}

export class TensorFacts {
  tensor: Tensor | null = null; // set when the tensor has bytes (a constant)
  json: JObj = new JObj(); // what the graph says about it
  name: string = "";
}

// Reads tensor `t`; `buffers` are the model's buffers. Returns null on error (r.ok false).
export function readTensor(r: FbReader, t: FbTable, buffers: BufferRef[], name: string): TensorFacts | null {
  const f = new TensorFacts();
  const raw = r.stringF(t, T_NAME, 1 << 16);
  const type = <i32>r.u8f(t, T_TYPE, 0);
  const bufIndex = r.u32f(t, T_BUFFER, 0);
  const sv = r.vectorF(t, T_SHAPE, 4);
  if (!r.ok) return null;
  const shape = new Array<u64>();
  const jshape = new JArr();
  if (sv !== null) {
    if (sv.length > MAX_RANK) { r.fail(E_BAD_SHAPE, "tensor \"" + raw + "\" has rank " + sv.length.toString(), sv.pos); return null; }
    for (let i: u32 = 0; i < sv.length; i++) {
      const d = r.i32At(sv, i);
      // -1 appears in shape_signature only; a stored shape is concrete.
      if (d < 0) { r.fail(E_BAD_SHAPE, "tensor \"" + raw + "\" has a negative dimension " + d.toString(), sv.pos); return null; }
      shape.push(<u64>d);
      jshape.push(new JInt(d));
    }
  }
  f.name = name;
  const o = f.json;
  o.setStr("name", name);
  o.setStr("dtype", tensorTypeName(type));
  o.set("shape", jshape);
  const sig = r.vectorF(t, T_SHAPE_SIGNATURE, 4);
  if (sig !== null && sig.length <= MAX_RANK) {
    const js = new JArr();
    for (let i: u32 = 0; i < sig.length; i++) js.push(new JInt(r.i32At(sig, i)));
    o.set("shape_signature", js);
  }
  if (r.boolf(t, T_IS_VARIABLE)) o.setBool("is_variable", true);
  const quant = readQuant(r, t, raw, shape);
  if (!r.ok) return null;
  if (quant !== null) o.set("quantization", quant.json);
  const sparse = r.has(t, T_SPARSITY);
  if (sparse) o.setBool("sparse", true);
  const ext = r.u32f(t, T_EXTERNAL_BUFFER, 0);
  if (!r.ok) return null;
  if (bufIndex >= <u32>buffers.length) { r.fail(E_INVALID_OFFSET, "tensor \"" + raw + "\" names buffer " + bufIndex.toString() + " of " + buffers.length.toString(), t.pos); return null; }
  const buf = buffers[bufIndex];
  if (buf.size == 0 && ext == 0) return f;
  o.setInt("buffer", bufIndex);

  const dt = tensorDtype(type);
  const info = new JObj();
  info.setStr("tflite_type", tensorTypeName(type));
  info.setInt("buffer", bufIndex);
  info.setStr("buffer_form", ext != 0 ? "external" : buf.form);
  if (quant !== null) info.set("quantization", quant.json);
  const n = shapeElements(shape);
  const tensor = new Tensor(name, dt < 0 ? DT_STR : dt, shape, buf.size);
  tensor.info = info;
  if (dt < 0) tensor.dtypeText = tensorTypeName(type);
  const plan = Plan.single(0, buf.offset, buf.size, tensor.dtype);
  if (ext != 0) plan.unreadable = "its bytes are in an external buffer group (a separate weights file)";
  else if (dt < 0) plan.unreadable = "it is a " + tensorTypeName(type) + " handle, not an array";
  else if (dt == DT_STR) plan.unreadable = "it holds TFLite packed strings";
  else if (sparse) plan.unreadable = "it is stored sparse (a compressed format the reader does not expand)";
  else {
    const want = storedBytes(dt, n, dtypeBits(dt));
    if (want != buf.size) {
      r.fail(E_SIZE_MISMATCH, "tensor \"" + raw + "\" is " + dtypeName(dt) + " of " + n.toString() + " elements (" + want.toString() + " bytes) but its buffer holds " + buf.size.toString(), t.pos);
      return null;
    }
    if (quant !== null && quant.scales.length > 0) {
      plan.quantScale = quant.scales;
      plan.quantZero = quant.zeros;
      plan.quantInner = quant.inner;
    }
    if (dt == DT_I4 || dt == DT_U4) plan.elements = n;
  }
  tensor.plan = plan;
  f.tensor = tensor;
  return f;
}

class Quant {
  json: JObj = new JObj();
  scales: f64[] = [];
  zeros: f64[] = [];
  inner: u64 = 1;
}

function readQuant(r: FbReader, t: FbTable, name: string, shape: u64[]): Quant | null {
  const qt = r.tableF(t, T_QUANTIZATION);
  if (qt === null) return null;
  const q = new Quant();
  const sc = r.vectorF(qt, Q_SCALE, 4);
  const zp = r.vectorF(qt, Q_ZERO_POINT, 8);
  const mn = r.vectorF(qt, Q_MIN, 4);
  const mx = r.vectorF(qt, Q_MAX, 4);
  const axis = r.i32f(qt, Q_QUANTIZED_DIMENSION, 0);
  const details = r.u8f(qt, Q_DETAILS_TYPE, 0);
  if (!r.ok) return null;
  const ns: u32 = sc === null ? 0 : sc.length;
  const nz: u32 = zp === null ? 0 : zp.length;
  if (ns == 0 && nz == 0 && mn === null && mx === null && details == 0) return null;
  if (ns > MAX_CHANNELS) { r.fail(E_CORRUPT, "tensor \"" + name + "\" has " + ns.toString() + " quantization scales", qt.pos); return null; }
  const js = new JArr();
  const jz = new JArr();
  for (let i: u32 = 0; i < ns; i++) { const s = r.f32At(sc!, i); q.scales.push(<f64>s); if (i < 64) js.push(new JFloat(<f64>s)); }
  for (let i: u32 = 0; i < nz && i < MAX_CHANNELS; i++) { const z = r.i64At(zp!, i); q.zeros.push(<f64>z); if (i < 64) jz.push(new JInt(z)); }
  if (!r.ok) return null;
  q.json.set("scale", js);
  q.json.set("zero_point", jz);
  if (ns > 64) q.json.setInt("scale_count", ns);
  if (mn !== null && mn.length > 0 && mn.length <= 64) { const a = new JArr(); for (let i: u32 = 0; i < mn.length; i++) a.push(new JFloat(<f64>r.f32At(mn, i))); q.json.set("min", a); }
  if (mx !== null && mx.length > 0 && mx.length <= 64) { const a = new JArr(); for (let i: u32 = 0; i < mx.length; i++) a.push(new JFloat(<f64>r.f32At(mx, i))); q.json.set("max", a); }
  if (details != 0) {
    // Custom / blockwise / multi-axis schemes: listed, not applied.
    q.json.setInt("details_type", details);
    q.scales = [];
    return q;
  }
  if (ns == 0) return q;
  if (nz != 0 && nz != ns) { r.fail(E_CORRUPT, "tensor \"" + name + "\" has " + ns.toString() + " scales but " + nz.toString() + " zero points", qt.pos); return null; }
  if (nz == 0) for (let i: u32 = 0; i < ns; i++) q.zeros.push(0);
  if (ns > 1) {
    if (axis < 0 || axis >= shape.length) { r.fail(E_CORRUPT, "tensor \"" + name + "\" is quantized along axis " + axis.toString() + " of a rank-" + shape.length.toString() + " shape", qt.pos); return null; }
    if (shape[axis] != <u64>ns) { r.fail(E_CORRUPT, "tensor \"" + name + "\" has " + ns.toString() + " scales for axis " + axis.toString() + " of size " + shape[axis].toString(), qt.pos); return null; }
    q.json.setInt("quantized_dimension", axis);
    q.inner = shapeElements(shape.slice(axis + 1)); // MAX on overflow: the size check then fails
  }
  return q;
}

export { JStr };
