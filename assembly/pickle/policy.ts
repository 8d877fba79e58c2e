// Risk policy for the globals a pickle imports. Allowlist first: the names the folding pass knows
// how to turn into values are safe; a known-dangerous table (exec/eval, process and file access,
// importers, nested loaders, stdlib and library gadgets) is critical; anything else is reported with
// a severity that depends on how the pickle uses it (called, constructed, only referenced).
//
// Names are compared after normalising Python 2 spellings and numpy.core -> numpy._core, and the
// FULL dotted path is checked component by component ("pathlib" + "os.system" is os.system,
// "numpy" + "__builtins__" is a traversal into builtins).

import { GFlag } from "./graph";

export const enum Severity { NONE = 0, INFO = 1, LOW = 2, MEDIUM = 3, HIGH = 4, CRITICAL = 5 }

export function severityName(s: i32): string {
  switch (s) {
    case Severity.INFO: return "info";
    case Severity.LOW: return "low";
    case Severity.MEDIUM: return "medium";
    case Severity.HIGH: return "high";
    case Severity.CRITICAL: return "critical";
  }
  return "none";
}

// Python 2 module names (pickle's fix_imports) and aliases that load the same object.
export function normalizeModule(m: string): string {
  if (m == "__builtin__") return "builtins";
  if (m == "copy_reg") return "copyreg";
  if (m == "exceptions") return "builtins";
  if (m == "cPickle" || m == "_pickle") return "pickle";
  if (m == "posix" || m == "nt") return "os";
  if (m == "posixpath" || m == "ntpath") return "os.path";
  if (m == "_operator") return "operator";
  if (m == "_io") return "io";
  if (m == "commands") return "subprocess";
  if (m == "numpy.core" || m.startsWith("numpy.core.")) return "numpy._core" + m.substring(10);
  return m;
}

export function normalizeName(module: string, name: string): string {
  return normalizeModule(module) + "." + name;
}

// Exact names the folding pass understands (safe constructors and data carriers).
const SAFE_EXACT: string[] = [
  "collections.OrderedDict", "collections.Counter", "collections.defaultdict", "collections.deque",
  "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.complex", "builtins.slice",
  "builtins.bytes", "builtins.list", "builtins.dict", "builtins.tuple", "builtins.int", "builtins.float",
  "builtins.str", "builtins.bool", "builtins.object", "builtins.range", "builtins.xrange", "builtins.long",
  "builtins.unicode", "builtins.hash", "builtins.len", "builtins.abs", "builtins.round", "builtins.divmod", "builtins.pow",
  "builtins.repr", "builtins.ord", "builtins.chr", "builtins.bin", "builtins.hex", "builtins.oct", "builtins.Ellipsis",
  "builtins.NotImplemented", "builtins.basestring", "builtins.buffer", "builtins.intern",
  "_codecs.encode", "copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "re._compile",
  "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
  "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
  "torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor", "torch._utils._rebuild_nested_tensor",
  "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
  "torch._utils._rebuild_device_tensor_from_cpu_tensor", "torch._utils._rebuild_device_tensor_from_numpy",
  "torch._utils._rebuild_xla_tensor", "torch._tensor._rebuild_from_type_v2", "torch._utils._rebuild_sparse_csr_tensor",
  "torch.serialization._get_layout", "torch.storage.UntypedStorage", "torch.storage.TypedStorage", "torch.Size", "torch.device", "torch.Tensor", "torch.nn.parameter.Parameter",
  "torch._C._nn.gelu", "torch.per_tensor_affine", "torch.per_channel_affine", "torch.per_channel_affine_float_qparams",
  "torch.per_tensor_symmetric", "torch.per_channel_symmetric",
  "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_doublelist",
  "torch.jit._pickle.build_boollist", "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_tensor_from_id",
  "numpy._core.multiarray._reconstruct", "numpy._core.multiarray.scalar", "numpy._core.numeric._frombuffer",
  "numpy.ndarray", "numpy.dtype", "numpy.matrixlib.defmatrix.matrix", "numpy.ma.core._mareconstruct",
  "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor", "numpy.random._pickle.__generator_ctor",
  "numpy.random.__RandomState_ctor", "numpy._core._internal._convert_to_stringdtype_kwargs",
  "joblib.numpy_pickle.NumpyArrayWrapper", "joblib.numpy_pickle.NDArrayWrapper", "joblib.numpy_pickle_compat.NDArrayWrapper",
  "argparse.Namespace", "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
  "decimal.Decimal", "fractions.Fraction", "uuid.UUID", "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.PurePosixPath",
];

