// The pass that declares no function parameters on boards short of heap
// (tools/params-as-locals.ts): which functions it rewrites, that the code does the same in Node
// and on the real interpreter (run from flash, as on a board), and what it saves there.
import { describe, expect, it } from 'vitest';
import { heldOnEspruino, minifiedEs5, resultOf, resultOnEspruino } from './es5-code';
import { paramsAsLocals } from '../../tools/params-as-locals';
import { espruinoBinary, runOnEspruino } from '../../tools/espruino-check';

const SOURCE = `
class Account { constructor(public name: string, public bal: number) {} pay(n: number, why: string) { this.bal -= n; return why + ' ' + this.bal; } }
function add(a: number, b: number, c?: number) { return a + b + (c === undefined ? 100 : c); }
function adder(k: number) { return function (x: number) { return x + k; }; }
function sum(...xs: number[]) { let s = 0; for (const x of xs) s += x; return s; }
function outerReads(a: number) { const n = arguments.length; return [1, 2].map(function (x) { return x * a + n; }); }
function loader(src: string) { return eval(src); }
const box = { v: 1, get twice() { return this.v * 2; }, set value(x: number) { this.v = x; } };
const acc = new Account('R301', 500);
box.value = 21;
const parts: unknown[] = [add(1, 2), add(1, 2, 3), adder(5)(6), sum(1, 2, 3, 4), outerReads(10), acc.pay(20, 'fee'), box.twice,
  loader('(function (q) { return q * 3; })')(7), [3, 1, 2].sort(function (x, y) { return x - y; }).join(''),
  add.apply(null, [4, 5, 6]), add.call(null, 7, 8), (add as any).bind(null, 1)(1)];
result = JSON.stringify(parts);
`;

const es5 = () => minifiedEs5(SOURCE);
const run = resultOf;

describe('function parameters read from arguments', () => {
  it('rewrites functions that define none inside them, and no other', () => {
    const out = paramsAsLocals(
      [
        'function leaf(a,b){return a+b}',
        'function outer(k){return function(x){return x+k}}',
        'function ev(s){return eval(s)}',
        'var o={set v(x){this.w=x},get v(){return 1}}',
        'function reads(a){var n=arguments.length;return function(x){return x}}',
        'function none(){return 1}',
        'function fast(a){"ram";return a}',
      ].join('\n'),
    );
    expect(out).toContain('function leaf(){var a=arguments[0],b=arguments[1];return a+b}');
    // outer defines a function: kept; the function inside it is a leaf and is rewritten.
    expect(out).toContain('function outer(k){return function(){var x=arguments[0];return x+k}}');
    expect(out).toContain('function ev(s){');
    expect(out).toContain('set v(x){');
    // Inside a function that reads arguments itself: its arguments would be found instead.
    expect(out).toContain('function reads(a){var n=arguments.length;return function(x){return x}}');
    expect(out).toContain('function none(){return 1}');
    // Espruino keeps a function in RAM when "ram" is the first token of its body.
    expect(out).toContain('function fast(){"ram";\nvar a=arguments[0];return a}');
  });

  it('does the same in Node: classes, closures, rest parameters, eval, accessors, apply, call and bind', async () => {
    const code = await es5();
    const out = paramsAsLocals(code);
    expect(out).not.toBe(code);
    expect(run(out)).toEqual(run(code));
  });

  const binary = espruinoBinary();
  it.runIf(binary)('does the same on the interpreter, run from flash, and saves one variable per parameter', async () => {
    const code = await es5();
    const out = paramsAsLocals(code);
    expect(resultOnEspruino(out, binary!)).toEqual(['RESULT ' + run(code)]);
    // Twenty functions of three parameters, defined from flash: what they hold at rest.
    let fns = '';
    for (let i = 0; i < 20; i++) fns += 'function f' + i + '(a,b,c){return a+b+c+' + i + '}\n';
    const cost = (c: string) => heldOnEspruino(c, 'f7(1, 2, 3)', binary!);
    const [declared, r1] = cost(fns);
    const [read, r2] = cost(paramsAsLocals(fns));
    expect(r2).toBe(r1);
    expect(declared - read).toBe(60);
  });

  it.runIf(binary)('why functions that define functions are left alone: on the interpreter an inner function finds its caller\'s arguments', () => {
    const lines = runOnEspruino('function o(){var a=arguments[0];return function(){var b=arguments[0];return a+b}}\nprint("GOT " + o(1)(2));\n', binary!, 'latin1');
    // JavaScript says 3; Espruino keeps the outer call's arguments in its scope, and the inner
    // function reads that one. If this starts to pass with 3, the pass could rewrite more.
    expect(lines).toContain('GOT 2');
  });
});
