// The scanner: scan a file, a directory or a URL; report as JSON, SARIF 2.1.0 or a table.
export { scanInput, finishReport, type ScanOptions } from "./scan.js";
export { scanPath, listFiles } from "./walk.js";
export { toSarif, SARIF_SCHEMA, type SarifOptions } from "./sarif.js";
export { renderTable } from "./table.js";
export { impactOf, loaderFor, ready } from "./explain.js";
export { exitCodeFor, summarize, highestOf, levelRank, type FileReport, type ScanFinding, type ScanReport, type ScanSummary, type Level } from "./report.js";
