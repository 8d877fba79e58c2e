// Collecting what the user dropped or picked: single files, several files (the siblings of a
// sharded checkpoint) or whole folders (a SavedModel), as relative paths with their Files.

import type { DroppedFile } from "./protocol.ts";

// Cap on what a folder walk collects, so dropping a home directory does not hang the tab.
const MAX_FILES = 20_000;

interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  file?(ok: (f: File) => void, err: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (es: Entry[]) => void, err: (e: unknown) => void): void };
}

async function walk(entry: Entry, prefix: string, out: DroppedFile[]): Promise<void> {
  if (out.length >= MAX_FILES) return;
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((ok, err) => entry.file!(ok, err));
    out.push({ path, file });
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    // readEntries returns at most ~100 entries per call: read until it returns none
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, err) => reader.readEntries(ok, err));
      if (!batch.length) break;
      for (const e of batch) await walk(e, path, out);
    }
  }
}

export async function fromDataTransfer(dt: DataTransfer): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  const entries: Entry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== "file") continue;
    const e = (item as unknown as { webkitGetAsEntry?(): Entry | null }).webkitGetAsEntry?.();
    if (e) entries.push(e);
  }
  if (entries.length) {
    try {
      for (const e of entries) await walk(e, "", out);
      if (out.length) return out;
    } catch {
      // entries of synthetic or revoked drops cannot always be read: use the plain file list
    }
  }
  return fromFileList(dt.files);
}

export function fromFileList(list: FileList | null): DroppedFile[] {
  return Array.from(list ?? [], (file) => ({ path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file }));
}
