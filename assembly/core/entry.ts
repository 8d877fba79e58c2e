// Which file of a directory is the model's entry point (a SavedModel folder, a sharded
// checkpoint, a TF.js folder...). Hosts list the directory; this rule lives once, here.

// Patterns in priority order: exact relative path, or "*suffix" matching any path ending so.
const RULES: string[] = [
  "saved_model.pb",
  "saved_model.pbtxt",
  "MAR-INF/MANIFEST.json",
  "*model.safetensors.index.json",
  "*.safetensors.index.json",
  "*pytorch_model.bin.index.json",
  "*.bin.index.json",
  "model.json",
  "Manifest.json",
  "*.mlmodel",
  "*-00001-of-*.gguf",
  "*.gguf",
  "*.onnx",
  "model.safetensors",
  "*.safetensors",
  "pytorch_model.bin",
  "*.pt",
  "*.pth",
  "*.ckpt.index",
  "*.index",
  "*.keras",
  "*.h5",
  "*.npz",
  "*.npy",
  "*.pkl",
  "*.joblib",
  "tokenizer.model",
  "*.model",
  "config.json",
];

function matches(path: string, rule: string): bool {
  if (rule.startsWith("*")) {
    const mid = rule.indexOf("*", 1);
    if (mid > 0) {
      // "*a*b": contains a, ends with b
      const a = rule.substring(1, mid);
      const b = rule.substring(mid + 1);
      const base = path.substring(path.lastIndexOf("/") + 1);
      return base.indexOf(a) >= 0 && base.endsWith(b);
    }
    return path.endsWith(rule.substring(1));
  }
  return path == rule;
}

// Index of the entry file in `paths` (relative, "/"-separated), or -1.
export function chooseEntry(paths: string[]): i32 {
  if (!paths.includes("saved_model.pb") && !paths.includes("saved_model.pbtxt")) {
    const served = servingVersion(paths);
    if (served >= 0) return served;
  }
  for (let r = 0; r < RULES.length; r++) {
    let best = -1;
    for (let i = 0; i < paths.length; i++) {
      if (!matches(paths[i], RULES[r])) continue;
      // Prefer the shallowest, then the shortest path.
      if (best < 0 || depth(paths[i]) < depth(paths[best]) || (depth(paths[i]) == depth(paths[best]) && paths[i] < paths[best])) best = i;
    }
    if (best >= 0) return best;
  }
  return -1;
}

function depth(p: string): i32 {
  let d = 0;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) == 0x2f) d++;
  return d;
}

// A TF Serving model folder holds one SavedModel per numeric version folder (`model/1/`,
// `model/2/saved_model.pb`); TF Serving serves the highest version, so that is the entry. Without
// this the first match would be `variables/variables.index`, a bare checkpoint.
function servingVersion(paths: string[]): i32 {
  let best = -1;
  let bestVersion: f64 = -1;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i];
    let name = "saved_model.pb";
    if (!p.endsWith("/" + name)) {
      name = "saved_model.pbtxt";
      if (!p.endsWith("/" + name)) continue;
    }
    const parent = p.substring(0, p.length - name.length - 1);
    if (parent.indexOf("/") >= 0 || !isDigits(parent)) continue; // one version folder deep
    const v = parseFloat(parent);
    if (v > bestVersion || (v == bestVersion && name == "saved_model.pb")) {
      bestVersion = v;
      best = i;
    }
  }
  return best;
}

function isDigits(s: string): bool {
  if (s.length == 0 || s.length > 19) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
