// Types of the shared plain-JS conformance check (tests/conformance/check.mjs).
// deno-lint-ignore-file no-explicit-any
export function sha256(view: ArrayBufferView): Promise<string>;
export function observe(open: (input: any, options?: any) => Promise<any>, input: unknown, options?: object): Promise<any>;
export function mismatches(fact: any, obs: any): string[];
export function checkAll(
  open: (input: any, options?: any) => Promise<any>,
  facts: any,
  input: (file: string) => unknown,
  options?: (file: string, c: any) => object | Promise<object>,
): Promise<{ passed: number; failed: number; failures: Record<string, string[]> }>;
export function siblingsOf<T>(c: any, load: (file: string) => T | Promise<T>): Promise<Map<string, T>>;
