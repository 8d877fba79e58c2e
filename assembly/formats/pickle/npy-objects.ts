// Object arrays (`|O`) in .npy/.npz: the data is a pickle that numpy.load runs when
// allow_pickle=True. Listed, never executed: the pickle machine reads it, the objects go to
// metadata and every global it imports is classified like any other pickle's.

import { Context, ST_DONE } from "../../core/context";
import { Segment, SEV_MEDIUM } from "../../core/model";
import { looksLikePickle, MAX_PICKLE_BYTES } from "./pickle";
import { runPickles, foldAndScan, addFindings, pickleFacts } from "../../pickle/bridge";
import { SNIFF_NO } from "../format";

export function onObjectArray(ctx: Context, src: i32, offset: u64, length: u64, name: string): i32 {
  const where = name.length ? name : "offset " + offset.toString();
  if (length == 0 || length > MAX_PICKLE_BYTES) return objectArrayNotRead(ctx, name, where, length);
  const p = ctx.viewOf(src, offset, length);
  if (!p) return ctx.truncated("an object array's pickle", offset);
  return scanObjectArray(ctx, p, <usize>length, name, where);
}

// An object array whose bytes are at hand (a stored .npy, or a compressed .npz member the caller
// decoded): its pickle is scanned with the same policy as any other.
export function onObjectArrayBytes(ctx: Context, p: usize, length: usize, name: string, where: string): i32 {
  if (length == 0 || <u64>length > MAX_PICKLE_BYTES) return objectArrayNotRead(ctx, name, where, <u64>length);
  return scanObjectArray(ctx, p, length, name, where);
}

function announce(ctx: Context, name: string, where: string): void {
  ctx.index.addFinding(SEV_MEDIUM, "pickled-object-array",
    "The array" + (name.length ? " \"" + name + "\"" : "") + " holds Python objects stored as a pickle; numpy.load(allow_pickle=True) would run it.",
    where);
}

function objectArrayNotRead(ctx: Context, name: string, where: string, length: u64): i32 {
  announce(ctx, name, where);
  if (length > MAX_PICKLE_BYTES) {
    ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "The object array" + (name.length ? " \"" + name + "\"" : "") + "'s pickle of " + length.toString() + " bytes is above the " + MAX_PICKLE_BYTES.toString() + "-byte limit and was not scanned.", where);
  }
  return ST_DONE;
}

function scanObjectArray(ctx: Context, p: usize, length: usize, name: string, where: string): i32 {
  announce(ctx, name, where);
  // numpy writes the array with pickle.dump: anything else is not what numpy.load reads either,
  // but pickle.load would still run it, so only bytes no pickle can start with are skipped
  if (looksLikePickle(p, length, <i32>load<u8>(p + length - 1)) == SNIFF_NO && load<u8>(p) != 0x80) {
    ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", "The object array" + (name.length ? " \"" + name + "\"" : "") + "'s data does not start like a pickle and was not scanned.", where);
    return ST_DONE;
  }
  const o = foldAndScan(runPickles(p, length, 1), p, length);
  addFindings(ctx.index, o.report, where);
  const key = name.length ? name + ".pickle" : "pickle";
  ctx.index.metadata.set(key, pickleFacts(o));
  // the pickle is the object ndarray itself: show its elements, not a reference to it
  let objects = o.fold.metadata;
  if (o.fold.tensors.length && o.fold.tensors[0].extra.has("objects")) objects = o.fold.tensors[0].extra.get("objects")!;
  ctx.index.metadata.set(name.length ? name + ".objects" : "objects", objects);
  return ST_DONE;
}

export { Segment };
