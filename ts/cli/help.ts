// Help texts, generated from the verbs' own option tables so they cannot drift from the parser.

import type { Verb } from "./verb.ts";

export function commandList(verbs: Verb[]): string {
  const w = Math.max(...verbs.map((v) => v.name.length));
  const lines = [
    "omnimodel — open any ML model file safely",
    "",
    "usage: omnimodel COMMAND [options]     (omnimodel COMMAND --help for its options)",
    "",
    "commands:",
    ...verbs.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`),
    "",
    "  --version   print the version",
    "  --help      this text",
  ];
  return lines.join("\n");
}

export function verbHelp(v: Verb): string {
  const lines = [`usage: omnimodel ${v.name} ${v.synopsis}`, "", v.summary, ""];
  const opts = Object.entries(v.options).map(([k, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ""}--${k}${s.type === "string" ? ` ${s.valueName ?? "VALUE"}` : ""}`;
    return [flag, s.help ?? ""] as const;
  });
  opts.push(["-h, --help", "this text"]);
  const w = Math.max(...opts.map(([f]) => f.length));
  lines.push("options:", ...opts.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`));
  if (v.details) lines.push("", v.details);
  return lines.join("\n");
}
