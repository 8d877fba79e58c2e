// omnimodel: open any machine-learning model file, safely, in any runtime.

export { open, scan, init, configure, toSource, openSource, openChild, DEFAULT_MAX_INFLATED_BYTES, type ModelInput, type OpenOptions } from "./open.ts";
export { Model, Tensor, severityRank, DEFAULT_MAX_TENSOR_BYTES, type ModelIndex, type TensorInfo, type Finding, type Severity, type ReadOptions, type ChildInfo } from "./model.ts";
export { OmnimodelError, type ErrorCode } from "./errors.ts";
export { BytesSource, SliceSource, type Source } from "./source.ts";
export { BlobSource, UrlSource, type UrlSourceOptions } from "./web-sources.ts";
export { StreamedUrlSource, type StreamedUrlOptions } from "./stream-source.ts";
export { planSafetensors, safetensorsChunks, type ConvertDtype, type SafetensorsPlan, type ConvertProgress, type SkippedTensor } from "./writers/safetensors.ts";
export { planGGUF, ggufChunks, GGUF_WRITE_TYPES, type GGUFPlan, type GGUFOptions, type GGUFWriteType } from "./writers/gguf.ts";
export { npyHeader, npyForTensor } from "./writers/npy.ts";
export { diffModels, type ModelDiff, type TensorDiff } from "./diff.ts";
export { arrayFor, DTYPE_CODES, type TypedArray, type ArrayForDtype, type ReadDtype } from "./dtypes.ts";
export { Core, type WasmInput } from "./core.ts";
export { graph, modelGraph, allGraphs, opCounts, layoutGraph, graphToSvg, graphToDot, graphToMermaid, type Graph, type GraphNode, type GraphEdge, type Layout, type LayoutOptions } from "./graph/index.ts";
