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
