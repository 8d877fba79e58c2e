// Messages between the page and the worker that owns the core. Everything that touches model
// bytes happens in the worker, so the page stays responsive on files of any size.

import type { ModelIndex } from "../model.js";

export interface DroppedFile {
  /** Path relative to the dropped folder ("" prefix for loose files), "/"-separated. */
  path: string;
  file: File;
}

export type Request =
  | { type: "open-files"; id: number; files: DroppedFile[] }
  | { type: "open-url"; id: number; url: string }
  | { type: "stats"; id: number; tensor: number; bins: number }
  | { type: "export-safetensors"; id: number }
  | { type: "export-npy"; id: number; tensor: number }
  | { type: "ack"; id: number }
  | { type: "cancel"; id: number };

export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  parameters: number;
}

export interface OpenedModel {
  source: string; // the entry file's path or URL
  size: number; // bytes of the entry file
  files: number; // how many files were provided
  index: ModelIndex;
  tensors: TensorRow[];
  millis: number;
}

export interface TensorStats {
  tensor: number;
  dtype: string;
  /** The values were dequantized or converted from a non-F32 type before the statistics. */
  converted: boolean;
  total: number;
  count: number;
  nan: number;
  posInf: number;
  negInf: number;
  zeros: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  lo: number;
  hi: number;
  hist: number[];
  preview: number[];
  millis: number;
}

export type Reply =
  | { type: "ready"; simd: boolean }
  | { type: "opened"; id: number; model: OpenedModel }
  | { type: "progress"; id: number; done: number; total: number; label: string }
  | { type: "stats"; id: number; stats: TensorStats }
  | { type: "export-start"; id: number; name: string; totalBytes: number; skipped: string[] }
  | { type: "chunk"; id: number; bytes: Uint8Array }
  | { type: "export-done"; id: number; bytes: number }
  | { type: "error"; id: number; code: string; message: string };
