// A build pass for every board: tsc writes an ES5 class as a function called at once,
// `var C = (function () { function C(..) {..} C.prototype.m = function (..) {..}; return C; }());`.
// On Espruino each method defined inside that function keeps a link to its scope (one variable
// a method, measured with trace() on the 32-bit interpreter), and the scope itself stays (two
// more a class). The resident code has about 20 classes and 120 methods. A class whose wrapper
// holds nothing but the constructor and statements about it (its methods, accessors, statics)
// means the same written at the level of the wrapper itself: `function C(..) {..}
// C.prototype.m = function (..) {..};` - no scope to link to, and fewer bytes.
import * as acorn from 'acorn';

/* eslint-disable @typescript-eslint/no-explicit-any */
type N = any;

/** The wrapper's body when `d` declares a class as above (no parameters, no arguments; a
 *  constructor of the same name; then only expression statements; `return C` last), or null. */
function classBody(d: N): N[] | null {
  let init = d.init;
  if (init && init.type === 'ParenthesizedExpression') init = init.expression;
  if (!init || init.type !== 'CallExpression' || init.arguments.length) return null;
  let fn = init.callee;
  if (fn.type === 'ParenthesizedExpression') fn = fn.expression;
  if (fn.type !== 'FunctionExpression' || fn.params.length || fn.id) return null;
  const body: N[] = fn.body.body;
  const name = d.id.name;
  if (body.length < 2 || body[0].type !== 'FunctionDeclaration' || body[0].id.name !== name) return null;
  const last = body[body.length - 1];
  if (last.type !== 'ReturnStatement' || !last.argument || last.argument.type !== 'Identifier' || last.argument.name !== name) return null;
  for (let i = 1; i < body.length - 1; i++) if (body[i].type !== 'ExpressionStatement') return null;
  return body;
}

/** The code with each class declared at the top level (a `var` of one declarator) unwrapped. */
export function classesAtTopLevel(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 2020, sourceType: 'script', allowReturnOutsideFunction: true }) as N;
  const edits: { at: number; end: number; text: string }[] = [];
  for (const st of ast.body) {
    if (st.type !== 'VariableDeclaration' || st.declarations.length !== 1) continue;
    const body = classBody(st.declarations[0]);
    if (!body) continue;
    const inner = code.slice(body[0].start, body[body.length - 2].end);
    edits.push({ at: st.start, end: st.end, text: inner + '\n' });
  }
  edits.sort((a, b) => b.at - a.at);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
