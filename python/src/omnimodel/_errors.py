"""Every failure is an OmnimodelError with a stable ``code``: the core's error names
(bindings/ABI.md), the same strings the TypeScript SDK uses."""

from typing import Optional

ERROR_NAMES = [
    "ERROR", "TRUNCATED", "UNKNOWN_FORMAT", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH",
    "INVALID_HEADER", "INVALID_JSON", "INVALID_OFFSET", "OVERFLOW", "MISALIGNED", "SIZE_MISMATCH",
    "INCOMPLETE_BUFFER", "DUPLICATE", "UNSUPPORTED", "LIMIT", "BAD_DTYPE", "BAD_SHAPE", "CHECKSUM",
    "DECOMPRESS", "SOURCE_MISSING", "PATH_VIOLATION", "NOT_FOUND", "NO_MEMORY", "BAD_ARGUMENT", "IO",
    "UNREADABLE", "CORRUPT",
]


def error_code_name(code: int) -> str:
    return ERROR_NAMES[code] if 0 <= code < len(ERROR_NAMES) else "ERROR"


class OmnimodelError(Exception):
    """An error with a stable ``code`` (e.g. "TRUNCATED"), the ``file`` and the byte ``offset``."""

    def __init__(self, code: str, message: str, file: Optional[str] = None, offset: Optional[int] = None):
        self.code = code
        self.file = file
        self.offset = offset
        self.reason = message
        super().__init__(f"{file}: {message}" if file else message)
