// ExecuTorch program schema facts (schema/program.fbs, scalar_type.fbs): vtable slots of the
// tables read, union tags, scalar types.

import {
  DT_BF16, DT_BOOL, DT_F16, DT_F32, DT_F64, DT_F8_E4M3, DT_F8_E4M3FNUZ, DT_F8_E5M2, DT_F8_E5M2FNUZ, DT_I16, DT_I32,
  DT_I64, DT_I8, DT_U16, DT_U32, DT_U64, DT_U8,
} from "../../core/dtype";

// Program
export const P_VERSION = 0, P_EXECUTION_PLAN = 1, P_CONSTANT_BUFFER = 2, P_DELEGATE_DATA = 3, P_SEGMENTS = 4, P_CONSTANT_SEGMENT = 5, P_MUTABLE_SEGMENTS = 6, P_NAMED_DATA = 7;
// ExecutionPlan
export const EP_NAME = 0, EP_VALUES = 2, EP_INPUTS = 3, EP_OUTPUTS = 4, EP_CHAINS = 5, EP_OPERATORS = 6, EP_DELEGATES = 7, EP_NON_CONST_SIZES = 8;
// EValue: a union (type tag in slot 0, table in slot 1)
export const EV_TYPE = 0, EV_VAL = 1;
export const KT_NULL = 1, KT_INT = 2, KT_BOOL = 3, KT_DOUBLE = 4, KT_TENSOR = 5, KT_STRING = 6, KT_INT_LIST = 7, KT_DOUBLE_LIST = 8, KT_BOOL_LIST = 9, KT_TENSOR_LIST = 10, KT_OPT_TENSOR_LIST = 11;
const KT_NAMES: string[] = ["none", "null", "int", "bool", "double", "tensor", "string", "int_list", "double_list", "bool_list", "tensor_list", "optional_tensor_list"];
export function kernelTypeName(t: i32): string { return t >= 0 && t < KT_NAMES.length ? KT_NAMES[t] : "type_" + t.toString(); }
// Tensor
export const T_SCALAR_TYPE = 0, T_STORAGE_OFFSET = 1, T_SIZES = 2, T_DIM_ORDER = 3, T_DATA_BUFFER_IDX = 5, T_ALLOCATION = 6, T_DYNAMISM = 8, T_EXTRA = 9;
// ExtraTensorInfo
export const X_MUTABLE_IDX = 0, X_FQN = 1, X_LOCATION = 2;
export const LOCATION_SEGMENT = 0, LOCATION_EXTERNAL = 1;
// Operator, Chain, Instruction, KernelCall / DelegateCall
export const OP_NAME = 0, OP_OVERLOAD = 1;
export const CH_INSTRUCTIONS = 2;
export const IN_TYPE = 0, IN_ARGS = 1;
export const IA_KERNEL = 1, IA_DELEGATE = 2, IA_MOVE = 3, IA_JUMP_FALSE = 4, IA_FREE = 5;
export const KC_INDEX = 0, KC_ARGS = 1;
// BackendDelegate, BackendDelegateDataReference, CompileSpec
export const BD_ID = 0, BD_PROCESSED = 1, BD_COMPILE_SPECS = 2;
export const DR_LOCATION = 0, DR_INDEX = 1;
export const DATA_INLINE = 0, DATA_SEGMENT = 1;
export const CS_KEY = 0, CS_VALUE = 1;
// Buffer, BackendDelegateInlineData, DataSegment, SubsegmentOffsets, NamedData
export const BUF_STORAGE = 0;
export const DS_OFFSET = 0, DS_SIZE = 1;
export const SS_SEGMENT_INDEX = 0, SS_OFFSETS = 1;
export const ND_KEY = 0, ND_SEGMENT_INDEX = 1;

// ScalarType codes (c10's numbering) -> core dtype (-1: no array type: quantized and packed kinds).
const SCALAR_DT: i32[] = [
  DT_U8, DT_I8, DT_I16, DT_I32, DT_I64, DT_F16, DT_F32, DT_F64, -1, -1, -1, DT_BOOL, -1, -1, -1, DT_BF16, -1, -1,
  -1, -1, -1, -1, -1, DT_F8_E5M2, DT_F8_E4M3, DT_F8_E5M2FNUZ, DT_F8_E4M3FNUZ, DT_U16, DT_U32, DT_U64,
];
const SCALAR_NAMES: string[] = [
  "BYTE", "CHAR", "SHORT", "INT", "LONG", "HALF", "FLOAT", "DOUBLE", "COMPLEXHALF", "COMPLEXFLOAT", "COMPLEXDOUBLE",
  "BOOL", "QINT8", "QUINT8", "QINT32", "BFLOAT16", "QUINT4X2", "QUINT2X4", "BITS1X8", "BITS2X4", "BITS4X2", "BITS8",
  "BITS16", "FLOAT8E5M2", "FLOAT8E4M3FN", "FLOAT8E5M2FNUZ", "FLOAT8E4M3FNUZ", "UINT16", "UINT32", "UINT64",
];
export function scalarDtype(t: i32): i32 { return t >= 0 && t < SCALAR_DT.length ? SCALAR_DT[t] : -1; }
export function scalarTypeName(t: i32): string { return t >= 0 && t < SCALAR_NAMES.length ? SCALAR_NAMES[t] : "SCALAR_" + t.toString(); }

// Backends whose runtimes ExecuTorch itself ships (backends/): a blob for one of them is compiled
// code for a known delegate; any other id needs a backend the application registers.
const KNOWN_BACKENDS: string[] = [
  "XnnpackBackend", "CoreMLBackend", "CoreAIBackend", "MPSBackend", "VulkanBackend", "QnnBackend", "OpenvinoBackend",
  "EthosUBackend", "TOSABackend", "VgfBackend", "NeuropilotBackend", "NeutronBackend", "EnnBackend", "MLXBackend",
  "NativeBackend", "CudaBackend", "MetalBackend",
];
export function knownBackend(id: string): bool { return KNOWN_BACKENDS.includes(id); }