// torch dtypes and storage classes are safe names.
const TORCH_DTYPES: string[] = [
  "float64", "float32", "float16", "bfloat16", "double", "float", "half", "int64", "int32", "int16", "int8", "uint8",
  "uint16", "uint32", "uint64", "bool", "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "long", "int", "short",
  "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2",
  "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
  "int1", "int2", "int3", "int4", "int5", "int6", "int7", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
  "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "jagged",
  "contiguous_format", "channels_last", "preserve_format", "channels_last_3d",
];

// Modules where every name is dangerous (process, file, network, code, import machinery).
const CRITICAL_MODULES: string[] = [
  "os", "subprocess", "sys", "pty", "shutil", "socket", "runpy", "importlib", "ctypes", "pickle", "dill",
  "marshal", "code", "codeop", "webbrowser", "asyncio", "multiprocessing", "pdb", "timeit", "cProfile",
  "profile", "trace", "bdb", "pydoc", "pkgutil", "urllib", "http", "ftplib", "smtplib", "telnetlib", "nntplib",
  "poplib", "imaplib", "requests", "aiohttp", "httplib", "urllib2", "httpx", "paramiko", "fabric", "tempfile",
  "signal", "_thread", "thread", "threading", "platform", "popen2", "spawn", "_posixsubprocess", "posixsubprocess",
  "venv", "ensurepip", "distutils", "setuptools", "pip", "idlelib", "lib2to3", "_osx_support",
  "_aix_support", "_pyrepl", "test", "mailcap", "py_compile", "compileall", "zipimport", "imp", "site", "sysconfig",
  "uuid._get_command_stdout", "ssl", "socketserver", "xmlrpc", "dbm", "shelve", "mmap", "resource", "syslog",
  "getpass", "atexit", "weakref", "gc", "inspect", "types", "operator", "functools", "copyreg", "joblib", "cloudpickle",
  "_pickle", "torch.hub", "torch._inductor", "torch.jit.unsupported_tensor_ops", "torch.fx.experimental.symbolic_shapes",
  "torch._dynamo", "torch.utils.collect_env", "torch.utils.bottleneck", "torch.serialization", "torch.storage",
  "torch.utils._config_module", "torch.utils.data.datapipes", "torch.package", "torch.distributed",
  "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.utils", "numpy.load", "pandas.io", "pandas.read_pickle",
  "doctest", "_interpreters", "_xxsubinterpreters", "interpreters", "unittest.mock", "_imp", "_frozen_importlib",
  "_frozen_importlib_external", "fileinput", "concurrent.futures", "zipapp", "sqlite3", "_sqlite3", "_signal", "_ctypes",
  "_socket", "_ssl", "_posixshmem", "_multiprocessing", "_winreg", "nturl2path", "_bootlocale", "fickling", "picklescan", "modelscan", "modelaudit", "keras.models", "tensorflow.io", "io", "_io", "glob", "zipfile",
  "tarfile", "gzip", "bz2", "lzma", "logging", "smtpd", "cgi", "xml", "ast", "dis", "linecache", "tokenize",
  "sqlite3", "winreg", "_winapi", "msvcrt", "nturl2path", "pyexpat", "urllib3", "selectors", "select",
];

// builtins: data types are safe (SAFE_EXACT), these run code, touch files or reach any object.
const BUILTINS_CRITICAL: string[] = [
  "eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr", "globals", "locals", "vars",
  "input", "raw_input", "breakpoint", "apply", "execfile", "file", "reload", "exit", "quit", "help", "type", "super",
  "classmethod", "staticmethod", "property", "memoryview", "__build_class__", "__loader__", "__spec__", "copyright",
  "credits", "license", "print", "dir", "object.__subclasses__", "object.__reduce__",
];
// builtins that call what they are given (map(eval, ...)): a call chain away from execution.
const BUILTINS_HIGH: string[] = ["map", "filter", "sorted", "min", "max", "iter", "next", "reversed", "zip", "enumerate", "sum", "any", "all"];

