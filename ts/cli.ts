// The command line's entry (bin/omnimodel.js loads the compiled form of this file); the verbs
// live in ./cli/, one file each.
export { main } from "./cli/main.ts";
