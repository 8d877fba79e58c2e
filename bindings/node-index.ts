// The package entry for Node.js: the SDK with local files and directories as sources.
import "./node.js";
export * from "../ts/index.js";
export { FileSource, resolveInside, listDirectory } from "./node.js";
export { convert, type ConvertOptions, type ConvertResult } from "./node-convert.js";
