// The scanner: scan a file, a directory or a URL; report as JSON, SARIF 2.1.0 or a table.
export { scanInput, finishReport, type ScanOptions } from "./scan.ts";
export { scanPath, listFiles } from "./walk.ts";
export { toSarif, SARIF_SCHEMA, type SarifOptions } from "./sarif.ts";
export { renderTable } from "./table.ts";
export { impactOf, loaderFor, ready } from "./explain.ts";
export { exitCodeFor, summarize, highestOf, levelRank, type FileReport, type ScanFinding, type ScanReport, type ScanSummary, type Level } from "./report.ts";
