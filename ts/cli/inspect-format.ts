// How the human `inspect` shows values: strings cut at a word boundary (never mid-word) with
// their full length said, GGUF metadata arrays as `[64000 × string: "<unk>", "<s>", ...]`, and
// parameter counts per dtype.

import type { Model } from "../model.ts";

export const PREVIEW_ITEMS = 3;
const WIDTH = 100;

/** A GGUF metadata array the core left in the file: {type: "ARRAY[STRING]", length, offset}. */
export interface ArrayDescriptor {
  type: string;
  length: number;
  offset: number;
}

export function arrayDescriptor(v: unknown): ArrayDescriptor | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.type !== "string" || !/^ARRAY\[/.test(o.type) || typeof o.length !== "number") return null;
  return o as unknown as ArrayDescriptor;
}

/** "ARRAY[STRING]" -> "string", "ARRAY[FLOAT32]" -> "float32", "ARRAY[ARRAY[...]]" -> "array". */
function itemType(t: string): string {
  const inner = t.slice("ARRAY[".length, -1);
  return inner.startsWith("ARRAY") ? "array" : inner.toLowerCase();
}

/** `[64000 × string: "<unk>", "<s>", "</s>", ...]`; without items (remote, nested): `[64000 × string]`. */
export function arrayText(d: ArrayDescriptor, items: ArrayLike<unknown> | null): string {
  const head = `${d.length.toLocaleString("en-US")} × ${itemType(d.type)}`;
  if (!items || items.length === 0) return `[${head}]`;
  const bool = itemType(d.type) === "bool";
  const shown = Array.from(items, (x) =>
    typeof x === "string" ? JSON.stringify(cut(x, 40))
    : bool ? String(Boolean(x))
    : Object.is(x, -0) ? "-0"
    : String(x));
  return `[${head}: ${shown.join(", ")}${d.length > items.length ? ", ..." : ""}]`;
}

/** Cuts `s` to about `width` characters at the last space (or punctuation) before it, never inside a word. */
export function cut(s: string, width = WIDTH): string {
  if (s.length <= width) return s;
  const room = s.slice(0, width - 1);
  const at = Math.max(room.lastIndexOf(" "), room.lastIndexOf(","), room.lastIndexOf(";"), room.lastIndexOf("\\n"));
  // no break in a long token (a hash, a path): cut it whole at the width rather than not at all
  const end = at >= width / 2 ? at : width - 1;
  return s.slice(0, end).trimEnd() + "…";
}

/** One metadata value on one line: newlines shown as \n, long text cut at a word with its length. */
export function valueText(v: unknown, full: boolean): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  if (s === undefined) return String(v);
  if (full) return s;
  const oneLine = s.replace(/\r?\n/g, "\\n");
  if (oneLine.length <= WIDTH) return oneLine;
  return `${cut(oneLine)} (${s.length.toLocaleString("en-US")} chars; --full shows all)`;
}

/** "212 (F32 212)" or "7,241,732,096 (Q4_K 6,979,321,856, F32 262,410,240)". */
export function parameterText(m: Model): string {
  const by = Object.entries(m.parametersByDtype);
  const total = m.parameterCount.toLocaleString("en-US");
  if (!by.length) return total;
  return `${total} (${by.map(([d, n]) => `${d} ${n.toLocaleString("en-US")}`).join(", ")})`;
}

/** The first items of each metadata array, read only as far as needed (local sources only). */
export async function arrayPreviews(m: Model, remote: boolean): Promise<Map<string, ArrayLike<unknown>>> {
  const out = new Map<string, ArrayLike<unknown>>();
  if (remote) return out; // a preview would cost a Range request per array; --json has the descriptors
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    const d = arrayDescriptor(v);
    if (!d || itemType(d.type) === "array") continue;
    try {
      out.set(k, await m.metadataArray(k, { limit: PREVIEW_ITEMS }));
    } catch {
      // an unreadable array is shown by its length alone; the findings say why
    }
  }
  return out;
}
