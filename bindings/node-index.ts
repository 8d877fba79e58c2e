// The package entry for Node.js: the SDK with local files and directories as sources.
import "./node.ts";
export * from "../ts/index.ts";
export { FileSource, resolveInside, listDirectory } from "./node.ts";
export { convert, type ConvertOptions, type ConvertResult } from "./node-convert.ts";
