"""dtype names, the ABI's codes, and how Python holds each type (memoryview format / numpy)."""

DTYPE_CODES = {
    "F64": 1, "F32": 2, "F16": 3, "BF16": 4, "I64": 5, "I32": 6, "I16": 7, "I8": 8, "U64": 9, "U32": 10,
    "U16": 11, "U8": 12, "BOOL": 13, "C64": 14, "C128": 15, "F8_E4M3": 16, "F8_E5M2": 17, "F8_E8M0": 18,
    "F8_E4M3FNUZ": 19, "F8_E5M2FNUZ": 20, "F6_E2M3": 21, "F6_E3M2": 22, "F4": 23, "STR": 24, "RAW": 25,
    "I4": 26, "U4": 27, "I2": 28, "U2": 29, "C32": 30, "OBJECT": 31,
}

# memoryview format per element; complex types become a trailing axis of 2 (re, im). memoryview
# cannot cast to half floats ("e"), so F16 and BF16 (which has no Python type at all) keep their
# bits as unsigned 16-bit integers: read("F32") or numpy() gives values.
MEMORYVIEW_FORMAT = {
    "F64": "d", "F32": "f", "F16": "H", "BF16": "H", "I64": "q", "U64": "Q", "I32": "i", "U32": "I",
    "I16": "h", "U16": "H", "I8": "b", "U8": "B", "BOOL": "?", "C64": "f", "C128": "d", "C32": "H",
    "F8_E4M3": "B", "F8_E5M2": "B", "F8_E8M0": "B", "F8_E4M3FNUZ": "B", "F8_E5M2FNUZ": "B",
}
COMPLEX = {"C64", "C128", "C32"}

NUMPY_DTYPE = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "U64": "<u8", "I32": "<i4",
    "U32": "<u4", "I16": "<i2", "U16": "<u2", "I8": "i1", "U8": "u1", "BOOL": "?", "C64": "<c8",
    "C128": "<c16", "F8_E4M3": "u1", "F8_E5M2": "u1", "F8_E8M0": "u1", "F8_E4M3FNUZ": "u1", "F8_E5M2FNUZ": "u1",
}
# ml_dtypes, when installed, gives bf16 and f8 types their real numpy dtypes.
ML_DTYPES = {"BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2", "F8_E8M0": "float8_e8m0fnu",
             "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz"}
