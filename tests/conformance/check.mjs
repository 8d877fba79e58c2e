// The host-conformance check shared by every JavaScript host (Node, Deno, Chromium, workerd):
// what a host sees of a model, and how it differs from tests/conformance/facts.json (written by
// numpy/torch/safetensors, tests/fixtures/hosts/generate.py). Python has the same two functions
// in python/tests/test_omnimodel.py; Go and Rust print their view and are compared in
// tests/hosts/native-hosts.test.ts. Plain JS with Web APIs only, so it runs unchanged everywhere.

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return hex(await crypto.subtle.digest("SHA-256", bytes.slice()));
}

/** What this host sees of a model, in the shape of a facts.json case. */
export async function observe(open, input, options = {}) {
  let m;
  try {
    m = await open(input, options);
  } catch (e) {
    return { error: e?.code ?? String(e) };
  }
  try {
    const tensors = [];
    for (const t of m.tensors) {
      const o = { name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength, sha256: await sha256(await t.read()) };
      try {
        o.f32_sha256 = await sha256(await t.read({ dtype: "F32" }));
      } catch (e) {
        o.f32_error = e?.code ?? String(e);
      }
      tensors.push(o);
    }
    tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { format: m.format, highest: m.highestSeverity, metadata: m.metadata, tensors };
  } finally {
    await m.close();
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Differences between a fact and an observation, as sentences (empty when they agree). */
export function mismatches(fact, obs) {
  const out = [];
  if (fact.error !== undefined) {
    if (obs.error !== fact.error) out.push(`error: expected ${fact.error}, got ${obs.error ?? "no error"}`);
    return out;
  }
  if (obs.error !== undefined) return [`unexpected error ${obs.error}`];
  for (const k of ["format", "highest"]) if (k in fact && obs[k] !== fact[k]) out.push(`${k}: expected ${fact[k]}, got ${obs[k]}`);
  for (const [k, v] of Object.entries(fact.metadata ?? {})) {
    if (!same(obs.metadata?.[k], v)) out.push(`metadata[${k}]: expected ${JSON.stringify(v)}, got ${JSON.stringify(obs.metadata?.[k])}`);
  }
  const names = (l) => l.map((t) => t.name);
  if (!same(names(obs.tensors), names(fact.tensors))) return [...out, `tensor names: expected ${JSON.stringify(names(fact.tensors))}, got ${JSON.stringify(names(obs.tensors))}`];
  fact.tensors.forEach((ft, i) => {
    const ot = obs.tensors[i];
    for (const k of ["dtype", "shape", "byteLength", "sha256", "f32_sha256"]) {
      if (k in ft && !same(ot[k], ft[k])) out.push(`${ft.name}.${k}: expected ${JSON.stringify(ft[k])}, got ${JSON.stringify(ot[k])}`);
    }
  });
  return out;
}

/**
 * Checks every case. `input(file)` gives what to pass to open() for a repository-relative path
 * (a path, bytes, a Blob, a URL); `options(file, case)` the open() options (e.g. the case's
 * `siblings`, files next to it that it refers to, for in-memory inputs).
 * Returns { passed, failed, failures: {file: [sentences]} }.
 */
export async function checkAll(open, facts, input, options = () => ({})) {
  const failures = {};
  let passed = 0;
  for (const c of facts.cases) {
    const file = c.file;
    const got = mismatches(c, await observe(open, await input(file), await options(file, c)));
    if (got.length) failures[file] = got;
    else passed++;
  }
  return { passed, failed: Object.keys(failures).length, failures };
}

/** The case's sibling files as a Map of relative path -> what `load(repositoryPath)` returns. */
export async function siblingsOf(c, load) {
  const dir = c.file.slice(0, c.file.lastIndexOf("/") + 1);
  const m = new Map();
  for (const s of c.siblings ?? []) m.set(s, await load(dir + s));
  return m;
}
