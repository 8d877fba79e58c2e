// What the fuzzer does with one input, and how it names the result. Everything a user can do
// with a model is driven, with bounds: open (which indexes and scans), read tensors in their
// stored dtype and converted to F32, stream the ones too large for one read, string tensors,
// large metadata arrays, and archive members opened as models of their own.
//
// Outcomes: ok (everything worked), typed (an OmnimodelError somewhere, which is the promise
// for bad input), untyped (any other exception), trap (WebAssembly.RuntimeError: the core hit
// `unreachable`, an out-of-bounds access or a failed allocation). The supervisor adds timeout,
// oom and crash.
import { basename, dirname, resolve } from "node:path";

const MAX_TENSORS = 24;
const MAX_CONVERTED = 4;
const MAX_CHILDREN = 4;
const MAX_METADATA_ARRAYS = 4;
/** Bytes one input may read in total; tensors beyond it are streamed up to CHUNK_BUDGET. */
export const READ_BUDGET = 256 * 1024 * 1024;
const CHUNK_BUDGET = 32 * 1024 * 1024;

export function isTyped(e, OmnimodelError) {
  return e instanceof OmnimodelError || (e?.name === "OmnimodelError" && typeof e?.code === "string");
}

const RANK = { ok: 0, typed: 1, untyped: 2, trap: 3 };

/** Collects the worst outcome seen while exercising one input. */
class Tally {
  constructor(OmnimodelError) {
    this.E = OmnimodelError;
    this.outcome = "ok";
    this.first = null; // the first error of the worst kind
    this.codes = new Set();
  }
  /** Records an error; returns true when exercising should stop (the core may be unusable). */
  error(e, where) {
    const kind = isTyped(e, this.E) ? "typed" : e instanceof WebAssembly.RuntimeError ? "trap" : "untyped";
    if (kind === "typed") this.codes.add(e.code);
    if (RANK[kind] > RANK[this.outcome]) {
      this.outcome = kind;
      this.first = { where, name: e?.name ?? typeof e, code: e?.code, message: String(e?.message ?? e).slice(0, 2000), stack: String(e?.stack ?? "").slice(0, 4000) };
    }
    return kind === "trap" || kind === "untyped";
  }
}

async function attempt(tally, where, fn) {
  try {
    await fn();
    return true;
  } catch (e) {
    if (tally.error(e, where)) throw new StopExercise();
    return false;
  }
}

class StopExercise extends Error {}

async function exerciseModel(model, tally, state, depth) {
  let converted = 0;
  for (const t of model.tensors.slice(0, MAX_TENSORS)) {
    if (t.dtype === "STR") {
      await attempt(tally, `strings(${t.name})`, () => t.strings());
      continue;
    }
    let n = 0;
    if (!(await attempt(tally, `outputByteLength(${t.name})`, async () => { n = t.outputByteLength(); }))) continue;
    let whole = false;
    // Over the cap, read() must refuse with a typed error before allocating anything.
    if (n > state.cap || state.read + n <= READ_BUDGET) {
      whole = await attempt(tally, `read(${t.name})`, async () => {
        const v = await t.read({ maxBytes: state.cap });
        state.read += v.byteLength;
      });
    }
    if (!whole) {
      // Too large for one array (or over this input's budget): the bounded way must work.
      await attempt(tally, `chunks(${t.name})`, async () => {
        let got = 0;
        for await (const c of t.chunks()) {
          got += c.byteLength;
          if (got >= CHUNK_BUDGET) break;
        }
      });
    }
    if (t.dtype !== "F32" && converted < MAX_CONVERTED) {
      converted++;
      await attempt(tally, `read(${t.name}, F32)`, async () => {
        const n = t.outputByteLength({ dtype: "F32" });
        if (state.read + n > READ_BUDGET) return;
        const v = await t.read({ dtype: "F32", maxBytes: state.cap });
        state.read += v.byteLength;
      });
    }
  }
  let arrays = 0;
  for (const [key, v] of Object.entries(model.metadata ?? {})) {
    if (arrays >= MAX_METADATA_ARRAYS) break;
    if (v && typeof v === "object" && "length" in v && "offset" in v && "type" in v) {
      arrays++;
      await attempt(tally, `metadataArray(${key})`, () => model.metadataArray(key));
    }
  }
  if (depth >= 2) return;
  for (let i = 0; i < Math.min(model.children.length, MAX_CHILDREN); i++) {
    let child = null;
    await attempt(tally, `openChild(${i})`, async () => { child = await model.openChild(i); });
    if (!child) continue;
    try {
      await exerciseModel(child, tally, state, depth + 1);
    } finally {
      await child.close();
    }
  }
}

/**
 * Opens `bytes` as a model (named `name`, siblings read from `dir` when given) and exercises it.
 * Returns { outcome, format, codes, first }.
 */
export async function exercise(sdk, bytes, name, dir, cap) {
  const { open, OmnimodelError, BytesSource, FileSource, resolveInside } = sdk;
  const tally = new Tally(OmnimodelError);
  let source = new BytesSource(bytes, name);
  if (dir) {
    const root = resolve(dir);
    source.sibling = async (rel) => new FileSource(resolveInside(root, rel, name), root);
  }
  let model = null;
  let format = null;
  try {
    await attempt(tally, "open", async () => { model = await open(source, { maxTensorBytes: cap }); });
    if (model) {
      format = model.format;
      await exerciseModel(model, tally, { read: 0, cap }, 0);
    }
  } catch (e) {
    if (!(e instanceof StopExercise)) tally.error(e, "exercise");
  } finally {
    if (model && tally.outcome !== "trap") await attempt(tally, "close", () => model.close()).catch(() => {});
  }
  return { outcome: tally.outcome, format, codes: [...tally.codes], first: tally.first };
}

export function nameAndDir(seedPath) {
  return { name: basename(seedPath), dir: dirname(seedPath) };
}
