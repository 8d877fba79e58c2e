// One CLI verb: its options (node:util parseArgs, strict), its positional arguments and its help.
// Each verb lives in its own file and is listed once in verbs.ts.

import type { ParseArgsConfig } from "node:util";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & { help?: string; valueName?: string };

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Verb {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The synopsis after `omnimodel NAME`, e.g. `FILE TENSOR [options]`. */
  synopsis: string;
  /** Names of the positional arguments, `?` suffix = optional, `...` suffix = any number. */
  positionals: string[];
  options: Record<string, OptionSpec>;
  /** Extra help text (examples, exit codes), printed after the options. */
  details?: string;
  run(args: Parsed): Promise<number>;
}
