// TF1 "V1" checkpoints (tensor_slice_writer.cc, saved_tensor_slice.proto): one SSTable file.
// Key "" holds SavedTensorSlices {1 meta: SavedTensorSliceMeta {1 tensor*: SavedSliceMeta
// {1 name, 2 shape, 3 type, 4 slice*}}}; the other keys hold SavedTensorSlices {2 data: SavedSlice
// {1 name, 2 slice, 3 data: TensorProto with typed fields}}. Values are read from the file when
// their block is stored uncompressed; in a Snappy block they are listed but not readable.

import { Context, ST_DONE } from "../../core/context";
import { Finding, Tensor } from "../../core/model";
import { JObj } from "../../util/json";
import { PbError, PbMsg, parseMsg, subMsg } from "../../protobuf/wire";
import { SstTable } from "./sstable";
import { readShape, tfTensor, TensorOut } from "./types";

class Slice {
  constructor(public msg: PbMsg, public full: bool, public readable: bool) {}
}

export function readV1(ctx: Context, table: SstTable, tensors: Tensor[], findings: Finding[], meta: JObj): i32 {
  const err = new PbError();
  let header: PbMsg | null = null;
  const slices = new Map<string, Slice[]>();
  for (let i = 0; i < table.entries.length; i++) {
    const e = table.entries[i];
    const inFile = e.fileOffset != u64.MAX_VALUE;
    const m = parseMsg(changetype<usize>(e.value), <usize>e.value.length, inFile ? e.fileOffset : 0, err, "SavedTensorSlices");
    if (m === null) return ctx.fail(err.code, err.message, err.offset);
    if (e.key.length == 0) { header = m; continue; }
    const df = m.last(2);
    if (df === null) continue;
    const sm = subMsg(df, err, "SavedSlice");
    if (sm === null) return ctx.fail(err.code, err.message, err.offset);
    const name = sm.str(1);
    let full = true;
    const sl = sm.last(2);
    if (sl !== null) {
      const tm = subMsg(sl, err, "TensorSliceProto");
      if (tm === null) return ctx.fail(err.code, err.message, err.offset);
      const ex = tm.all(1);
      for (let k = 0; k < ex.length; k++) {
        const xm = subMsg(ex[k], err, "TensorSliceProto.Extent");
        if (xm === null) return ctx.fail(err.code, err.message, err.offset);
        if (xm.has(2)) full = false; // an explicit length: a part of the tensor
      }
    }
    const tf = sm.last(3);
    if (tf === null) continue;
    const tm = subMsg(tf, err, "TensorProto");
    if (tm === null) return ctx.fail(err.code, err.message, err.offset);
    if (!slices.has(name)) slices.set(name, []);
    slices.get(name).push(new Slice(tm, full, inFile));
  }
  if (header === null) return ST_DONE;
  const mf = header.last(1);
  if (mf === null) return ST_DONE;
  const mm = subMsg(mf, err, "SavedTensorSliceMeta");
  if (mm === null) return ctx.fail(err.code, err.message, err.offset);
  const metas = mm.all(1);
  for (let i = 0; i < metas.length; i++) {
    const sm = subMsg(metas[i], err, "SavedSliceMeta");
    if (sm === null) return ctx.fail(err.code, err.message, err.offset);
    const name = sm.str(1);
    const type = sm.i32v(3, 0);
    const shf = sm.last(2);
    let shapeMsg = new PbMsg();
    if (shf !== null) {
      const s = subMsg(shf, err, "TensorShapeProto");
      if (s === null) return ctx.fail(err.code, err.message, err.offset);
      shapeMsg = s;
    }
    const shape = readShape(shapeMsg, err);
    if (shape === null) return ctx.fail(err.code, err.message, err.offset);
    const parts = slices.has(name) ? slices.get(name) : new Array<Slice>();
    const usable = parts.length == 1 && parts[0].full;
    const out = new TensorOut();
    const st = tfTensor(ctx, 0, usable ? parts[0].msg : new PbMsg(), name, findings, out, shape, type);
    if (st != ST_DONE) return st;
    const t = out.tensor!;
    const info = t.info!;
    info.setInt("slices", parts.length);
    const plan = t.plan!;
    if (!usable) plan.unreadable = parts.length == 0 ? "the checkpoint holds no data for it" : "it is stored as " + parts.length.toString() + " partial slices";
    else if (!parts[0].readable) plan.unreadable = "its values are inside a Snappy-compressed table block";
    tensors.push(t);
  }
  meta.setStr("version", "V1 (SavedTensorSlices)");
  return ST_DONE;
}
