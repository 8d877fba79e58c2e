// Every archive member's format is detected from its first bytes, not only the first 256
// (tests/fixtures/misc/generate_many_members.py: Python's zipfile, numpy's .npy members), within
// one budget of bytes per index; members past the budget are detected from their first decoded
// window when opened, so a bomb among them is still refused without being inflated.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FIXTURES, sdk } from "./helpers/core";

const ZIP = join(FIXTURES, "misc", "many-members.zip");
const facts = JSON.parse(readFileSync(join(FIXTURES, "misc", "expected-many-members.json"), "utf8"));

async function settle(p: Promise<unknown>): Promise<any> {
  try {
    return { value: await p };
  } catch (e) {
    return { error: e };
  }
}

/** The raw bytes of the first member named `name` of a zip (local header, stored or deflated). */
function memberBytes(zip: Uint8Array, name: string): Uint8Array {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = 0; dv.getUint32(at, true) === 0x04034b50; ) {
    const method = dv.getUint16(at + 8, true);
    const csize = dv.getUint32(at + 18, true);
    const nlen = dv.getUint16(at + 26, true);
    const elen = dv.getUint16(at + 28, true);
    const n = Buffer.from(zip.subarray(at + 30, at + 30 + nlen)).toString();
    const data = zip.subarray(at + 30 + nlen + elen, at + 30 + nlen + elen + csize);
    if (n === name) return method === 8 ? new Uint8Array(inflateRawSync(data)) : data;
    at += 30 + nlen + elen + csize;
  }
  throw new Error(`no ${name}`);
}

/**
 * A zip whose central directory lists `entries` members, each pointing at one of a few shared
 * local records (overlapping members cost nothing to store, so the sniffing budget can be spent
 * in a small file). Each record's deflate stream starts with `pad` empty stored blocks.
 */
function overlappingZip(records: { content: Uint8Array; pad: number }[], entries: { name: string; record: number }[]): Uint8Array {
  const parts: Buffer[] = [];
  const at: number[] = [];
  const meta: { csize: number; usize: number }[] = [];
  let off = 0;
  for (const r of records) {
    const empty = Buffer.alloc(5 * r.pad);
    for (let i = 0; i < r.pad; i++) empty.set([0, 0, 0, 0xff, 0xff], 5 * i);
    const data = Buffer.concat([empty, deflateRawSync(r.content)]);
    const local = Buffer.alloc(30 + 1);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(r.content.length, 22); local.writeUInt16LE(1, 26);
    local.write("r", 30);
    at.push(off);
    meta.push({ csize: data.length, usize: r.content.length });
    parts.push(local, data);
    off += local.length + data.length;
  }
  const cdStart = off;
  for (const e of entries) {
    const nb = Buffer.from(e.name);
    const cd = Buffer.alloc(46 + nb.length);
    const m = meta[e.record];
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(m.csize, 20); cd.writeUInt32LE(m.usize, 24); cd.writeUInt16LE(nb.length, 28);
    cd.writeUInt32LE(at[e.record], 42);
    cd.set(nb, 46);
    parts.push(cd);
    off += cd.length;
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(entries.length, 8); eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(off - cdStart, 12); eocd.writeUInt32LE(cdStart, 16);
  parts.push(eocd);
  return new Uint8Array(Buffer.concat(parts));
}

describe("archive member detection", () => {
  it("detects all 300 .npy members of a zip written by Python's zipfile, the 257th and later included", async () => {
    const { open, OmnimodelError } = await sdk();
    const m = await open(ZIP);
    try {
      const names = Object.keys(facts.members);
      expect(names.length).toBe(300);
      expect(m.children.map((c) => c.name)).toEqual([...names, ...facts.unknown]);
      for (const c of m.children) expect(c.format, c.name).toBe(facts.unknown.includes(c.name) ? null : "npy");
      expect(m.findings.some((f) => f.code === "archive-members-not-sniffed")).toBe(false);
      for (const name of ["m000.npy", "m256.npy", "m299.npy"]) {
        const child = await m.openChild(name);
        try {
          const want = facts.members[name];
          const t = child.tensors[0];
          expect(t.shape).toEqual(want.shape);
          expect(Array.from((await t.read()) as Float32Array)).toEqual(want.values);
        } finally {
          await child.close();
        }
      }
      const r = await settle(m.openChild("zeros.bin"));
      expect(r.error).toBeInstanceOf(OmnimodelError);
      expect(r.error.code).toBe("UNKNOWN_FORMAT");
    } finally {
      await m.close();
    }
  });

  it("past the budget of bytes sniffed per index, members are detected when opened; a bomb among them is refused", async () => {
    const { open, OmnimodelError } = await sdk();
    // Budget 0: no member is sniffed at index time.
    const m = await open(ZIP, { core: { archiveSniffBytes: 0 } });
    try {
      expect(m.children).toHaveLength(301);
      for (const c of m.children) expect(c.format, c.name).toBeNull();
      const f = m.findings.find((x) => x.code === "archive-members-not-sniffed");
      expect(f?.message).toMatch(/^301 archive members/);
      // Detected from its first window, a member opens with numpy's values.
      const child = await m.openChild("m299.npy");
      try {
        expect(child.format).toBe("npy");
        expect(Array.from((await child.tensors[0].read()) as Float32Array)).toEqual(facts.members["m299.npy"].values);
      } finally {
        await child.close();
      }
      // 4 MiB of zeros: refused from its first window, before its size is charged and allocated.
      const left = m.inflateBudget.left;
      const r = await settle(m.openChild("zeros.bin"));
      expect(r.error).toBeInstanceOf(OmnimodelError);
      expect(r.error.code).toBe("UNKNOWN_FORMAT");
      expect(r.error.message).toMatch(/zeros\.bin.*match no format/);
      expect(m.inflateBudget.left).toBe(left);
    } finally {
      await m.close();
    }
  });

  it("a budget spent part way: members are sniffed in listing order until it runs out", async () => {
    const { open } = await sdk();
    const m = await open(ZIP, { core: { archiveSniffBytes: 40_000 } });
    try {
      const known = m.children.map((c) => c.format !== null);
      const k = known.indexOf(false);
      expect(k).toBeGreaterThan(10);
      expect(k).toBeLessThan(300);
      expect(known.slice(k).every((x) => !x)).toBe(true);
      expect(m.findings.find((x) => x.code === "archive-members-not-sniffed")?.message).toMatch(new RegExp(`^${301 - k} archive members`));
    } finally {
      await m.close();
    }
  });

  it("a member whose first bytes lie past 1 MiB of empty deflate blocks is sniffed to no format, without reading on", async () => {
    const { open } = await sdk();
    const npy = memberBytes(new Uint8Array(readFileSync(ZIP)), "m299.npy");
    const zip = overlappingZip([{ content: npy, pad: 250_000 }], [{ name: "pad.bin", record: 0 }]);
    const m = await open(zip, { name: "pad.zip" });
    try {
      expect(m.format).toBe("zip");
      expect(m.children).toEqual([{ name: "pad.bin", format: null, size: npy.length, readable: true }]);
      const r = await settle(m.openChild("pad.bin"));
      expect(r.error?.code).toBe("UNKNOWN_FORMAT");
    } finally {
      await m.close();
    }
  });
});
