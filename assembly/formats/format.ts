// The two verbs every format module has (DESIGN.md §2): a cheap sniff and the index.

import { Context } from "../core/context";

// What a sniff may look at: the first and last bytes of the file (up to SNIFF_BYTES each; the
// same bytes when the file is small), its size and its name (the name only breaks ties).
export const SNIFF_BYTES: u64 = 4096;

export class Sniff {
  head: usize = 0;
  headLen: usize = 0;
  tail: usize = 0;
  tailLen: usize = 0;
  size: u64 = 0;
  name: string = "";

  byte(i: usize): i32 { return i < this.headLen ? <i32>load<u8>(this.head + i) : -1; }

  startsWith(s: string, at: usize = 0): bool {
    if (at + <usize>s.length > this.headLen) return false;
    for (let i = 0; i < s.length; i++) {
      if (<i32>load<u8>(this.head + at + <usize>i) != s.charCodeAt(i)) return false;
    }
    return true;
  }

  startsWithBytes(bytes: u8[], at: usize = 0): bool {
    if (at + <usize>bytes.length > this.headLen) return false;
    for (let i = 0; i < bytes.length; i++) {
      if (load<u8>(this.head + at + <usize>i) != bytes[i]) return false;
    }
    return true;
  }

  nameEndsWith(suffix: string): bool { return this.name.toLowerCase().endsWith(suffix); }

  // The sniff of a file whose first and last n bytes (n = min(size, SNIFF_BYTES)) are at hand.
  static of(head: usize, tail: usize, n: u64, size: u64, name: string): Sniff {
    const s = new Sniff();
    s.head = head;
    s.headLen = <usize>n;
    s.tail = tail;
    s.tailLen = <usize>n;
    s.size = size;
    s.name = name;
    return s;
  }
}

// Sniff confidence levels, so modules agree on what wins.
export const SNIFF_NO: i32 = 0;
export const SNIFF_NAME_ONLY: i32 = 2; // content does not match, but the name says so: lets the reader name the broken rule
export const SNIFF_WEAK: i32 = 10; // plausible by structure only (e.g. headerless text)
export const SNIFF_STRUCTURE: i32 = 50; // a structural check passed
export const SNIFF_MAGIC: i32 = 100; // an unambiguous magic number

export abstract class FormatModule {
  abstract get id(): string;
  abstract sniff(s: Sniff): i32;
  abstract index(ctx: Context): i32;
}

// Detection as a service the registry installs at start-up. Containers that detect their members
// (archive children, JSON shard indexes, TF.js shards, gensim's pickle) call these instead of
// importing registry.ts, which imports every format module: no module under formats/ imports the
// registry, so adding a format never closes an import circle.
export abstract class Detection {
  abstract detect(s: Sniff): FormatModule | null;
  abstract byId(id: string): FormatModule | null;
}

let installedDetection: Detection | null = null;

export function installDetection(d: Detection): void {
  installedDetection = d;
}

// The module whose content matches best, or null (also before the registry is installed).
export function detectFormat(s: Sniff): FormatModule | null {
  const d = installedDetection;
  return d === null ? null : d.detect(s);
}

export function formatWithId(id: string): FormatModule | null {
  const d = installedDetection;
  return d === null ? null : d.byId(id);
}
