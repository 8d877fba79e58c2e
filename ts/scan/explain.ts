// One plain sentence per finding: what the file would do when loaded with its usual loader. The
// sentence is written by the core (every finding in the index carries it as `impact`); these
// wrappers ask the core for findings made outside an index and for the loader's name.

import { init } from "../open.ts";
import type { Core } from "../core.ts";
import type { Finding } from "../model.ts";
import { severityRank } from "../model.ts";

let core: Core | null = null;

/** Loads the core so that the synchronous helpers below can use it. */
export async function ready(): Promise<void> {
  core = await init();
}

function need(): Core {
  if (!core) throw new Error("call `await ready()` (or open a model) before using the scanner's sentence helpers");
  return core;
}

export function loaderFor(format: string | null): string {
  const c = need();
  const e = c.exports as unknown as { format_loader(p: number, l: number): number; scratch_length(): number };
  const ptr = c.withString(format ?? "", (p, l) => e.format_loader(p, l));
  return c.string(ptr, e.scratch_length() >>> 0);
}

/** The finding's own `impact` when the core wrote one, else the core's sentence for it. */
export function impactOf(f: Finding & { impact?: string }, format: string | null): string {
  if (typeof f.impact === "string" && f.impact.length) return f.impact;
  const c = need();
  const e = c.exports as unknown as { finding_impact(...a: number[]): number; scratch_length(): number; alloc(n: number): number; free(p: number): void };
  const [cp, cl] = c.putString(f.code);
  const [mp, ml] = c.putString(f.message);
  const [fp, fl] = c.putString(format ?? "");
  try {
    const ptr = e.finding_impact(severityRank(f.severity), cp, cl, mp, ml, fp, fl);
    return c.string(ptr, e.scratch_length() >>> 0);
  } finally {
    e.free(cp);
    e.free(mp);
    e.free(fp);
  }
}
