// Headerless weight files that only their companion describes: a TF.js shard
// ("group1-shard1of2.bin", "weights.bin") is raw little-endian values whose names, dtypes and
// shapes live in the model.json beside it. Detection can never claim such bytes by content, so
// this module answers below every content match, from the name alone, and opens the model
// through its companion (the tfjs reader then reads every shard). Without the companion the
// error names it.

import { Context, SOURCE_FAILED, SOURCE_PENDING, ST_DONE, ST_FAILED, ST_PENDING } from "../../core/context";
import { E_SOURCE_MISSING, E_UNKNOWN_FORMAT } from "../../core/errors";
import { Index, SEV_INFO } from "../../core/model";
import { FormatModule, Sniff, SNIFF_NO, formatWithId } from "../format";
import { SourceContext, moveSources } from "../json/json-shards";

// Below SNIFF_NAME_ONLY: any content match, and any reader claiming a broken file by its own
// extension, wins.
const SNIFF_COMPANION: i32 = 1;

export function isTfjsShardName(name: string): bool {
  const b = name.substring(name.lastIndexOf("/") + 1).toLowerCase();
  const i = b.indexOf("-shard");
  return (b.startsWith("group") && i > 5 && b.indexOf("of", i) > i) || b == "weights.bin";
}

class CompanionMemo {
  constructor(public memo: Map<string, Object>) {}
}

export class HeaderlessFormat extends FormatModule {
  get id(): string { return "headerless"; }

  sniff(s: Sniff): i32 { return isTfjsShardName(s.name) ? SNIFF_COMPANION : SNIFF_NO; }

  index(ctx: Context): i32 {
    const companion = "model.json";
    const src = ctx.sibling(companion, "the TF.js weight shard's manifest");
    if (src == SOURCE_PENDING) return ST_PENDING;
    if (src == SOURCE_FAILED) {
      return ctx.fail(E_SOURCE_MISSING, "\"" + ctx.name + "\" looks like a TF.js weight shard, raw values with no header of its own; it can only be read through the model.json next to it, which is not available", 0);
    }
    const tfjs = formatWithId("tfjs");
    if (!tfjs) return ctx.fail(E_UNKNOWN_FORMAT, "\"" + ctx.name + "\" looks like a TF.js weight shard; open the model.json next to it", 0);
    let memo: Map<string, Object>;
    const key = "companion-memo";
    if (ctx.memo.has(key)) memo = changetype<CompanionMemo>(ctx.memo.get(key)).memo;
    else { memo = new Map<string, Object>(); ctx.memo.set(key, new CompanionMemo(memo)); }
    const sub = new SourceContext(ctx.reader, src, companion, memo);
    sub.index = new Index();
    const st = tfjs.index(sub);
    if (st == ST_PENDING || ctx.reader.pending()) return ST_PENDING;
    if (st == ST_FAILED || sub.errorCode != 0) return ctx.fail(sub.errorCode, companion + ": " + sub.errorMessage, sub.errorOffset);
    moveSources(sub.index, src);
    ctx.index = sub.index;
    ctx.index.addFinding(SEV_INFO, "opened-through-companion", "\"" + ctx.name + "\" is a TF.js weight shard with no header; the model was opened through model.json, which describes every shard.", companion);
    return ST_DONE;
  }
}
