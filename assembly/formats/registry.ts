// Every format module, in detection order. Adding a format = one module + one line here.
//
// Detection (DESIGN.md §2) is by content: each module's sniff sees the first and last 4 KiB and
// the size, and the highest score wins; on equal scores the earlier module wins. Scores say how
// sure the content makes a module (format.ts):
//   100     MAGIC: a magic number at a fixed offset (zip, npy, GGUF, GGML, legacy torch, fastText,
//           TFLite's "TFL3" and ExecuTorch's "ET12" FlatBuffer identifiers)
//    90     safetensors' structure (u64 length, then '{'): above pickle, because a header length
//           whose low bytes are 80 02 starts like a protocol-2 pickle, and above JSON, because
//           N = 123 starts with '{'
//   70-80   a known document's structure: XGBoost ("binf", UBJSON, JSON with "learner"), OpenVINO
//           IR (an XML root <net>), a Core ML package manifest,
//           LightGBM ("tree\nversion=")
//   45-65   STRUCTURE: pickle protocol 2-5, Core ML .mlmodel protobufs (65 with a model type field), (joblib and gensim higher when the pickle names them),
//           tar and tar.gz, pre-magic fastText, word2vec "<n> <dim>" headers
//   40      any JSON object (classified by its keys when indexed: json.ts)
//   10-20   WEAK: headerless guesses (protocol-0 pickles, bare compressed streams)
//    2      NAME_ONLY: nothing in the content, but the name says so (the reader names the rule broken)
//    1      headerless files known only through a companion file (TF.js shards: headerless.ts)
// The name never outweighs content; it breaks ties and adds extension-mismatch findings
// (extensions.ts). Unrecognised content gets a description of what it is (core/describe.ts).

import { Detection, FormatModule, installDetection, Sniff, SNIFF_NAME_ONLY, SNIFF_NO } from "./format";
import { isKnownNonModel } from "../core/describe";
import { SafetensorsFormat } from "./safetensors/safetensors";
import { NpyFormat } from "./numpy/npy";
import { ZipFormat } from "./archive/zipfile";
import { Hdf5Format } from "./hdf5/hdf5";
import { GGUFFormat } from "./gguf/gguf";
import { GGMLFormat } from "./gguf/ggml";
import { OnnxFormat } from "./onnx/onnx";
import { TfGraphDefFormat } from "./tf/graphdef";
import { TfSavedModelFormat } from "./tf/savedmodel";
import { TfCheckpointFormat } from "./tf/checkpoint";
import { SentencePieceFormat } from "./sentencepiece/sentencepiece";
import { TfjsFormat } from "./tfjs/tfjs";
import { PickleFormat } from "./pickle/pickle";
import { PyTorchLegacyFormat, PyTorchTarFormat } from "./pickle/pytorch";
import { JoblibFormat } from "./pickle/joblib";
import { FastTextFormat } from "./fasttext/fasttext";
import { Word2VecFormat } from "./word2vec/word2vec";
import { XGBoostFormat } from "./xgboost/xgboost";
import { LightGBMFormat } from "./lightgbm/lightgbm";
import { TarFormat } from "./torchserve/torchserve";
import { JsonFormat } from "./json/json";
import { ChatTemplateFormat } from "./jinja/template";
import { GensimFormat } from "./pickle/gensim";
import { HeaderlessFormat } from "./tfjs/headerless";
import { TfliteFormat } from "./tflite/tflite";
import { ExecuTorchFormat } from "./executorch/pte";
import { OpenVinoFormat } from "./openvino/ir";
import { CoreMLFormat } from "./coreml/coreml";

export const FORMATS: FormatModule[] = [
  new SafetensorsFormat(),
  new NpyFormat(),
  new ZipFormat(),
  new Hdf5Format(),
  new GGUFFormat(),
  new GGMLFormat(),
  new OnnxFormat(),
  new TfliteFormat(),
  new ExecuTorchFormat(),
  new OpenVinoFormat(),
  new CoreMLFormat(),
  new TfGraphDefFormat(),
  new TfSavedModelFormat(),
  new TfCheckpointFormat(),
  new SentencePieceFormat(),
  new TfjsFormat(),
  new PyTorchLegacyFormat(),
  new PyTorchTarFormat(),
  new JoblibFormat(),
  new PickleFormat(),
  new FastTextFormat(),
  new XGBoostFormat(),
  new LightGBMFormat(),
  new Word2VecFormat(),
  new TarFormat(),
  new JsonFormat(),
  new ChatTemplateFormat(),
  new GensimFormat(),
  new HeaderlessFormat(),
];

export function detect(s: Sniff): FormatModule | null {
  let best: FormatModule | null = null;
  let bestScore = SNIFF_NO;
  for (let i = 0; i < FORMATS.length; i++) {
    const score = FORMATS[i].sniff(s);
    if (score > bestScore) {
      bestScore = score;
      best = FORMATS[i];
    }
  }
  // A claim by name alone yields to content that is certainly not a model (an LFS pointer named
  // .safetensors): the error then says what the file is instead of which rule it breaks. An empty
  // file still goes to the reader its name claims, whose error says it is empty with its own code.
  if (bestScore <= SNIFF_NAME_ONLY && s.size > 0 && isKnownNonModel(s)) return null;
  return best;
}

export function formatById(id: string): FormatModule | null {
  for (let i = 0; i < FORMATS.length; i++) if (FORMATS[i].id == id) return FORMATS[i];
  return null;
}
// Format modules that detect their members reach detection through format.ts, installed here, so
// that no module under formats/ imports this file back (tested: tests/layout.test.ts).
class RegistryDetection extends Detection {
  detect(s: Sniff): FormatModule | null { return detect(s); }
  byId(id: string): FormatModule | null { return formatById(id); }
}
installDetection(new RegistryDetection());
