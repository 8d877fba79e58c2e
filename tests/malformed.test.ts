// Bad input gets a clear, typed error and nothing else: truncation at every header byte, lying
// lengths, giant shapes, zip bombs, the safetensors crate's invalid files, and seeded fuzzing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CORPUS, FIXTURES, sdk } from "./helpers/core";

const basic = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, "basic", f)));

// Opens bytes and reads every tensor; returns "ok" or the error code. Any non-OmnimodelError fails.
async function attempt(bytes: Uint8Array, name = "x.bin"): Promise<string> {
  const { open, OmnimodelError } = await sdk();
  try {
    const m = await open(bytes, { name });
    try {
      for (const t of m.tensors) {
        if (t.byteLength > 64 * 1024 * 1024) continue;
        try {
          await t.read();
        } catch (e) {
          if (!(e instanceof OmnimodelError)) throw e;
        }
      }
    } finally {
      await m.close();
    }
    return "ok";
  } catch (e) {
    if (e instanceof OmnimodelError) {
      expect(e.message.length).toBeGreaterThan(10);
      return e.code;
    }
    throw e;
  }
}

function safetensors(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("the safetensors crate's invalid files each give their own code", () => {
  const cases: Record<string, string> = {
    "header_too_small_empty.safetensors": "HEADER_TOO_SMALL",
    "header_too_large.safetensors": "HEADER_TOO_LARGE",
    "invalid_header_length.safetensors": "INVALID_HEADER_LENGTH",
    "invalid_header_non_utf8.safetensors": "INVALID_HEADER",
    "invalid_header_not_json.safetensors": "INVALID_JSON",
    "json_attack_overlapping_offsets.safetensors": "INVALID_OFFSET",
    "metadata_incomplete_buffer_trailing_bytes.safetensors": "INCOMPLETE_BUFFER",
    "metadata_incomplete_buffer_truncated.safetensors": "INCOMPLETE_BUFFER",
    "invalid_info.safetensors": "SIZE_MISMATCH",
    "validation_overflow_nbytes.safetensors": "OVERFLOW",
    "validation_overflow_shape.safetensors": "OVERFLOW",
  };
  for (const [f, code] of Object.entries(cases)) {
    it(f, async () => {
      const { open } = await sdk();
      await expect(open(join(CORPUS, "safetensors", "invalid", f))).rejects.toMatchObject({ code });
    });
  }
});

describe("safetensors rules beyond the crate's own tests", () => {
  const f32 = new Uint8Array(16);
  it("duplicate keys are rejected", async () => {
    const raw = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    expect(await attempt(safetensors(null, f32, raw), "d.safetensors")).toBe("DUPLICATE");
  });
  it("__metadata__ must map strings to strings", async () => {
    expect(await attempt(safetensors({ __metadata__: { a: 1 } }), "m.safetensors")).toBe("INVALID_JSON");
  });
  it("unknown dtypes are rejected", async () => {
    expect(await attempt(safetensors({ a: { dtype: "F17", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), "u.safetensors")).toBe("BAD_DTYPE");
  });
  it("sub-byte dtypes must fill whole bytes", async () => {
    expect(await attempt(safetensors({ a: { dtype: "F4", shape: [3], data_offsets: [0, 2] } }, new Uint8Array(2)), "f4.safetensors")).toBe("MISALIGNED");
  });
  it("holes between tensors are rejected", async () => {
    expect(await attempt(safetensors({ a: { dtype: "U8", shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)), "h.safetensors")).toBe("INVALID_OFFSET");
  });
  it("giant shapes overflow cleanly", async () => {
    expect(await attempt(safetensors({ a: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), "g.safetensors")).toBe("OVERFLOW");
  });
  it("a zero-tensor file with metadata is valid", async () => {
    expect(await attempt(safetensors({ __metadata__: { k: "v" } }), "e.safetensors")).toBe("ok");
  });
});

describe("truncation at every header byte", () => {
  for (const f of ["all_dtypes.safetensors", "arr_be_f8.npy", "header_v3.npy", "deflated.npz", "stored.npz"]) {
    it(f, async () => {
      const full = basic(f);
      const codes = new Set<string>();
      const limit = Math.min(full.length - 1, 2500);
      const step = f.endsWith(".npz") ? 3 : 1;
      for (let n = 0; n < limit; n += step) codes.add(await attempt(full.subarray(0, n), f));
      // Every cut is an error (never "ok": the formats declare their sizes), and a typed one.
      expect(codes.has("ok")).toBe(false);
    });
  }
});

describe("lying lengths", () => {
  it("npy header length past the end", async () => {
    const b = basic("arr_le_f4.npy").slice(0, 200);
    new DataView(b.buffer).setUint16(8, 60000, true);
    expect(await attempt(b, "a.npy")).toBe("TRUNCATED");
  });
  it("npy shape far beyond the data", async () => {
    const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }";
    const b = new Uint8Array(10 + h.length + 1 + 8);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(b.buffer).setUint16(8, h.length + 1, true);
    b.set(new TextEncoder().encode(h + "\n"), 10);
    expect(await attempt(b, "a.npy")).toBe("TRUNCATED");
  });
  it("zip central directory claiming a million entries", async () => {
    const b = basic("stored.npz").slice();
    const dv = new DataView(b.buffer);
    for (let i = b.length - 22; i >= 0; i--) {
      if (dv.getUint32(i, true) === 0x06054b50) { dv.setUint16(i + 10, 65000, true); dv.setUint16(i + 8, 65000, true); break; }
    }
    expect(await attempt(b, "a.npz")).toBe("CORRUPT");
  });
});

// A minimal zip writer for crafted archives (one member).
function zip(name: string, stored: Uint8Array, method: number, usize: number): Uint8Array {
  const nameB = new TextEncoder().encode(name);
  const local = new Uint8Array(30 + nameB.length);
  const dl = new DataView(local.buffer);
  dl.setUint32(0, 0x04034b50, true); dl.setUint16(4, 20, true); dl.setUint16(8, method, true);
  dl.setUint32(18, stored.length, true); dl.setUint32(22, usize, true); dl.setUint16(26, nameB.length, true);
  local.set(nameB, 30);
  const cd = new Uint8Array(46 + nameB.length);
  const dc = new DataView(cd.buffer);
  dc.setUint32(0, 0x02014b50, true); dc.setUint16(6, 20, true); dc.setUint16(10, method, true);
  dc.setUint32(20, stored.length, true); dc.setUint32(24, usize, true); dc.setUint16(28, nameB.length, true);
  cd.set(nameB, 46);
  const eocd = new Uint8Array(22);
  const de = new DataView(eocd.buffer);
  de.setUint32(0, 0x06054b50, true); de.setUint16(8, 1, true); de.setUint16(10, 1, true);
  de.setUint32(12, cd.length, true); de.setUint32(16, local.length + stored.length, true);
  const out = new Uint8Array(local.length + stored.length + cd.length + eocd.length);
  out.set(local, 0); out.set(stored, local.length); out.set(cd, local.length + stored.length); out.set(eocd, local.length + stored.length + cd.length);
  return out;
}

function npyBytes(shape: number, fill = 0): Uint8Array {
  const h = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape},), }`;
  const pad = 64 - ((10 + h.length + 1) % 64);
  const head = h + " ".repeat(pad % 64) + "\n";
  const b = new Uint8Array(10 + head.length + shape);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(b.buffer).setUint16(8, head.length, true);
  b.set(new TextEncoder().encode(head), 10);
  b.fill(fill, 10 + head.length);
  return b;
}

describe("zip bombs", () => {
  const N = 150 * 1024 * 1024;
  const payload = npyBytes(N);
  const deflated = deflateRawSync(payload, { level: 1 });

  it("an honest bomb is indexed lazily and reported", async () => {
    const { open } = await sdk();
    const m = await open(zip("a.npy", deflated, 8, payload.length), { name: "bomb.npz" });
    expect(m.tensors[0].shape).toEqual([N]);
    expect(m.findings.map((f) => f.code)).toContain("zip-bomb");
    await m.close();
  });

  it("a member inflating beyond its declared size is an error, not a 150 MB allocation", async () => {
    expect(await attempt(zip("a.npy", deflated, 8, 4096), "lying.npz")).toBe("TRUNCATED");
  });
});

describe("fuzz: seeded mutations of real files", () => {
  let seed = 0x2545f491;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const f of ["all_dtypes.safetensors", "arr_le_f4.npy", "fortran_f4.npy", "structured.npy", "deflated.npz", "stored.npz"]) {
    it(f, async () => {
      const orig = basic(f);
      const seen = new Map<string, number>();
      for (let i = 0; i < 150; i++) {
        const b = orig.slice();
        const kind = Math.floor(rnd() * 4);
        const headerish = Math.min(b.length, 2048);
        const flips = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < flips; k++) {
          const pos = Math.floor(rnd() * (rnd() < 0.8 ? headerish : b.length));
          if (kind === 0) b[pos] ^= 1 << Math.floor(rnd() * 8);
          else if (kind === 1) b[pos] = Math.floor(rnd() * 256);
          else if (kind === 2) b[pos] = [0, 0xff, 0x7f, 0x80][Math.floor(rnd() * 4)];
        }
        const input = kind === 3 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
        const code = await attempt(input, f);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }
      // Some mutations must be caught (the checks are live) and every outcome was typed.
      expect([...seen.keys()].some((k) => k !== "ok")).toBe(true);
    });
  }
});

describe("zip container findings", () => {
  // Two stored members built by hand so names can disagree or escape.
  function zip2(names: [string, string], localNames?: [string, string]): Uint8Array {
    const parts: Uint8Array[] = [];
    const cds: Uint8Array[] = [];
    let offset = 0;
    names.forEach((name, i) => {
      const data = npyBytes(4, i + 1);
      const ln = new TextEncoder().encode(localNames ? localNames[i] : name);
      const cn = new TextEncoder().encode(name);
      const local = new Uint8Array(30 + ln.length);
      const dl = new DataView(local.buffer);
      dl.setUint32(0, 0x04034b50, true); dl.setUint16(4, 20, true);
      dl.setUint32(18, data.length, true); dl.setUint32(22, data.length, true); dl.setUint16(26, ln.length, true);
      local.set(ln, 30);
      const cd = new Uint8Array(46 + cn.length);
      const dc = new DataView(cd.buffer);
      dc.setUint32(0, 0x02014b50, true); dc.setUint16(6, 20, true);
      dc.setUint32(20, data.length, true); dc.setUint32(24, data.length, true); dc.setUint16(28, cn.length, true);
      dc.setUint32(42, offset, true);
      cd.set(cn, 46);
      parts.push(local, data);
      cds.push(cd);
      offset += local.length + data.length;
    });
    const cdLen = cds.reduce((a, c) => a + c.length, 0);
    const eocd = new Uint8Array(22);
    const de = new DataView(eocd.buffer);
    de.setUint32(0, 0x06054b50, true); de.setUint16(8, 2, true); de.setUint16(10, 2, true);
    de.setUint32(12, cdLen, true); de.setUint32(16, offset, true);
    const all = [...parts, ...cds, eocd];
    const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const p of all) { out.set(p, o); o += p.length; }
    return out;
  }

  it("local/central name mismatch, duplicates and escaping names are findings", async () => {
    const { open } = await sdk();
    const m1 = await open(zip2(["a.npy", "b.npy"], ["a.npy", "evil.npy"]), { name: "x.npz" });
    expect(m1.findings.map((f) => f.code)).toContain("zip-name-mismatch");
    expect(m1.tensors.map((t) => t.name)).toEqual(["a", "b"]);
    const m2 = await open(zip2(["a.npy", "a.npy"]), { name: "x.npz" });
    expect(m2.findings.map((f) => f.code)).toContain("zip-duplicate-name");
    const m3 = await open(zip2(["../../etc/cron.d/x.npy", "/abs.npy"]), { name: "x.npz" });
    const esc = m3.findings.filter((f) => f.code === "zip-path-escape");
    expect(esc.length).toBe(2);
    expect(esc.every((f) => f.severity === "high")).toBe(true);
    for (const m of [m1, m2, m3]) await m.close();
  });
});
