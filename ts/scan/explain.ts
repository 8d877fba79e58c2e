// One plain sentence per finding: what the file would do when a user loads it with the loader
// they would normally use for its format. The core's message stays as the technical detail; this
// is the line a person reads first.

import type { Finding } from "../model.js";

const LOADERS: Record<string, string> = {
  pickle: "pickle.load",
  pytorch: "torch.load(weights_only=False)",
  torchscript: "torch.jit.load",
  joblib: "joblib.load",
  npy: "numpy.load(allow_pickle=True)",
  npz: "numpy.load(allow_pickle=True)",
  keras: "keras.models.load_model",
  hdf5: "h5py / keras",
  onnx: "onnx.load / onnxruntime",
  "tf-savedmodel": "tf.saved_model.load",
  "tf-graphdef": "tf.import_graph_def",
  "tf-checkpoint": "tf.train.load_checkpoint",
  tfjs: "tf.loadGraphModel",
  safetensors: "safetensors.load_file",
  gguf: "llama.cpp",
  ggml: "ggml",
  "torchserve-mar": "TorchServe",
  sentencepiece: "sentencepiece",
  xgboost: "xgboost.Booster",
  lightgbm: "lightgbm.Booster",
  fasttext: "fasttext.load_model",
  word2vec: "gensim KeyedVectors",
  json: "json.load",
  zip: "an unzip tool",
};

export function loaderFor(format: string | null): string {
  if (!format) return "its loader";
  return LOADERS[format] ?? `a ${format} loader`;
}

function sentence(s: string): string {
  const t = s.trim().replace(/\s+/g, " ");
  return /[.!?]$/.test(t) ? t : t + ".";
}

/** Splits the pickle scanner's "name: reason" message ("nested: " marks a pickle inside the pickle). */
function nameAndReason(message: string): { name: string; reason: string; where: string } {
  const where = message.startsWith("nested: ") ? " from a pickle nested inside this one" : "";
  const m = message.replace(/^nested: /, "");
  const i = m.indexOf(": ");
  if (i <= 0) return { name: m, reason: "", where };
  return { name: m.slice(0, i), reason: m.slice(i + 2), where };
}

export function impactOf(f: Finding, format: string | null): string {
  const loader = loaderFor(format);
  const code = f.code;
  if (code === "pickle-global") {
    const { name, reason, where } = nameAndReason(f.message);
    if (/run time|computed/.test(reason)) {
      return sentence(`${loader} would import a name that is only computed while loading (seen as ${name})${where}, which hides what it runs`);
    }
    if (/poison/.test(reason)) {
      return sentence(`${loader} would overwrite attributes of ${name}${where} while loading, so later imports can read back names of the attacker's choice`);
    }
    if (/nested|load/i.test(reason) && f.severity === "critical") {
      return sentence(`${loader} would call ${name}${where}, which loads further serialized data and runs whatever it contains`);
    }
    if (f.severity === "critical") return sentence(`${loader} would import ${name}${where}, which can run code, start processes or reach files and the network`);
    if (f.severity === "high") return sentence(`${loader} would use ${name}${where}: ${reason}`);
    return sentence(`${loader} would import ${name}${where} (${reason || "not a known constructor"})`);
  }
  if (code === "pickle-nested") return sentence(`${loader} would unpickle a second pickle embedded in the file and run its contents (${f.message})`);
  if (code === "pickle-computed-call") return sentence(`${loader} would call functions that are themselves obtained while loading (${f.message})`);
  if (code === "pickle-expansion") return sentence(`${loader} would build an enormous structure from a few bytes and can exhaust memory (${f.message})`);
  if (code === "pickle-stacked") return sentence(`The file holds several pickles one after another; loaders that keep reading would unpickle each of them`);
  if (code === "pickle-out-of-band-buffer") return sentence(`${loader} would fail on out-of-band buffers that never occur in saved files, a sign of a crafted stream`);
  if (code.startsWith("pickle-") && code !== "pickle-anomaly") {
    return sentence(`${loader} runs every import and call up to the malformed point before it fails (${f.message})`);
  }
  // Messages from the format modules are often already a sentence about the loader: keep them.
  const first = f.message.split(/(?<=[.!?])\s/)[0];
  if (/^[A-Z]/.test(first) && /[.!?]$/.test(first)) return first;
  return sentence(`When loaded with ${loader}: ${f.message}`);
}
