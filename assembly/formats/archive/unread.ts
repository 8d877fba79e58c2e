// Archive and compressed-stream formats that are not read here. A member holding one (a 7-Zip
// archive of a torch checkpoint inside a zip, as the "nullifAI" models were) cannot be scanned,
// so it is a scan-incomplete finding rather than a silently skipped member.

import { Context } from "../../core/context";
import { SEV_MEDIUM } from "../../core/model";

function at(p: usize, n: usize, i: usize): i32 {
  return i < n ? <i32>load<u8>(p + i) : -1;
}

function starts(p: usize, n: usize, bytes: i32[]): bool {
  for (let i = 0; i < bytes.length; i++) if (at(p, n, <usize>i) != bytes[i]) return false;
  return true;
}

/** What the bytes are when they start a container that is not read here, else "". */
export function unreadContainer(p: usize, n: usize): string {
  if (starts(p, n, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return "a 7-Zip archive";
  if (starts(p, n, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return "a RAR archive";
  if (starts(p, n, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz-compressed data";
  if (starts(p, n, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd-compressed data";
  // "BZh" + level 1-9 + the block magic 0x314159265359: three letters alone would match text
  if (starts(p, n, [0x42, 0x5a, 0x68]) && at(p, n, 3) >= 0x31 && at(p, n, 3) <= 0x39 && starts(p + 4, n < 4 ? 0 : n - 4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59])) return "bzip2-compressed data";
  return "";
}

/** A scan-incomplete finding for a member (of `container`, "zip" or "tar") that is such a container. */
export function reportUnreadMember(ctx: Context, container: string, name: string, p: usize, n: usize): void {
  const what = unreadContainer(p, n);
  if (!what.length) return;
  ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", container + ": member \"" + name + "\" was not scanned: it is " + what + ", which is not read here (extract it and scan what it holds).", name);
}
