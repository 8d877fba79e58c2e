// Argument parsing for every verb: node:util parseArgs in strict mode, so an unknown flag or a
// missing value is an error (exit 2, one line), plus typed getters that reject bad values.

import { parseArgs } from "node:util";
import type { Parsed, Verb } from "./verb.ts";

/** A mistake in how the command was called: printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(readonly verb: string | undefined, message: string) {
    super(message);
  }
}

export function parseVerbArgs(verb: Verb, argv: string[]): Parsed {
  const options: Record<string, any> = { help: { type: "boolean", short: "h" } };
  for (const [k, spec] of Object.entries(verb.options)) {
    const { help: _h, valueName: _v, ...rest } = spec;
    options[k] = rest;
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as Parsed;
  } catch (e) {
    throw new UsageError(verb.name, cleanParseError((e as Error).message));
  }
  if (parsed.values.help) return parsed;
  const min = verb.positionals.filter((p) => !p.endsWith("?") && !p.endsWith("...")).length;
  const variadic = verb.positionals.some((p) => p.endsWith("..."));
  if (parsed.positionals.length < min) {
    const missing = verb.positionals[parsed.positionals.length].replace(/[?.]+$/, "");
    throw new UsageError(verb.name, `missing ${missing}`);
  }
  if (!variadic && parsed.positionals.length > verb.positionals.length) {
    throw new UsageError(verb.name, `unexpected argument '${parsed.positionals[verb.positionals.length]}'`);
  }
  return parsed;
}

// parseArgs' messages are long and suggest `--` for values starting with '-'; keep the first sentence.
function cleanParseError(msg: string): string {
  const first = msg.split(/\.\s/)[0].replace(/\.$/, "");
  return first.replace(/^Unknown option/, "unknown option").replace(/^Option/, "option");
}

export function stringFlag(a: Parsed, name: string): string | undefined {
  const v = a.values[name];
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(a: Parsed, name: string): boolean {
  return a.values[name] === true;
}

/** A non-negative integer flag; anything else (`--head abc`, `-1`, `1.5`) is a usage error. */
export function intFlag(verb: string, a: Parsed, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = stringFlag(a, name);
  if (v === undefined) return undefined;
  const min = opts.min ?? 0;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || (opts.max !== undefined && Number(v) > opts.max)) {
    const range = opts.max !== undefined ? `${min}..${opts.max}` : `>= ${min}`;
    throw new UsageError(verb, `--${name} must be an integer ${range}, not '${v}'`);
  }
  return Number(v);
}

/** A flag whose value must be one of `choices` (compared case-insensitively, returned as listed). */
export function choiceFlag<T extends string>(verb: string, a: Parsed, name: string, choices: readonly T[]): T | undefined {
  const v = stringFlag(a, name);
  if (v === undefined) return undefined;
  const hit = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (!hit) throw new UsageError(verb, `--${name} must be one of ${choices.join(", ")}, not '${v}'`);
  return hit;
}
