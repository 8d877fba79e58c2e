// omnimodel: open any machine-learning model file, safely, in any runtime.

export { open, scan, init, configure, toSource, openSource, openChild, DEFAULT_MAX_INFLATED_BYTES, type ModelInput, type OpenOptions } from "./open.js";
export { Model, Tensor, severityRank, DEFAULT_MAX_TENSOR_BYTES, type ModelIndex, type TensorInfo, type Finding, type Severity, type ReadOptions, type ChildInfo } from "./model.js";
export { OmnimodelError, type ErrorCode } from "./errors.js";
export { BytesSource, SliceSource, type Source } from "./source.js";
export { BlobSource, UrlSource, type UrlSourceOptions } from "./web-sources.js";
export { planSafetensors, safetensorsChunks, type ConvertDtype, type SafetensorsPlan, type ConvertProgress, type SkippedTensor } from "./writers/safetensors.js";
export { planGGUF, ggufChunks, GGUF_WRITE_TYPES, type GGUFPlan, type GGUFOptions, type GGUFWriteType } from "./writers/gguf.js";
export { npyHeader, npyForTensor } from "./writers/npy.js";
export { diffModels, type ModelDiff, type TensorDiff } from "./diff.js";
export { arrayFor, DTYPE_CODES, type TypedArray, type ArrayForDtype, type ReadDtype } from "./dtypes.js";
export { Core, type WasmInput } from "./core.js";
export { graph, modelGraph, allGraphs, opCounts, layoutGraph, graphToSvg, graphToDot, graphToMermaid, type Graph, type GraphNode, type GraphEdge, type Layout, type LayoutOptions } from "./graph/index.js";
