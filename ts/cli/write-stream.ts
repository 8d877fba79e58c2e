// Writes a stream of chunks to a file through `PATH.partial`, renamed into place only when every
// chunk was written, so an interrupted or failed run never leaves a truncated file under the name.

import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { OmnimodelError } from "../errors.ts";

/** Refuses an output path whose folder does not exist (one clear line instead of a raw ENOENT). */
export function checkOutputPath(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new OmnimodelError("IO", `cannot write ${path}: the folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new OmnimodelError("IO", `cannot write ${path}: ${dir} is not a folder`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new OmnimodelError("IO", `cannot write ${path}: it is a folder`);
}

export async function writeStream(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  checkOutputPath(path);
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, "w");
  try {
    for await (const c of chunks) {
      let done = 0;
      while (done < c.byteLength) done += writeSync(fd, c, done, c.byteLength - done);
    }
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
