// A build pass for boards short of heap rather than flash (the Pico). Espruino keeps each
// declared parameter of a function as a variable of the function itself, for as long as the
// function exists: measured on the 32-bit interpreter, a function from flash costs 5 variables
// and one more per parameter, whether it is ever called or not. The resident code holds about
// 300 functions with about 450 parameters. This pass declares none: each function reads its
// arguments into locals as it starts, `function f(a,b){..}` -> `function f(){var
// a=arguments[0],b=arguments[1];..}`, which JavaScript defines to mean the same. The price is
// paid only while a function runs (its `arguments` array: about 13 variables for a
// three-argument call, against 6), in time (about 11% more per call) and in flash (about 16
// bytes a parameter).
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

/* eslint-disable @typescript-eslint/no-explicit-any */
type N = any;

/** The code with the parameters of every function that can do without them read from
 *  `arguments` instead of declared. Only functions that define no function inside them: once
 *  read, `arguments` stays in the function's scope as a variable, and a function defined inside
 *  would find that one (its caller's arguments) instead of its own (measured on the
 *  interpreter: `function o(){var a=arguments[0];return function(){return a+arguments[0]}}`,
 *  `o(1)(2)` gives 2), and a closure would keep the array alive; a function that calls `eval`
 *  counts as defining functions (the module loader evaluates modules). Nor a function inside one
 *  that reads `arguments` itself, for the same reason. Left alone too: getters and setters (a
 *  setter must declare its one parameter). */
export function paramsAsLocals(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 5 }) as N;
  const isFn = (n: N) => n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression';
  const accessors = new Set<N>();
  const outer = new Set<N>();
  const readsArguments = new Set<N>();
  walk.fullAncestor(ast, (n: N, _s: unknown, anc: N[]) => {
    if (n.type === 'Property' && (n.kind === 'get' || n.kind === 'set')) accessors.add(n.value);
    const fns = anc.filter((a) => a !== n && isFn(a));
    if (isFn(n)) for (const f of fns) outer.add(f);
    if (n.type === 'Identifier' && n.name === 'arguments' && fns.length) readsArguments.add(fns[fns.length - 1]);
    // What a function evaluates defines its functions inside it (the HAL's module loader).
    if (n.type === 'Identifier' && n.name === 'eval') for (const f of fns) outer.add(f);
  });
  const edits: { at: number; end: number; text: string }[] = [];
  walk.fullAncestor(ast, (n: N, _s: unknown, anc: N[]) => {
    if (!isFn(n) || !n.params.length || accessors.has(n) || outer.has(n)) return;
    if (anc.some((a) => a !== n && readsArguments.has(a))) return;
    if (n.params.some((p: N) => p.type !== 'Identifier')) return;
    const names: string[] = n.params.map((p: N) => p.name);
    edits.push({ at: n.params[0].start, end: n.params[names.length - 1].end, text: '' });
    // After a directive ('ram': Espruino looks for it as the body's first token).
    const first = n.body.body[0];
    const at = first && first.directive !== undefined ? first.end : n.body.start + 1;
    edits.push({ at: at, end: at, text: (at > n.body.start + 1 ? '\n' : '') + 'var ' + names.map((p, i) => p + '=arguments[' + i + ']').join(',') + ';' });
  });
  edits.sort((a, b) => b.at - a.at || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
