// The pass that writes tsc's ES5 classes at the top level instead of each in a wrapper function
// (tools/classes-at-top.ts): which classes it unwraps, the same behaviour in Node and on the
// real interpreter (run from flash), and what it saves there.
import { describe, expect, it } from 'vitest';
import { heldOnEspruino, resultOf, resultOnEspruino } from './es5-code';
import * as ts from 'typescript';
import { classesAtTopLevel } from '../../tools/classes-at-top';
import { methodsThroughHelper } from '../../tools/method-helper';
import { espruinoBinary } from '../../tools/espruino-check';

const SOURCE = `
var made = 0;
class Meter {
  static count = 0;
  constructor(public id: string, private kwh: number) { Meter.count++; made++; }
  add(n: number) { this.kwh += n; return this; }
  get reading() { return this.id + '=' + this.kwh; }
  static of(id: string) { return new Meter(id, 0); }
}
class Base { constructor(public n: number) {} name() { return 'base ' + this.n; } }
function local() { class Inner { v() { return 'inner'; } } return new Inner().v(); }
var m = Meter.of('M1').add(5).add(7);
result = JSON.stringify([m.reading, Meter.count, made, m instanceof Meter, new Base(2).name(), local(), typeof Meter.prototype.add]);
`;
/** A subclass: tsc's wrapper takes the base class (Espruino cannot run tsc's __extends: Node only). */
const SUB = `
class Sub extends Base { name() { return 'sub of ' + super.name(); } }
result += new Sub(3).name();
`;

function es5(extra = ''): string {
  return ts.transpileModule(SOURCE + extra, { compilerOptions: { target: ts.ScriptTarget.ES5, useDefineForClassFields: false } }).outputText;
}

const run = resultOf;

describe('classes at the top level', () => {
  it('unwraps a class whose wrapper holds only it; keeps subclasses (the wrapper takes the base) and classes inside functions', () => {
    const code = es5(SUB);
    const out = classesAtTopLevel(code);
    expect(out).toMatch(/^function Meter\(id, kwh\)/m);
    expect(out).toMatch(/^function Base\(n\)/m);
    expect(out).not.toMatch(/var Meter =/);
    expect(out).toMatch(/var Sub = \/\*\* @class \*\/ \(function \(_super\)/);
    expect(out).toMatch(/var Inner = \/\*\* @class \*\/ \(function \(\)/);
  });

  it('does the same in Node, and with the methods then assigned through the helper', () => {
    const code = es5(SUB);
    const out = classesAtTopLevel(code);
    expect(run(out)).toEqual(run(code));
    expect(run(methodsThroughHelper(out))).toEqual(run(code));
  });

  const binary = espruinoBinary();
  it.runIf(binary)('does the same on the interpreter, run from flash, and saves a variable per method and two per class', () => {
    const code = es5();
    expect(resultOnEspruino(classesAtTopLevel(code), binary!)).toEqual(['RESULT ' + run(code)]);
    // Ten classes of five methods each, defined from flash: what they hold at rest.
    let src = '';
    for (let i = 0; i < 10; i++) src += 'class C' + i + ' { a() { return 1; } b() { return 2; } c() { return 3; } d() { return 4; } e() { return ' + i + '; } }\n';
    const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES5 } }).outputText;
    const used = (c: string) => heldOnEspruino(c, 'new C7().e()', binary!);
    const [wrapped, r1] = used(js);
    const [top, r2] = used(classesAtTopLevel(js));
    expect(r2).toBe(r1);
    expect(wrapped - top).toBeGreaterThanOrEqual(10 * (5 + 2));
  });
});
