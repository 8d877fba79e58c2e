// Medians, min-max of per-round ratios and the Markdown table the pipeline benchmarks print
// (bench/report.mjs renders the same table into README.md).

export const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** samples: name -> [{seconds, maxRssMB}] in round order; ratios: [label, numerator, denominator]. */
export function summarize({ samples, ratios, ...rest }) {
  const rows = Object.entries(samples).map(([name, runs]) => ({
    name,
    medianSeconds: median(runs.map((r) => r.seconds)),
    peakMB: runs.some((r) => r.maxRssMB != null) ? Math.max(...runs.map((r) => r.maxRssMB ?? 0)) : null,
  }));
  const ratioRows = ratios.map(([label, a, b]) => {
    const per = samples[a].map((r, i) => r.seconds / samples[b][i].seconds);
    return { label, median: median(per), min: Math.min(...per), max: Math.max(...per) };
  });
  return { ...rest, rows, ratios: ratioRows };
}

const f = (x, d = 2) => (x == null ? "-" : x.toFixed(d));

export function table(r) {
  const gb = r.bytes / 1e9;
  const out = [
    `${r.bench}: ${(r.bytes / 2 ** 20).toFixed(0)} MiB, ${r.rounds} rounds, ${r.cores} cores, load average ${r.load[0].map((x) => f(x)).join(" ")} at start, ${r.load[1].map((x) => f(x)).join(" ")} at end`,
    "",
    "| reader | median s | GB/s | peak RSS MB |",
    "| --- | ---: | ---: | ---: |",
    ...r.rows.map((x) => `| ${x.name} | ${f(x.medianSeconds, 3)} | ${f(gb / x.medianSeconds)} | ${f(x.peakMB, 0)} |`),
    "",
    "| ratio of times | median | min-max over rounds |",
    "| --- | ---: | --- |",
    ...r.ratios.map((x) => `| ${x.label} | ${f(x.median)} | ${f(x.min)}-${f(x.max)} |`),
  ];
  return out.join("\n");
}
