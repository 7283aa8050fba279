// TypeScript source as the firmware build makes it (ES5, minified) and run in Node: for the
// tests of the build's passes over minified code (method-helper, params-as-locals, classes-at-top).
import * as vm from 'vm';
import { minify } from 'terser';
import * as ts from 'typescript';

/** source compiled to ES5, then minified as the build does (no sequences, no joined vars). */
export async function minifiedEs5(source: string): Promise<string> {
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES5 } }).outputText;
  const min = await minify(js, { ecma: 5, toplevel: true, compress: { sequences: false, join_vars: false }, mangle: { toplevel: true }, format: { semicolons: false } });
  return min.code as string;
}

/** What code leaves in its global `result`, run in a fresh Node context. */
export function resultOf(code: string): unknown {
  const box: { result?: unknown } = {};
  vm.runInNewContext(code, box);
  return box.result;
}
