// TorchScript archives (torch.jit.save): the module's attributes in data.pkl with storages in
// data/, tensor constants in constants.pkl with storages in constants/, and the TorchScript code
// under code/ (listed and flagged: torch.jit.load compiles it, __setstate__ methods run at load).

import { Context, ST_DONE } from "../../core/context";
import { SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL } from "../../core/model";
import { ZipArchive } from "../../containers/zip";
import { ZipFlavor } from "../archive/zipflavor";
import { strArray } from "../../core/model";
import { indexTorchRecord, memberBytes, torchPrefix, scanOtherPickles } from "./pytorch";
import { scanZipMember, memberWasPickle } from "./pickle";

export class TorchScriptFlavor extends ZipFlavor {
  get id(): string { return "torchscript"; }

  matches(a: ZipArchive): i32 {
    const pre = torchPrefix(a, "data.pkl");
    if (pre === null) return 0;
    if (a.find(pre + "constants.pkl") || a.find(pre + "bytecode.pkl")) return 120;
    for (let i = 0; i < a.entries.length; i++) if (a.entries[i].name.startsWith(pre + "code/")) return 120;
    return 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    const pre = torchPrefix(a, "data.pkl")!;
    ctx.index.format = "torchscript";
    ctx.index.formatVersion = "zip";
    let st = indexTorchRecord(ctx, a, a.find(pre + "data.pkl")!, pre + "data/", "", false, "pickle");
    if (st != ST_DONE) return st;
    const c = a.find(pre + "constants.pkl");
    if (c) {
      st = indexTorchRecord(ctx, a, c, pre + "constants/", "constants", false, "constants");
      if (st != ST_DONE) return st;
    }
    const code = new Array<string>();
    let setstate = false;
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (!e.name.startsWith(pre + "code/") || e.isDir()) continue;
      code.push(e.name.substring(pre.length));
      if (e.name.endsWith(".py") && e.usize <= 1 << 20) {
        const mb = memberBytes(ctx, a, e);
        if (mb.status != ST_DONE) return mb.status;
        const text = String.UTF8.decodeUnsafe(mb.ptr, mb.len, false);
        if (text.indexOf("def __setstate__") >= 0) setstate = true;
      }
    }
    ctx.index.metadata.set("code", strArray(code));
    if (code.length) {
      ctx.index.addFinding(SEV_MEDIUM, "torchscript-code", code.length.toString() + " TorchScript code file(s): torch.jit.load compiles them and running the module executes them (shown, never run)", pre + "code/");
    }
    if (setstate) {
      ctx.index.addFinding(SEV_HIGH, "torchscript-setstate", "a TorchScript class defines __setstate__, which runs while torch.jit.load restores the module", pre + "code/");
    }
    return scanOtherPickles(ctx, a, a.find(pre + "data.pkl")!, pre + "data/");
  }
}

// torch.package archives: Python sources the importer executes, pickles, TorchScript under
// .data/ts_code/. Never imported here: the sources are listed and every pickle is scanned.
export class TorchPackageFlavor extends ZipFlavor {
  get id(): string { return "torch-package"; }

  matches(a: ZipArchive): i32 {
    for (let i = 0; i < a.entries.length; i++) {
      const n = a.entries[i].name;
      if (n.endsWith("/.data/extern_modules") || n == ".data/extern_modules") return 130;
    }
    return 0;
  }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "pytorch";
    ctx.index.formatVersion = "torch.package";
    const sources = new Array<string>();
    for (let i = 0; i < a.entries.length; i++) {
      const e = a.entries[i];
      if (e.isDir()) continue;
      if (e.name.endsWith(".py")) { sources.push(e.name); continue; }
      const st = scanZipMember(ctx, a, e);
      if (st != ST_DONE) return st;
    }
    ctx.index.metadata.set("python_sources", strArray(sources));
    if (sources.length) {
      ctx.index.addFinding(SEV_CRITICAL, "torch-package-source", sources.length.toString() + " Python source module(s): torch.package's importer executes them when the package is loaded (shown, never run)", sources[0]);
    }
    return ST_DONE;
  }
}
