// Every format module, in detection order. Adding a format = one module + one line here.
// Detection picks the highest sniff score; on equal scores the earlier module wins.

import { FormatModule, Sniff, SNIFF_NO } from "./format";
import { SafetensorsFormat } from "./safetensors";
import { NpyFormat } from "./npy";
import { ZipFormat } from "./zipfile";
import { Hdf5Format } from "./hdf5";
import { GGUFFormat } from "./gguf";
import { GGMLFormat } from "./ggml";
import { OnnxFormat } from "./onnx";
import { TfGraphDefFormat } from "./tf-graphdef";
import { TfSavedModelFormat } from "./tf-savedmodel";
import { TfCheckpointFormat } from "./tf-checkpoint";
import { FastTextFormat } from "./fasttext";
import { Word2VecFormat } from "./word2vec";
import { XGBoostFormat } from "./xgboost";
import { LightGBMFormat } from "./lightgbm";
import { TarFormat } from "./torchserve";
import { JsonFormat } from "./json";
import { GensimFormat } from "./gensim";

export const FORMATS: FormatModule[] = [
  new SafetensorsFormat(),
  new NpyFormat(),
  new ZipFormat(),
  new Hdf5Format(),
  new GGUFFormat(),
  new GGMLFormat(),
  new OnnxFormat(),
  new TfGraphDefFormat(),
  new TfSavedModelFormat(),
  new TfCheckpointFormat(),
  new FastTextFormat(),
  new XGBoostFormat(),
  new LightGBMFormat(),
  new Word2VecFormat(),
  new TarFormat(),
  new JsonFormat(),
  new GensimFormat(),
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
  return best;
}

export function formatById(id: string): FormatModule | null {
  for (let i = 0; i < FORMATS.length; i++) if (FORMATS[i].id == id) return FORMATS[i];
  return null;
}
