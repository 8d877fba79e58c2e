// A kind of zip archive, recognised by its member names.

import { Context } from "../../core/context";
import { ZipArchive } from "../../containers/zip";

export abstract class ZipFlavor {
  abstract get id(): string;
  // 0 = not this flavor; higher wins. The generic flavor answers 1.
  abstract matches(a: ZipArchive): i32;
  abstract index(ctx: Context, a: ZipArchive): i32;
}
