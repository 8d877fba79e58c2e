// Objects a Keras config makes the loader import: Keras 3 serializes every object (layers,
// activations, initializers, losses, plain functions) as {module, class_name, config,
// registered_name}; `class_name: "function"` with `config: "<name>"` is a function looked up in
// `module` (keras.saving deserialize_keras_object). Anything outside Keras' own packages is code
// the config picks: high, and critical when it names a module or function that runs commands or
// code (subprocess.getoutput as an activation, registered_name "builtins>exec", CVE-2025-1550).

import { JArr, JKind, JObj, JValue } from "../../util/json";
import { SEV_CRITICAL, SEV_HIGH } from "../../core/model";

const KERAS_PACKAGES: string[] = ["keras", "keras_hub", "keras_nlp", "keras_cv", "keras_rs", "tf_keras", "tensorflow.keras", "tensorflow.python.keras", "tensorflow_addons"];

// Modules whose functions run commands, load code or touch files.
const DANGEROUS_MODULES: string[] = [
  "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "shutil", "socket", "pty", "importlib",
  "runpy", "code", "codeop", "ctypes", "pickle", "marshal", "webbrowser", "multiprocessing", "pathlib", "io",
  "tempfile", "urllib", "requests", "http", "ftplib", "telnetlib", "smtplib", "pdb", "timeit", "commands",
  "operator", "functools", "pydoc", "pkgutil", "dill", "cloudpickle", "joblib", "numpy.f2py", "asyncio", "platform",
];
// Function names that run code wherever they live.
const CODE_NAMES: string[] = [
  "exec", "eval", "compile", "system", "popen", "Popen", "getoutput", "getstatusoutput", "check_output", "check_call",
  "call", "run", "spawn", "execv", "execve", "execl", "execvp", "__import__", "import_module", "load", "loads", "open",
  "resolve_name", "locate", "attrgetter", "methodcaller", "getattr", "setattr", "remove", "rmtree", "unlink",
];

export class ForeignCallable {
  constructor(public severity: i32, public message: string, public path: string) {}
}

function topModule(m: string): string {
  const d = m.indexOf(".");
  return d < 0 ? m : m.substring(0, d);
}

function inPackage(m: string, pkgs: string[]): bool {
  for (let i = 0; i < pkgs.length; i++) if (m == pkgs[i] || m.startsWith(pkgs[i] + ".")) return true;
  return false;
}

function dangerous(m: string): bool {
  return DANGEROUS_MODULES.includes(topModule(m)) || inPackage(m, DANGEROUS_MODULES);
}

// Every serialized object in `v` (depth-limited) whose module or registered package is not Keras.
export function foreignCallables(v: JValue, out: ForeignCallable[], path: string, depth: i32): void {
  if (depth > 64 || out.length >= 64) return;
  if (v.kind == JKind.ARR) {
    const a = <JArr>v;
    for (let i = 0; i < a.length; i++) foreignCallables(a.at(i), out, path + "[" + i.toString() + "]", depth + 1);
    return;
  }
  if (v.kind != JKind.OBJ) return;
  const o = <JObj>v;
  check(o, out, path);
  for (let i = 0; i < o.keys.length; i++) foreignCallables(o.vals[i], out, path.length ? path + "." + o.keys[i] : o.keys[i], depth + 1);
}

function check(o: JObj, out: ForeignCallable[], path: string): void {
  const cls = o.getStr("class_name");
  if (cls === null) return;
  const mod = o.getStr("module");
  const reg = o.getStr("registered_name");
  const cfg = o.get("config");
  // the callable's own name: a function's name is its config (or registered name)
  let name = cls;
  if (cls == "function") {
    const n = cfg !== null ? cfg.asStr() : null;
    name = n !== null ? n : reg !== null ? reg : cls;
  }
  const where = path.length ? path : "config";
  // A registered name is only looked up in Keras' registry of custom objects (nothing is
  // imported for it): a custom class that was never registered fails to load. So an ordinary
  // custom package is medium (already reported as keras-custom-class for layers); one that names
  // a code-running module or function is critical.
  if (reg !== null && reg.indexOf(">") > 0 && (mod === null || inPackage(mod, KERAS_PACKAGES))) {
    const pkg = reg.substring(0, reg.indexOf(">"));
    const fn = reg.substring(reg.indexOf(">") + 1);
    if (!inPackage(pkg, KERAS_PACKAGES) && (dangerous(pkg) || CODE_NAMES.includes(fn))) {
      out.push(new ForeignCallable(SEV_CRITICAL, "registered_name \"" + reg + "\" at " + where + " names a code-running function from package " + pkg + " that the loader looks up and calls", where));
      return;
    }
  }
  if (mod === null) return;
  if (inPackage(mod, KERAS_PACKAGES)) return;
  const full = mod + "." + name;
  if (dangerous(mod) || CODE_NAMES.includes(name)) {
    out.push(new ForeignCallable(SEV_CRITICAL, (cls == "function" ? "function " : "class ") + full + " at " + where + ": loading the model imports and calls it (runs commands or code; CVE-2025-1550)", where));
  } else {
    out.push(new ForeignCallable(SEV_HIGH, (cls == "function" ? "function " : "class ") + full + " at " + where + " is outside Keras: loading the model imports that module and calls it", where));
  }
}
