// Zip archives: one module reads the directory, then the flavor whose member names match
// indexes it (npz, PyTorch, TorchScript, Keras 3, TorchServe, ...). Adding a zip-based format =
// one ZipFlavor + one line in FLAVORS.

import { Context, ST_DONE } from "../../core/context";
import { openZip, isZipHead, ZipArchive } from "../../containers/zip";
import { FormatModule, Sniff, SNIFF_MAGIC, SNIFF_NO } from "../format";
import { ZipFlavor } from "./zipflavor";
import { NpzFlavor } from "../numpy/npz";
import { GenericZipFlavor } from "./zipgeneric";
import { KerasZipFlavor } from "../keras/keras";
import { TorchServeZipFlavor } from "../torchserve/torchserve";
import { PyTorchZipFlavor } from "../pickle/pytorch";
import { TorchScriptFlavor, TorchPackageFlavor } from "../pickle/torchscript";
import { PickleZipFlavor } from "../pickle/pickle";
import { Pt2Flavor } from "../torchexport/pt2";

const FLAVORS: ZipFlavor[] = [
  new NpzFlavor(),
  new Pt2Flavor(),
  new KerasZipFlavor(),
  new TorchServeZipFlavor(),
  new TorchPackageFlavor(),
  new TorchScriptFlavor(),
  new PyTorchZipFlavor(),
  new PickleZipFlavor(),
  new GenericZipFlavor(),
];

export class ZipFormat extends FormatModule {
  get id(): string { return "zip"; }

  sniff(s: Sniff): i32 {
    if (isZipHead(s.head, s.headLen)) return SNIFF_MAGIC;
    // An end-of-central-directory record near the end: a zip with data prepended.
    if (s.tailLen >= 22) {
      for (let i = <i64>s.tailLen - 22; i >= 0; i--) {
        if (load<u32>(s.tail + <usize>i) == 0x06054b50) return SNIFF_MAGIC - 20;
      }
    }
    return SNIFF_NO;
  }

  index(ctx: Context): i32 {
    const z = openZip(ctx, 0);
    if (z.status != ST_DONE) return z.status;
    const a = z.archive!;
    let best: ZipFlavor | null = null;
    let bestScore = 0;
    for (let i = 0; i < FLAVORS.length; i++) {
      const sc = FLAVORS[i].matches(a);
      if (sc > bestScore) { bestScore = sc; best = FLAVORS[i]; }
    }
    return best!.index(ctx, a);
  }
}