// Exact critical names outside those modules.
const CRITICAL_EXACT: string[] = [
  "numpy._core._internal.sys", "numpy.__builtins__", "torch.load", "torch.jit.load", "numpy.load",
  "uuid._get_command_stdout", "torch.storage._load_from_bytes", "torch._C._jit_compile", "torch.compile",
  "torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.load", "torch.jit.script", "torch.jit.CompilationUnit",
  "pandas.read_pickle", "pandas.read_csv", "dill._dill._create_code", "dill._dill._create_function",
  "dill._dill._eval_repr", "dill._dill._import_module", "dill._dill._create_filehandle", "dill._dill._create_capsule",
  "numpy.ctypeslib.load_library", "tensorflow.keras.models.load_model",
  // torch.fx rebuilds a GraphModule by exec() of Python source carried in the pickle
  "torch.fx.graph_module._exec_with_source", "torch.fx.graph_module._forward_from_src",
  "torch.fx.graph_module._method_from_src", "torch.fx.graph_module.reduce_graph_module",
  "torch.fx.graph_module.reduce_package_graph_module", "torch.fx.graph_module.reduce_deploy_graph_module",
  "torch._C._import_ir_module", "torch._C._load_for_lite_interpreter", "torch.utils.cpp_extension",
  "torch.cuda.jiterator", "torch.testing._internal", "torch.jit.frontend", "torch.jit._serialization",
  // expression evaluators and template engines (eval of a string argument)
  "pandas.eval", "pandas.core.computation", "numexpr", "sympy.sympify", "sympy.core.sympify", "sympy.parsing",
  "jinja2", "IPython", "pydevd", "_pydevd_bundle", "pytest", "_pytest",
  // library helpers that fetch and run code or start processes
  "transformers.dynamic_module_utils", "transformers.agents.python_interpreter",
  "transformers.tools.python_interpreter", "smolagents", "accelerate.commands", "accelerate.launchers",
];

// Attribute names whose presence anywhere in a dotted path means a traversal out of the module.
const CRITICAL_COMPONENTS: string[] = [
  "__builtins__", "__import__", "__globals__", "__dict__", "__class__", "__subclasses__", "__bases__", "__mro__",
  "__getattribute__", "__getattr__", "__reduce__", "__reduce_ex__", "__code__", "__closure__", "__loader__",
  "__spec__", "__init__", "__new__", "__call__", "__setattr__", "__delattr__", "__self__", "__func__", "__module__",
  "sys", "os", "subprocess", "builtins", "system", "popen", "exec", "eval", "compile", "getattr",
  "setattr", "importlib", "import_module", "runcode", "runsource", "spawn", "execv", "execve", "execl", "fork",
];

// The allowlist's second part: classes of the libraries whose objects real checkpoints hold
// (scikit-learn estimators, pandas frames, numpy random states, torch modules and optimizers,
// xgboost/lightgbm boosters, transformers and Lightning configs). A class here is constructed as a
// data holder (REDUCE/NEWOBJ + BUILD of plain state); its functions are not allowed unless listed
// in LIBRARY_FUNCTIONS or made by Cython to rebuild one of its classes (__pyx_unpickle_<Class>).
// docs/scanner-allowlist.md lists every entry; a test keeps the two in step.
export const ALLOWED_CLASS_NAMESPACES: string[] = [
  "sklearn.", "numpy.", "pandas.", "scipy.", "torch.nn.modules.", "torch.nn.parameter.", "torch.nn.utils.",
  "torch.optim.", "torch.ao.nn.", "torch.amp.", "torch.distributions.", "xgboost.", "lightgbm.", "catboost.",
  "transformers.", "tokenizers.", "accelerate.", "lightning.", "pytorch_lightning.", "lightning_fabric.",
  "torchmetrics.", "peft.", "gensim.", "ultralytics.nn.", "__torch__.",
];

// Parts of those namespaces whose classes do more than hold data when constructed (read files,
// load other models, run a command line): they get no allowlist pass.
export const NOT_ALLOWED_NAMESPACES: string[] = [
  "transformers.pipelines", "transformers.dynamic_module_utils", "transformers.agents", "transformers.tools",
  "lightning.app", "lightning.pytorch.cli", "pytorch_lightning.cli", "lightning.fabric.cli",
  "scipy.io", "scipy.weave", "scipy._lib", "numpy.lib._datasource", "numpy.lib.npyio", "numpy.lib._npyio_impl",
  "numpy.lib.format", "numpy.memmap", "pandas.HDFStore", "pandas.ExcelFile", "pandas.ExcelWriter",
  "sklearn.datasets", "sklearn.utils._testing", "gensim.utils", "gensim.downloader", "accelerate.commands",
  "accelerate.launchers", "torch.nn.modules.module.register_module_forward_hook",
];

