// `omnimodel serve [FILE|DIR]`: the inspector page on localhost, optionally opened on a model.

import { existsSync } from "node:fs";
import { OmnimodelError } from "../errors.ts";
import { serve } from "../serve.ts";
import { boolFlag, intFlag } from "./args.ts";
import type { Verb } from "./verb.ts";

export const serveVerb: Verb = {
  name: "serve",
  summary: "the inspector page on localhost (nothing leaves the machine)",
  synopsis: "[FILE|DIR] [--port N] [--no-open]",
  positionals: ["FILE?"],
  options: {
    port: { type: "string", valueName: "N", help: "port to bind on 127.0.0.1 (default: a free one)" },
    "no-open": { type: "boolean", help: "do not open a browser" },
  },
  async run(a) {
    const model = a.positionals[0];
    if (model !== undefined && !/^https?:\/\//i.test(model) && !existsSync(model)) {
      throw new OmnimodelError("SOURCE_MISSING", `cannot serve ${model}: no such file or folder`);
    }
    const port = intFlag("serve", a, "port", { max: 65535 });
    return serve(model, { port, open: !boolFlag(a, "no-open") });
  },
};
