// Every verb of the command line, in the order `omnimodel --help` lists them. Adding a verb = one
// file in this folder + one line here.

import type { Verb } from "./verb.js";
import { inspectVerb } from "./inspect.js";
import { dumpVerb } from "./dump.js";
import { convertVerb } from "./convert.js";
import { scanVerb } from "./scan.js";
import { serveVerb } from "./serve.js";
import { graphVerb } from "./graph.js";

export const VERBS: Verb[] = [
  inspectVerb,
  dumpVerb,
  convertVerb,
  scanVerb,
  graphVerb,
  serveVerb,
];
