// Messages between the page and the worker that owns the core. Everything that touches model
// bytes happens in the worker, so the page stays responsive on files of any size.

import type { ModelIndex } from "../model.ts";
import type { GraphNode } from "./graph-api.ts";

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
  | { type: "graph"; id: number; toggle?: number }
  | { type: "graph-node"; id: number; node: number }
  | { type: "graph-search"; id: number; query: string }
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
  | { type: "graph"; id: number; view: GraphView }
  | { type: "graph-node"; id: number; detail: GraphNodeDetail }
  | { type: "graph-search"; id: number; query: string; hits: { node: number; label: string }[] }
  | { type: "error"; id: number; code: string; message: string };

export const KIND = { op: 0, input: 1, output: 2, block: 3 } as const;

/**
 * A laid-out graph packed for drawing: node i is boxes[4i..4i+3] (x, y, w, h); edge k runs
 * through edgePoints[edgeStart[k]..edgeStart[k+1]] as x, y pairs. The model stays in the
 * worker; the page asks for one node's details when it is clicked.
 */
export interface GraphView {
  id: string;
  name: string;
  format: string;
  kind: "graph" | "blocks";
  width: number;
  height: number;
  ops: string[];
  names: string[];
  kinds: Uint8Array;
  /** 1 when the node holds subgraphs, 2 when they are shown expanded below it. */
  nest: Uint8Array;
  counts: Uint32Array;
  boxes: Float32Array;
  edgeFrom: Uint32Array;
  edgeTo: Uint32Array;
  edgeStart: Uint32Array;
  edgePoints: Float32Array;
  edgeLabels: string[];
  /** Expanded subgraphs: the box around their nodes. */
  clusters: { label: string; x: number; y: number; w: number; h: number }[];
  millis: { build: number; layout: number };
  /** A first view of a large graph: its first `nodes` of `total` nodes; the whole follows. */
  partial?: { nodes: number; total: number };
}

export interface GraphEnd {
  node: number;
  name: string;
  tensor: string;
  shape?: (number | string)[];
  dtype?: string;
}

export interface GraphNodeDetail {
  index: number;
  node: GraphNode;
  incoming: GraphEnd[];
  outgoing: GraphEnd[];
  /** Weights the node uses, with their row in the tensor table (-1 when not a stored tensor). */
  weights: { name: string; tensor: number }[];
  subgraphs: { id: string; name: string; nodes: number }[];
}
