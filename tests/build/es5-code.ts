// TypeScript source as the firmware build makes it (ES5, minified), run in Node and on the
// interpreter from flash: for the tests of the build's passes over minified code
// (method-helper, params-as-locals, classes-at-top).
import * as vm from 'vm';
import { minify } from 'terser';
import * as ts from 'typescript';
import { runOnEspruino } from '../../tools/espruino-check';

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

/** The line `RESULT <result>` code prints on the interpreter, run from flash (as a list). */
export function resultOnEspruino(code: string, binary: string): string[] {
  return runOnEspruino('var result;\n' + code + '\nprint("RESULT " + result);\n', binary, 'latin1').filter((l) => l.indexOf('RESULT ') === 0);
}

/** Run from flash on the interpreter: the variables code holds once run, and the number the
 *  expression `probe` gives afterwards (that what it defined still works). */
export function heldOnEspruino(code: string, probe: string, binary: string): number[] {
  const l = runOnEspruino('var u0 = process.memory().usage;\n' + code + 'print("USED " + (process.memory().usage - u0) + " " + ' + probe + ');\n', binary, 'latin1').filter((x) => x.indexOf('USED ') === 0)[0];
  return l.split(' ').slice(1).map(Number);
}
