// The lexical half of the sibling-file resolver, shared by every format: a reference must be a
// relative path that stays inside the model's directory. (Hosts add the filesystem half: no
// symlink may lead outside the directory.)

// Returns "" when the path is acceptable, else the rule it breaks (completes "which ...").
export function checkRelativePath(p: string): string {
  if (p.length == 0) return "is empty";
  if (p.length > 4096) return "is longer than 4096 characters";
  if (p.indexOf("\0") >= 0) return "contains a NUL character";
  if (p.charAt(0) == "/" || p.charAt(0) == "\\") return "is an absolute path";
  if (p.length >= 2 && p.charAt(1) == ":") return "is an absolute Windows path";
  if (p.indexOf("://") >= 0) return "is a URL";
  const norm = p.replaceAll("\\", "/");
  const parts = norm.split("/");
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] == "..") return "leaves the model's directory (\"..\")";
  }
  return "";
}

// Joins a directory-relative base (the referring file's folder, "" for the root) and a reference.
export function joinRelative(dir: string, ref: string): string {
  if (dir.length == 0) return ref;
  return dir.endsWith("/") ? dir + ref : dir + "/" + ref;
}

export function dirName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.substring(0, i);
}

export function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.substring(i + 1);
}
