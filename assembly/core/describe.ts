// Names what an unrecognised file looks like, so the error helps ("this is an HTML page")
// instead of saying only "unknown format".

import { Sniff } from "../formats/format";

export function describeUnknown(s: Sniff): string {
  if (s.size == 0) return "the file is empty";
  if (s.startsWith("version https://git-lfs.github.com/spec/")) {
    return "this is a Git LFS pointer file, not the model itself: fetch the real file (git lfs pull)";
  }
  let lower = "";
  const n = s.headLen < 512 ? s.headLen : 512;
  let skip: usize = 0;
  while (skip < n && (load<u8>(s.head + skip) <= 0x20)) skip++;
  lower = String.UTF8.decodeUnsafe(s.head + skip, n - skip, false).toLowerCase();
  if (lower.startsWith("<!doctype html") || lower.startsWith("<html") || lower.indexOf("<head>") >= 0) {
    return "this is an HTML page (often a login or error page saved instead of the model)";
  }
  if (s.startsWith("\x7fELF")) return "this is an ELF executable or library, not a model file";
  if (s.startsWith("MZ")) return "this looks like a Windows executable, not a model file";
  if (s.startsWith("\x89PNG")) return "this is a PNG image, not a model file";
  if (s.startsWith("SQLite format 3")) return "this is an SQLite database, not a model file";
  let zeros = true;
  let text = true;
  for (let i: usize = 0; i < s.headLen; i++) {
    const c = load<u8>(s.head + i);
    if (c != 0) zeros = false;
    if (c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b)) text = false;
  }
  if (zeros) return "the file starts with " + s.headLen.toString() + " zero bytes (a placeholder or an incomplete download)";
  if (text) return "this is a text file that no model format recognises";
  return "no model format recognises this content";
}
