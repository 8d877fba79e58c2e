// Object arrays (`|O`) in .npy/.npz: the data is a pickle that numpy.load runs when
// allow_pickle=True. Listed, never executed; the pickle machine reads it when it is available.

import { Context, ST_DONE } from "../core/context";
import { SEV_MEDIUM } from "../core/model";

export function onObjectArray(ctx: Context, src: i32, offset: u64, length: u64, name: string): i32 {
  ctx.index.addFinding(SEV_MEDIUM, "pickled-object-array",
    "The array" + (name.length ? " \"" + name + "\"" : "") + " holds Python objects stored as a pickle; numpy.load(allow_pickle=True) would run it.",
    name.length ? name : "offset " + offset.toString());
  return ST_DONE;
}