// Functions of those libraries that pickles call to rebuild their objects (exact names).
export const LIBRARY_FUNCTIONS: string[] = [
  "pandas._libs.internals._unpickle_block", "pandas.core.internals.blocks.new_block", "pandas.core.internals.blocks._unpickle_block",
  "pandas.core.indexes.base._new_Index", "pandas.core.indexes.datetimes._new_DatetimeIndex",
  "pandas.core.indexes.period._new_PeriodIndex", "pandas.core.indexes.interval._new_IntervalIndex",
  "pandas._libs.tslibs.timestamps._unpickle_timestamp", "pandas._libs.tslibs.timedeltas._timedelta_unpickle",
  "pandas._libs.tslibs.nattype.__nat_unpickle", "pandas._libs.tslibs.offsets._unpickle_offset",
  "pandas.core.arrays.categorical._new_Categorical", "pandas._libs.sparse._unpickle_sparse",
];

// numpy's scalar types: referencing or calling one makes a number.
const NUMPY_SCALAR_TYPES: string[] = [
  "bool_", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp", "uintp",
  "float16", "float32", "float64", "longdouble", "complex64", "complex128", "clongdouble", "str_", "bytes_",
  "object_", "void", "datetime64", "timedelta64", "half", "single", "double", "longlong", "ulonglong", "byte",
  "ubyte", "short", "ushort", "intc", "uintc", "int_", "uint", "csingle", "cdouble", "generic", "number",
];

// The class name of a dotted path, when its last part names a class: CamelCase after any leading
// underscores (_BinMapper), or scipy.sparse's lower-case matrix/array types (csr_matrix).
export function looksLikeClass(full: string): bool {
  const parts = full.split(".");
  let last = parts[parts.length - 1];
  while (last.startsWith("_")) last = last.substring(1);
  if (last.length == 0) return false;
  const c = last.charCodeAt(0);
  if (c >= 0x41 && c <= 0x5a) return true;
  return full.startsWith("scipy.sparse.") && (last.endsWith("_matrix") || last.endsWith("_array"));
}

// True when `full` is on the allowlist of library classes and rebuild functions (not SAFE_EXACT).
export function libraryAllowed(full: string): bool {
  for (let i = 0; i < NOT_ALLOWED_NAMESPACES.length; i++) if (startsWithModule(full, NOT_ALLOWED_NAMESPACES[i])) return false;
  if (LIBRARY_FUNCTIONS.includes(full)) return true;
  // scikit-learn's Cython loss classes pickle under the bare module name "_loss"
  if (full.startsWith("_loss.Cy") && full.indexOf(".", 6) < 0) return true;
  if (full.startsWith("numpy.") && NUMPY_SCALAR_TYPES.includes(full.substring(6))) return true;
  for (let i = 0; i < ALLOWED_CLASS_NAMESPACES.length; i++) {
    if (!full.startsWith(ALLOWED_CLASS_NAMESPACES[i])) continue;
    const last = full.substring(full.lastIndexOf(".") + 1);
    if (last.startsWith("__pyx_unpickle_") && last.length > 15) return true;
    return looksLikeClass(full);
  }
  return false;
}

export class Verdict {
  severity: i32 = Severity.NONE;
  reason: string = "";
  canonical: string = "";
}

function startsWithModule(full: string, m: string): bool {
  return full == m || full.startsWith(m + ".");
}

