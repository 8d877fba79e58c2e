// Every verb of the command line, in the order `omnimodel --help` lists them. Adding a verb = one
// file in this folder + one line here.

import type { Verb } from "./verb.ts";
import { inspectVerb } from "./inspect.ts";
import { dumpVerb } from "./dump.ts";
import { convertVerb } from "./convert.ts";
import { ggufVerb } from "./gguf.ts";
import { diffVerb } from "./diff.ts";
import { scanVerb } from "./scan.ts";
import { serveVerb } from "./serve.ts";
import { graphVerb } from "./graph.ts";

export const VERBS: Verb[] = [
  inspectVerb,
  dumpVerb,
  convertVerb,
  ggufVerb,
  diffVerb,
  scanVerb,
  graphVerb,
  serveVerb,
];
