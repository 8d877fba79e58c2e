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
  ctx.index.addFinding(SEV_MEDIUM, "pickled-object-array",
    "The array" + (name.length ? " \"" + name + "\"" : "") + " holds Python objects stored as a pickle; numpy.load(allow_pickle=True) would run it.",
    where);
  if (length == 0 || length > MAX_PICKLE_BYTES) return ST_DONE;
  const p = ctx.viewOf(src, offset, length);
  if (!p) return ctx.truncated("an object array's pickle", offset);
  // a deflated .npz member is handed over in its stored form: only plain pickles are read here
  if (looksLikePickle(p, <usize>length, <i32>load<u8>(p + <usize>length - 1)) == SNIFF_NO && load<u8>(p) != 0x80) return ST_DONE;
  const o = foldAndScan(runPickles(p, <usize>length, 1), p, <usize>length);
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
