// The omnimodel command line. `--json` outputs and exit codes are a contract (README): 0 success,
// 1 a scan at or above its threshold, 2 a usage error or an unreadable input.

import "../../bindings/node.ts";
import { OmnimodelError } from "../errors.ts";
import { packageVersion } from "../scan/version.ts";
import { parseVerbArgs, UsageError } from "./args.ts";
import { commandList, verbHelp } from "./help.ts";
import { err, exitQuietlyOnClosedPipe, out } from "./output.ts";
import { VERBS } from "./verbs.ts";

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "--version" || cmd === "-V") {
      out(packageVersion());
      return 0;
    }
    if (cmd === undefined) {
      err(commandList(VERBS));
      return 2;
    }
    if (cmd === "--help" || cmd === "-h" || cmd === "help") {
      const named = rest[0] && VERBS.find((v) => v.name === rest[0]);
      out(named ? verbHelp(named) : commandList(VERBS));
      return 0;
    }
    const verb = VERBS.find((v) => v.name === cmd);
    if (!verb) throw new UsageError(undefined, `unknown command '${cmd}'`);
    const args = parseVerbArgs(verb, rest);
    if (args.values.help) {
      out(verbHelp(verb));
      return 0;
    }
    return await verb.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      const hint = e.verb ? `omnimodel ${e.verb} --help` : "omnimodel --help";
      err(`omnimodel${e.verb ? " " + e.verb : ""}: ${e.message} (see ${hint})`);
      return 2;
    }
    if (e instanceof OmnimodelError) {
      err(`error [${e.code}]: ${e.message}`);
      return 2;
    }
    err(`error: ${(e as Error)?.message ?? e}`);
    if (process.env.OMNIMODEL_DEBUG) err(String((e as Error)?.stack));
    return 2;
  }
}
