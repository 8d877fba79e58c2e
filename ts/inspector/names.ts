// File names for exports, shared by the page (the save dialog's suggestion) and the worker.

export function stem(name: string): string {
  const base = name.split("/").pop() ?? name;
  const dot = base.lastIndexOf(".");
  return (dot > 0 ? base.slice(0, dot) : base) || "model";
}

export function safetensorsName(source: string, format: string): string {
  const base = stem(source);
  return format === "safetensors" ? `${base}.export.safetensors` : `${base}.safetensors`;
}

export function npyName(tensor: string): string {
  return `${tensor.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "") || "tensor"}.npy`;
}

/**
 * The first `depth` parts of a tensor name, for grouping: parts end at "." (PyTorch, GGUF,
 * safetensors) or "/" (Keras and TensorFlow paths such as "dense/kernel:0"); the last part is
 * the tensor itself, so it never makes a group of its own.
 */
export function namePrefix(name: string, depth: number): string {
  const cuts: number[] = [];
  for (let i = 0; i < name.length; i++) if (name[i] === "." || name[i] === "/") cuts.push(i);
  const n = Math.min(depth, cuts.length);
  return n > 0 ? name.slice(0, cuts[n - 1]) : "(top level)";
}
