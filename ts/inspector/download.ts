// Where an export goes: a file chosen with the File System Access API when the browser has it
// (bytes stream to disk, any size), else a Blob assembled from the streamed parts and offered
// as a download.

export interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

interface WritableFile {
  write(data: BufferSource): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
interface SaveFilePicker {
  (options: { suggestedName: string }): Promise<{ createWritable(): Promise<WritableFile> }>;
}

/** Must be called directly from a user gesture (the picker needs one). null = the user cancelled. */
export async function openSink(suggestedName: string): Promise<Sink | null> {
  const picker = (globalThis as unknown as { showSaveFilePicker?: SaveFilePicker }).showSaveFilePicker;
  if (typeof picker === "function") {
    let handle;
    try {
      handle = await picker({ suggestedName });
    } catch (e) {
      if ((e as Error)?.name === "AbortError") return null;
      return blobSink(suggestedName); // e.g. refused in this context: fall back
    }
    const w = await handle.createWritable();
    return {
      write: (b) => w.write(b as unknown as BufferSource),
      close: () => w.close(),
      abort: () => w.abort(),
    };
  }
  return blobSink(suggestedName);
}

/** A sink whose final name is decided later (when the worker has planned the export). */
export function blobSink(name: string): Sink & { rename(n: string): void } {
  const parts: BlobPart[] = [];
  return {
    rename(n: string) {
      name = n;
    },
    async write(b) {
      parts.push(b as unknown as BlobPart);
    },
    async close() {
      const url = URL.createObjectURL(new Blob(parts, { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
    async abort() {
      parts.length = 0;
    },
  };
}
