// Archive and compressed-stream formats that are not read here (7-Zip, RAR, zstd). A member holding one (a 7-Zip
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
  if (starts(p, n, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd-compressed data";
  // xz and bzip2 streams are not listed: the joblib module claims them (compressed dumps) and a
  // member it cannot open is reported by the scanner as unreadable, which is incomplete too
  return "";
}

/** A scan-incomplete finding for a member (of `container`, "zip" or "tar") that is such a container. */
export function reportUnreadMember(ctx: Context, container: string, name: string, p: usize, n: usize): void {
  const what = unreadContainer(p, n);
  if (what.length) reportUnread(ctx, container, name, what);
}

/** The finding for a member already found to be `what` (see unreadContainer). */
export function reportUnread(ctx: Context, container: string, name: string, what: string): void {
  ctx.index.addFinding(SEV_MEDIUM, "scan-incomplete", container + ": member \"" + name + "\" was not scanned: it is " + what + ", which is not read here (extract it and scan what it holds).", name);
}