// Classifies one global by its raw module/name and the way the pickle uses it (GFlag bits).
export function classifyGlobal(module: string, name: string, gflags: u32): Verdict {
  const v = new Verdict();
  const full = normalizeName(module, name);
  v.canonical = full;
  if ((gflags & GFlag.DYNAMIC) != 0) {
    v.severity = Severity.CRITICAL;
    v.reason = "global name assembled at run time (not a literal string)";
    return v;
  }
  if ((gflags & GFlag.OP_EXT) != 0) {
    v.severity = Severity.HIGH;
    v.reason = "global taken from the copyreg extension registry (EXT opcode)";
    return v;
  }
  if (module.indexOf("\n") >= 0 || module.indexOf("\0") >= 0 || name.indexOf("\0") >= 0 || module.indexOf("\r") >= 0 || name.indexOf("\r") >= 0) {
    v.severity = Severity.HIGH;
    v.reason = "global name contains control characters";
    return v;
  }
  if (normalizeModule(module) == "builtins") {
    const first = name.indexOf(".") >= 0 ? name.substring(0, name.indexOf(".")) : name;
    if (BUILTINS_CRITICAL.includes(first) || BUILTINS_CRITICAL.includes(name) || name.indexOf("__") >= 0 || name.indexOf(".") >= 0) {
      v.severity = Severity.CRITICAL;
      v.reason = "builtins." + name + " runs code, opens files or reaches arbitrary objects";
      return v;
    }
    if (BUILTINS_HIGH.includes(name)) {
      v.severity = Severity.HIGH;
      v.reason = "builtins." + name + " calls the callables it is given";
      return v;
    }
  }
  for (let i = 0; i < CRITICAL_EXACT.length; i++) {
    if (startsWithModule(full, CRITICAL_EXACT[i])) {
      v.severity = Severity.CRITICAL;
      v.reason = "known code-execution or nested-load gadget";
      return v;
    }
  }
  if (isSafe(full)) {
    if ((gflags & (GFlag.BUILD_TARGET | GFlag.MUTATED)) != 0) {
      v.severity = Severity.CRITICAL;
      v.reason = "BUILD/SETITEM applied to an imported name (attribute poisoning)";
      return v;
    }
    v.reason = "known constructor";
    return v;
  }
  for (let i = 0; i < CRITICAL_MODULES.length; i++) {
    if (startsWithModule(full, CRITICAL_MODULES[i])) {
      v.severity = Severity.CRITICAL;
      v.reason = "imports from " + CRITICAL_MODULES[i] + " (process, file, network or code access)";
      return v;
    }
  }
  // C accelerator modules: "_socket" is socket, "_ctypes" is ctypes
  if (module.startsWith("_") && !module.startsWith("__")) {
    const bare = normalizeName(module.substring(1), name);
    for (let i = 0; i < CRITICAL_MODULES.length; i++) {
      if (startsWithModule(bare, CRITICAL_MODULES[i])) {
        v.severity = Severity.CRITICAL;
        v.reason = "imports from " + module + " (the C module behind " + CRITICAL_MODULES[i] + ")";
        return v;
      }
    }
  }
  // Every component of the dotted path (module parts and name parts).
  const parts = full.split(".");
  for (let i = 0; i < parts.length; i++) {
    if (CRITICAL_COMPONENTS.includes(parts[i])) {
      v.severity = Severity.CRITICAL;
      v.reason = "name traverses '" + parts[i] + "'";
      return v;
    }
  }
  // A dotted name may resolve into a dangerous module through an attribute chain (pathlib + os.system).
  if (name.indexOf(".") >= 0) {
    const sub = name.substring(0, name.indexOf("."));
    for (let i = 0; i < CRITICAL_MODULES.length; i++) {
      if (sub == CRITICAL_MODULES[i]) {
        v.severity = Severity.CRITICAL;
        v.reason = "dotted name reaches module " + sub;
        return v;
      }
    }
  }
  if ((gflags & (GFlag.BUILD_TARGET | GFlag.MUTATED)) != 0) {
    v.severity = Severity.CRITICAL;
    v.reason = "BUILD/SETITEM applied to an imported name (attribute poisoning)";
    return v;
  }
  if (libraryAllowed(full)) {
    v.severity = Severity.INFO;
    v.reason = looksLikeClass(full) ? "class of a known library, constructed as a data holder" : "a known library's own rebuild function";
    return v;
  }
  // Allowlist first: calling anything else (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, or a class
  // rebuilt through copyreg and then BUILT) runs code the allowlist does not vouch for.
  if ((gflags & GFlag.DISCARDED) != 0) {
    v.severity = Severity.HIGH;
    v.reason = "callable outside the allowlist whose result is discarded (called for its side effect)";
    return v;
  }
  if ((gflags & GFlag.CALLED) != 0) {
    const cls = looksLikeClass(full);
    v.severity = Severity.HIGH;
    v.reason = cls ? "class outside the allowlist constructed (its constructor or __setstate__ runs on load)" : "callable outside the allowlist called on load";
    return v;
  }
  v.severity = Severity.LOW;
  v.reason = "unknown name imported (not called)";
  return v;
}

export function isSafe(full: string): bool {
  if (SAFE_EXACT.includes(full)) return true;
  if (full.startsWith("torch.")) {
    const rest = full.substring(6);
    if (rest.indexOf(".") < 0) {
      if (rest.endsWith("Storage") || rest.endsWith("Tensor")) return true;
      if (TORCH_DTYPES.includes(rest)) return true;
    }
  }
  if (full.startsWith("numpy.dtypes.") && full.endsWith("DType") && full.substring(13).indexOf(".") < 0) return true;
  return false;
}
