// Output helpers shared by the verbs: stdout/stderr lines, byte sizes, and a quiet exit when the
// reader of stdout goes away (`omnimodel inspect big.gguf | head`).

export const out = (s: string) => {
  process.stdout.write(s + "\n");
};
export const err = (s: string) => {
  process.stderr.write(s + "\n");
};

export function human(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

let installed = false;

/** A closed pipe on stdout ends the process quietly with status 0, as `cat` and `ls` do. */
export function exitQuietlyOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
}
