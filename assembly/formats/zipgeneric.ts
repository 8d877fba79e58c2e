// A zip that no flavor claims: listed as an archive whose members are children, so a host can
// open any member that is itself a model.

import { Context, ST_DONE } from "../core/context";
import { ZipArchive } from "../containers/zip";
import { Child, CODEC_DEFLATE, CODEC_NONE } from "../core/model";
import { ZipFlavor } from "./zipflavor";

export class GenericZipFlavor extends ZipFlavor {
  get id(): string { return "zip"; }

  matches(a: ZipArchive): i32 { return 1; }

  index(ctx: Context, a: ZipArchive): i32 {
    ctx.index.format = "zip";
    listChildren(ctx, a);
    return ST_DONE;
  }
}

export function listChildren(ctx: Context, a: ZipArchive): void {
  for (let i = 0; i < a.entries.length; i++) {
    const e = a.entries[i];
    if (e.isDir()) continue;
    const c = new Child(e.name);
    c.source = a.source;
    c.offset = e.localOffset;
    c.length = e.csize;
    c.codec = e.method == 8 ? CODEC_DEFLATE : CODEC_NONE;
    c.size = e.usize;
    ctx.index.children.push(c);
  }
}
