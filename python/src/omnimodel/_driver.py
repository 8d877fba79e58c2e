"""The host loop (bindings/ABI.md "Driving a job"): run the job, answer what it asks for, run
again. Yields what a read produces so callers decide where the bytes go."""

from ._backend import MASK, Core
from ._errors import OmnimodelError, error_code_name

S_DONE, S_NEED_BYTES, S_NEED_SOURCE, S_OUTPUT, S_COPY, S_ERROR = 0, 1, 2, 3, 4, -1
CODE_SOURCE_MISSING, CODE_PATH_VIOLATION = 20, 21


class SourceTable:
    def __init__(self, main):
        self.main = main
        self._sources = {0: main}

    def get(self, i):
        s = self._sources.get(i)
        if s is None:
            raise OmnimodelError("BAD_ARGUMENT", f"the core asked for unknown source {i}", file=self.main.name)
        return s

    def set(self, i, s):
        self._sources[i] = s

    def close(self):
        for s in self._sources.values():
            s.close()


def job_error(core: Core, h: int, file=None) -> OmnimodelError:
    code = core.job_error_code(h)
    msg = core.string(core.job_error_message(h), core.job_error_message_length(h)) or "unknown error"
    return OmnimodelError(error_code_name(code), msg, file=file, offset=int(core.job_error_offset(h)))


def steps(core: Core, h: int, table: SourceTable):
    """Yields ("output", ptr, length, offset) and ("copy", source, source_offset, length, offset).
    An output's bytes must be taken before the generator is resumed."""
    while True:
        st = core.job_run(h)
        if st == S_DONE:
            return
        if st == S_NEED_BYTES:
            _feed(core, h, table)
        elif st == S_NEED_SOURCE:
            _answer_source(core, h, table)
        elif st == S_OUTPUT:
            yield ("output", core.job_output_ptr(h) & MASK, core.job_output_length(h) & MASK, int(core.job_output_offset(h)))
        elif st == S_COPY:
            yield ("copy", table.get(core.job_need_source(h)), int(core.job_need_offset(h)), int(core.job_need_length(h)), int(core.job_output_offset(h)))
        else:
            raise job_error(core, h, table.main.name)


def drive(core: Core, h: int, table: SourceTable) -> None:
    for _ in steps(core, h, table):
        pass


def _feed(core, h, table):
    src = table.get(core.job_need_source(h))
    offset = int(core.job_need_offset(h))
    n = int(core.job_need_length(h))
    p = core.job_feed(h, n) & MASK
    if not p:
        raise OmnimodelError("NO_MEMORY", f"the core could not take {n} bytes", file=src.name, offset=offset)
    core.fill(p, n, lambda view: src.readinto(view, offset))
    rc = core.job_commit(h, n)
    if rc != 0:
        raise OmnimodelError(error_code_name(rc), f"the core refused {n} bytes at offset {offset}", file=src.name, offset=offset)


def _answer_source(core, h, table):
    i = core.job_need_source(h)
    name = core.string(core.job_need_name(h), core.job_need_name_length(h))
    try:
        s = table.main.sibling(name)
        table.set(i, s)
        core.job_source_found(h, i, s.size)
    except OmnimodelError as e:
        code = CODE_PATH_VIOLATION if e.code == "PATH_VIOLATION" else CODE_SOURCE_MISSING
        core.with_string(str(e), lambda p, n: core.job_source_failed(h, i, code, p, n))
