// One plain sentence per finding: what the file would do when a user loads it with the loader
// they would normally use for its format. The finding's message stays the technical detail; this
// is the line a person reads first. Computed here, once, so every host shows the same sentence.

import { SEV_CRITICAL, SEV_HIGH } from "./model";

const LOADERS: string[] = [
  "pickle", "pickle.load",
  "pytorch", "torch.load(weights_only=False)",
  "torchscript", "torch.jit.load",
  "joblib", "joblib.load",
  "npy", "numpy.load(allow_pickle=True)",
  "npz", "numpy.load(allow_pickle=True)",
  "keras", "keras.models.load_model",
  "hdf5", "h5py / keras",
  "onnx", "onnx.load / onnxruntime",
  "tf-savedmodel", "tf.saved_model.load",
  "tf-graphdef", "tf.import_graph_def",
  "tf-checkpoint", "tf.train.load_checkpoint",
  "tfjs", "tf.loadGraphModel",
  "tflite", "the LiteRT (TFLite) interpreter",
  "torch-export", "torch.export.load",
  "executorch", "the ExecuTorch runtime",
  "openvino", "openvino.Core().read_model",
  "coreml", "coremltools.models.MLModel / Core ML",
  "safetensors", "safetensors.load_file",
  "gguf", "llama.cpp",
  "ggml", "ggml",
  "torchserve-mar", "TorchServe",
  "sentencepiece", "sentencepiece",
  "xgboost", "xgboost.Booster",
  "lightgbm", "lightgbm.Booster",
  "fasttext", "fasttext.load_model",
  "word2vec", "gensim KeyedVectors",
  "json", "json.load",
  "chat-template", "a chat engine rendering the template",
  "zip", "an unzip tool",
];

export function loaderFor(format: string): string {
  if (!format.length) return "its loader";
  for (let i = 0; i < LOADERS.length; i += 2) if (LOADERS[i] == format) return LOADERS[i + 1];
  return "a " + format + " loader";
}

// Collapses whitespace and ends with a full stop.
function sentence(s: string): string {
  let out = "";
  let space = false;
  const t = s.trim();
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const ws = c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
    if (ws) { space = true; continue; }
    if (space && out.length) out += " ";
    space = false;
    out += String.fromCharCode(c);
  }
  const last = out.length ? out.charCodeAt(out.length - 1) : 0;
  return last == 0x2e || last == 0x21 || last == 0x3f ? out : out + ".";
}

function endsSentence(c: i32): bool { return c == 0x2e || c == 0x21 || c == 0x3f; }

export function impactOf(severity: i32, code: string, message: string, format: string): string {
  const loader = loaderFor(format);
  if (code == "pickle-global") {
    // The pickle scanner's message is "name: reason"; "nested: " marks a pickle inside the pickle.
    const nested = message.startsWith("nested: ");
    const where = nested ? " from a pickle nested inside this one" : "";
    const m = nested ? message.substring(8) : message;
    const i = m.indexOf(": ");
    const name = i <= 0 ? m : m.substring(0, i);
    const reason = i <= 0 ? "" : m.substring(i + 2);
    if (reason.indexOf("run time") >= 0 || reason.indexOf("computed") >= 0) {
      return sentence(loader + " would import a name that is only computed while loading (seen as " + name + ")" + where + ", which hides what it runs");
    }
    if (reason.indexOf("poison") >= 0) {
      return sentence(loader + " would overwrite attributes of " + name + where + " while loading, so later imports can read back names of the attacker's choice");
    }
    const lower = reason.toLowerCase();
    if ((lower.indexOf("nested") >= 0 || lower.indexOf("load") >= 0) && severity == SEV_CRITICAL) {
      return sentence(loader + " would call " + name + where + ", which loads further serialized data and runs whatever it contains");
    }
    if (severity == SEV_CRITICAL) return sentence(loader + " would import " + name + where + ", which can run code, start processes or reach files and the network");
    if (severity == SEV_HIGH) return sentence(loader + " would use " + name + where + ": " + reason);
    return sentence(loader + " would import " + name + where + " (" + (reason.length ? reason : "not a known constructor") + ")");
  }
  if (code.startsWith("template-") && code != "template-unparsed" && severity >= SEV_HIGH) {
    return sentence("A chat engine that renders this template without Jinja's sandbox (CVE-2024-34359 in llama-cpp-python) would evaluate it, and this expression reaches Python objects, files or processes (" + message + ")");
  }
  if (code == "scan-incomplete") return sentence("Part of the file was not scanned, so it may hold code that runs on load; the scan is incomplete, not clean");
  if (code == "pickle-nested") return sentence(loader + " would unpickle a second pickle embedded in the file and run its contents (" + message + ")");
  if (code == "pickle-computed-call") return sentence(loader + " would call functions that are themselves obtained while loading (" + message + ")");
  if (code == "pickle-expansion") return sentence(loader + " would build an enormous structure from a few bytes and can exhaust memory (" + message + ")");
  if (code == "pickle-stacked") return sentence("The file holds several pickles one after another; loaders that keep reading would unpickle each of them");
  if (code == "pickle-out-of-band-buffer") return sentence(loader + " would fail on out-of-band buffers that never occur in saved files, a sign of a crafted stream");
  if (code.startsWith("pickle-") && code != "pickle-anomaly") {
    return sentence(loader + " runs every import and call up to the malformed point before it fails (" + message + ")");
  }
  // Messages from the format modules are often already a sentence about the loader: keep the first.
  let end = message.length;
  for (let i = 0; i + 1 < message.length; i++) {
    const c = message.charCodeAt(i + 1);
    if (endsSentence(message.charCodeAt(i)) && (c == 0x20 || c == 0x09 || c == 0x0a)) { end = i + 1; break; }
  }
  const first = message.substring(0, end);
  const c0 = first.length ? first.charCodeAt(0) : 0;
  if (c0 >= 0x41 && c0 <= 0x5a && first.length && endsSentence(first.charCodeAt(first.length - 1))) return first;
  return sentence("When loaded with " + loader + ": " + message);
}
