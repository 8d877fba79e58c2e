// The file name never decides the format; when it contradicts the content, a finding says so
// (a pickle named .safetensors is a classic way to get a dangerous file loaded).

import { Context } from "../core/context";
import { SEV_LOW, SEV_MEDIUM } from "../core/model";

// extension -> formats its content may legitimately have
const EXT: string[] = [
  ".safetensors", "safetensors",
  ".npy", "npy",
  ".npz", "npz",
  ".gguf", "gguf",
  ".onnx", "onnx",
  ".h5", "hdf5 keras",
  ".hdf5", "hdf5 keras",
  ".keras", "keras",
  ".pkl", "pickle joblib",
  ".pickle", "pickle joblib",
  ".joblib", "joblib pickle",
  ".pt", "pytorch torchscript pickle",
  ".pth", "pytorch torchscript pickle",
  ".ckpt", "pytorch pickle tf-checkpoint",
  ".mar", "torchserve-mar",
  ".pb", "tf-graphdef tf-savedmodel onnx",
  ".tflite", "tflite",
];

// Formats whose loaders execute code: hiding one under a safe-looking name is worth more than a note.
function runsCode(format: string): bool {
  return format == "pickle" || format == "pytorch" || format == "joblib" || format == "torchscript";
}

export function extensionFindings(ctx: Context): void {
  const name = ctx.name.toLowerCase();
  if (!name.length) return;
  const fmt = ctx.index.format;
  for (let i = 0; i < EXT.length; i += 2) {
    if (!name.endsWith(EXT[i])) continue;
    const allowed = EXT[i + 1].split(" ");
    if (allowed.includes(fmt)) return;
    const sev = runsCode(fmt) && (EXT[i] == ".safetensors" || EXT[i] == ".npy" || EXT[i] == ".gguf" || EXT[i] == ".onnx") ? SEV_MEDIUM : SEV_LOW;
    ctx.index.addFinding(sev, "extension-mismatch", "The file is named " + EXT[i] + " but its content is " + fmt + "; tools that trust the extension would load it with the wrong reader.", ctx.name);
    return;
  }
}
