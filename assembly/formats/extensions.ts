// The file name never decides the format; when it contradicts the content, a finding says so
// (a pickle named .safetensors is a classic way to get a dangerous file loaded).

import { Context } from "../core/context";
import { SEV_LOW, SEV_MEDIUM } from "../core/model";

// extension -> formats its content may legitimately have. Longer suffixes first (".tar.gz"
// before ".gz"). Ambiguous names (".bin", ".model", ".json") list every format that ships under
// them, so only a real contradiction (a pickle named .json) is reported.
const EXT: string[] = [
  ".safetensors.index.json", "safetensors json",
  ".bin.index.json", "pytorch safetensors json",
  ".safetensors", "safetensors",
  ".npy", "npy",
  ".npz", "npz",
  ".gguf", "gguf",
  ".ggml", "ggml",
  ".onnx", "onnx",
  ".ort", "ort",
  ".h5", "hdf5 keras",
  ".hdf5", "hdf5 keras",
  ".keras", "keras",
  ".pkl", "pickle joblib",
  ".pickle", "pickle joblib",
  ".joblib", "joblib pickle",
  ".dill", "pickle",
  ".pt", "pytorch torchscript pickle",
  ".pth", "pytorch torchscript pickle",
  ".ckpt", "pytorch pickle tf-checkpoint",
  ".mar", "torchserve-mar",
  ".tar.gz", "tar torchserve-mar joblib",
  ".tgz", "tar torchserve-mar",
  ".tar", "tar pytorch torchserve-mar",
  ".pb", "tf-graphdef tf-savedmodel onnx",
  ".tflite", "tflite",
  ".pt2", "torch-export zip",
  ".pte", "executorch",
  ".xml", "openvino",
  ".mlmodel", "coreml",
  ".ubj", "xgboost",
  ".ftz", "fasttext",
  ".vec", "word2vec",
  ".bin", "pytorch torchscript pickle ggml gguf fasttext word2vec xgboost tfjs safetensors onnx npy zip",
  ".model", "sentencepiece xgboost lightgbm pickle word2vec fasttext joblib",
  ".json", "json xgboost tfjs keras torchserve-mar safetensors pytorch",
  ".txt", "lightgbm word2vec json",
];

// Formats whose loaders execute code: hiding one under a safe-looking name is worth more than a note.
function runsCode(format: string): bool {
  return format == "pickle" || format == "pytorch" || format == "joblib" || format == "torchscript";
}

export function extensionFindings(ctx: Context): void {
  const name = ctx.name.toLowerCase();
  if (!name.length) return;
  const fmt = ctx.index.format;
  // A Core ML package is opened through its Manifest.json: JSON content, read as the package.
  if (fmt == "coreml" && name.endsWith(".json") && ctx.index.metadata.has("package")) return;
  for (let i = 0; i < EXT.length; i += 2) {
    if (!name.endsWith(EXT[i])) continue;
    const allowed = EXT[i + 1].split(" ");
    if (allowed.includes(fmt)) return;
    const sev = runsCode(fmt) && !EXT[i + 1].split(" ").some((f: string): bool => f == "pickle") ? SEV_MEDIUM : SEV_LOW;
    ctx.index.addFinding(sev, "extension-mismatch", "The file is named " + EXT[i] + " but its content is " + fmt + "; tools that trust the extension would load it with the wrong reader.", ctx.name);
    return;
  }
}
