// A zip that no flavor claims: listed as an archive whose members are children, so a host can
// open any member that is itself a model.

import { Context, ST_DONE } from "../../core/context";
import { ZipArchive } from "../../containers/zip";
import { zipChild } from "./children";
import { ZipFlavor } from "./zipflavor";

export class GenericZipFlavor extends ZipFlavor {
  get id(): string { return "zip"; }

  matches(a: ZipArchive): i32 { return 1; }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "zip";
    return listChildren(ctx, a);
  }
}

export function listChildren(ctx: Context, a: ZipArchive): i32 {
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    if (e.isDir()) continue;
    const st = zipChild(ctx, a, e);
    if (st != ST_DONE) return st;
  }
  return ST_DONE;
}
