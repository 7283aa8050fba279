import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ESPRUINO_HELPERS, hoistFunctionDeclarations, parenthesizeStringStatements } from '../../tools/build';
import { bootInStrippedContext, checkBundle, checkOrder, checkSyntax, Finding } from '../../tools/espruino-check';

const STATUS = "\nprint('STATUS ok');\n";

function kinds(code: string, boot = false): string[] {
  return checkBundle(code, { boot }).map((f: Finding) => f.kind + ': ' + f.message);
}

describe('Espruino check: each trap on a small snippet', () => {
  const bad: [string, string, RegExp][] = [
    ['let', 'let x = 1;', /^syntax: `let` declaration/],
    ['const', 'const x = 1;', /^syntax: `const` declaration/],
    ['arrow', 'var f = function () {}; var g = () => 1;', /^syntax: arrow function/],
    ['class', 'class A { m() { return 1; } }', /^syntax: `class` syntax/],
    ['template', 'var s = `a${1}`;', /^syntax: template literal/],
    ['default parameter', 'function f(a = 1) { return a; }', /^syntax: default value/],
    ['destructuring', 'var o = {}; var { a } = o;', /^syntax: destructuring/],
    ['spread', 'var a = [1]; var b = [0].concat([...a]);', /^syntax: spread/],
    ['optional chaining', 'var o = {}; var v = o?.x;', /^syntax: optional chaining/],
    ['exponent', 'var v = 2 ** 3;', /^syntax: `\*\*`/],
    ['label', 'out: for (;;) { break out; }', /^syntax: label/],
    ['async', 'async function f() { await 1; }', /^syntax: .*async|^syntax: `await`/],
    ['new Map', 'var m = new Map();', /^builtin: Map is missing/],
    ['Set', 'var s = Set;', /^builtin: Set is missing/],
    ['Symbol', 'var s = Symbol("x");', /^builtin: Symbol is missing/],
    ['Math.imul', 'var v = Math.imul(3, 5);', /^builtin: Math\.imul is missing/],
    ['Math.trunc', 'var v = Math.trunc(3.5);', /^builtin: Math\.trunc is missing/],
    ['Array.from', 'var v = Array.from("ab");', /^builtin: Array\.from is missing/],
    ['Object.freeze', 'var v = Object.freeze({});', /^builtin: Object\.freeze is missing/],
    ['Number.isInteger', 'var v = Number.isInteger(1);', /^builtin: Number\.isInteger is missing/],
    ['lastIndexOf', 'var v = [1].lastIndexOf(1);', /^builtin: \.lastIndexOf\(\) is missing/],
    ['toLocaleString', 'var v = (1).toLocaleString();', /^builtin: \.toLocaleString is missing/],
    ['Math.pow 2^16', 'var v = Math.pow(2, 16);', /^builtin: Math\.pow with exponent 16/],
    ['array hole', 'var a = [0, 2, , 3];', /^builtin: array literal with a hole/],
    // (the board deletes these from the root between its turns: a copy kept would not match instanceof)
    ['a built-in constructor kept in a variable', 'var K = Uint8Array; var k = new K(2);', /^builtin: Uint8Array kept as a value/],
    ['a built-in passed as an argument', 'function f(c) { return c; } f(Float64Array);', /^builtin: Float64Array kept as a value/],
    ['JSON replacer', 'var s = JSON.stringify({}, function (k, v) { return v; });', /^builtin: JSON\.stringify replacer/],
    ['function used before its declaration', 'f();\nfunction f() {}', /^order: `f` is used at load time before its function declaration at 2:1/],
    ['string-first statement after an if block (Espruino misreads it)', 'function f(e) { if (e === void 0) { return 1 } "number" == typeof e || g(); return e }\nfunction g() {}', /^syntax: statement begins with a string literal right after a block/],
    ['var used before its declaration', 'var a = b + 1;\nvar b = 2;', /^order: `b` is used at load time before its variable declaration/],
    // Espruino 2v29 returned g()'s value from f(true), calling g: no semicolon is inserted after `return`.
    ['bare return at the end of a line', 'function f(s) { if (s) return\n g(); return 9; }\nfunction g() { return 5; }', /^syntax: bare `return` without `;`/],
    // Espruino 2v29: "Got '(' expected ID" (statements joined into a loop's first part by the minifier).
    ['a for loop beginning with a function expression', 'var i;\nfor (function () { return 1; }(), i = 0; i < 2; i++) {}', /^syntax: a `for` whose first part begins with a function expression/],
  ];
  for (const [name, code, want] of bad) {
    it('rejects ' + name, () => {
      const found = kinds(code);
      expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
      expect(found.some((f) => want.test(f)), JSON.stringify(found)).toBe(true);
    });
  }

  it('lets built-ins the board deletes between its turns be made, read from and tested', () => {
    expect(kinds('var a = new Uint8Array(2); var b = a instanceof Int8Array; var c = typeof Int32Array; var d = E.CRC32("a") + Math.max(1, 2) + JSON.stringify(String.fromCharCode(65)); var o = { Array: 1 }; var p = o.Array;')).toEqual([]);
  });

  it('gives line and column of a finding', () => {
    const f = checkBundle('var a = 1;\nvar b = [1,\n  2, , 3];', { boot: false });
    expect(f).toHaveLength(1);
    expect([f[0].line, f[0].column]).toEqual([2, 9]);
  });

  it('passes a good ES5 snippet, and it boots in the stripped context', () => {
    const good =
      'function add(a, b) { return a + b; }\n' +
      'var Counter = (function () { function Counter() { this.n = 0; } Counter.prototype.inc = function () { this.n = add(this.n, 1); return this; }; return Counter; }());\n' +
      'var c = new Counter().inc().inc();\n' +
      'var later = function () { return helper(); };\n' + // referenced later, declared before any call
      'function helper() { return [1, 2].indexOf(2) + Math.pow(2, 8); }\n' +
      "setTimeout(function () { print('STATUS n=' + c.n + ' h=' + later()); }, 10);\n";
    expect(kinds(good, true)).toEqual([]);
    const r = bootInStrippedContext(good);
    expect(r.lines).toEqual(['STATUS n=2 h=257']);
  });

  it('accepts a for loop whose first part is a bracketed function expression (Espruino runs it)', () => {
    expect(kinds('var i;\nfor ((function () { return 1; }()), i = 0; i < 2; i++) {}')).toEqual([]);
    expect(kinds('var i;\nfor ((function () { return 1; }(), i = 0); i < 2; i++) {}')).toEqual([]);
  });

  it('accepts references inside function bodies that run after the declaration', () => {
    expect(kinds('function a() { return b(); }\nfunction b() { return 1; }\nvar x = a();')).toEqual([]);
    // ...but not when the body runs before it
    expect(kinds('function a() { return b(); }\nvar x = a();\nfunction b() { return 1; }')[0]).toMatch(/^order: `b`/);
  });

  it('the stripped context really lacks what Espruino lacks', () => {
    const probe =
      "var missing = [typeof Map, typeof Set, typeof WeakMap, typeof Symbol, typeof Proxy, typeof Reflect, typeof Math.imul, typeof Array.from, typeof [].lastIndexOf, typeof Object.freeze, typeof Number.isInteger, typeof ''.trimStart, typeof Date.UTC, typeof require, typeof Buffer];\n" +
      "print('STATUS ' + missing.join(','));";
    const r = bootInStrippedContext(probe);
    expect(r.lines[0]).toBe('STATUS ' + Array(15).fill('undefined').join(','));
  });

  it('the boot pass does not hoist: a use before declaration through a method call is caught', () => {
    const code = 'var o = { m: function () { return g(); } };\no.m();\nfunction g() { return 1; }' + STATUS;
    const syn = checkSyntax(code);
    expect(checkOrder(code, syn.ast!)).toEqual([]); // the static pass does not follow method calls
    const r = bootInStrippedContext(code);
    expect(r.ok).toBe(false);
    expect(r.findings[0].message).toMatch(/ReferenceError.*\bg\b/);
    expect(bootInStrippedContext(hoistFunctionDeclarations(code)).ok).toBe(true);
  });

  it('a boot that prints no STATUS line fails', () => {
    const r = bootInStrippedContext("print('hello');");
    expect(r.ok).toBe(false);
    expect(r.findings[0].message).toMatch(/no line starting with "STATUS "/);
  });
});

describe('raw tsc ES5 output of a class hierarchy (the trap in ESPRUINO.md)', () => {
  const source = [
    'export class Base { static make(): number { return 7; } size(): number { return 1; } }',
    'export class Mid extends Base { size(): number { return super.size() + 1; } }',
    'export class Leaf extends Mid { size(): number { return super.size() + 1; } }',
    'export function area(): number { return new Leaf().size() * Leaf.make(); }',
  ].join('\n');
  const compile = (module: ts.ModuleKind, noEmitHelpers: boolean) =>
    ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES5, module, noEmitHelpers, removeComments: true } }).outputText;

  it('is flagged without the hoisting pass (exports.f = f and __extends before function Sub)', () => {
    const js = compile(ts.ModuleKind.CommonJS, false);
    expect(js).toMatch(/exports\.area = area;[\s\S]*function area/);
    const found = kinds('var exports = {};\n' + js).filter((f) => f.startsWith('order'));
    expect(found.some((f) => /`area` is used at load time before its function declaration/.test(f))).toBe(true);
    expect(found.some((f) => /`Mid` is used at load time before its function declaration/.test(f))).toBe(true);
    expect(found.some((f) => /`Leaf` is used at load time before its function declaration/.test(f))).toBe(true);
    // and it really fails to boot where nothing is hoisted
    const r = bootInStrippedContext('var exports = {};\n' + js + "\nprint('STATUS ' + exports.area());");
    expect(r.ok).toBe(false);
    expect(r.findings[0].message).toMatch(/ReferenceError/);
  });

  it('passes once function declarations are hoisted, with the Espruino-safe __extends (statics copied)', () => {
    const js = ESPRUINO_HELPERS.__extends + 'var exports = {};\n' + compile(ts.ModuleKind.CommonJS, true) + "\nprint('STATUS ' + exports.area());";
    const hoisted = hoistFunctionDeclarations(js);
    expect(kinds(hoisted)).toEqual([]);
    const r = bootInStrippedContext(hoisted);
    expect(r.findings).toEqual([]);
    expect(r.lines).toEqual(['STATUS 21']);
  });
});

describe('hoistFunctionDeclarations', () => {
  it('moves declarations to the top of every scope, after directives, keeping their order', () => {
    const out = hoistFunctionDeclarations('"use strict"\nvar a = f()\nfunction f() { var x = g(); function g() { return 1 } return x }\nfunction h() {}');
    expect(out.indexOf('"use strict"')).toBe(0);
    expect(out.indexOf('function f')).toBeLessThan(out.indexOf('var a'));
    expect(out.indexOf('function h')).toBeLessThan(out.indexOf('var a'));
    expect(out.indexOf('function g')).toBeLessThan(out.indexOf('var x'));
    expect(kinds(out)).toEqual([]);
  });

  it('does not let a moved statement be read as a call of its new neighbour', () => {
    const out = hoistFunctionDeclarations('var a = function () { return 1 }\nfunction b() {}\n(function () { print("STATUS " + a()) })()');
    expect(bootInStrippedContext(out).lines).toEqual(['STATUS 1']);
  });

  it('leaves code without late declarations unchanged', () => {
    const code = 'function a() {}\nvar b = a();';
    expect(hoistFunctionDeclarations(code)).toBe(code);
  });
});

describe('parenthesizeStringStatements', () => {
  it('wraps string-first statements so the check passes and behaviour is kept', () => {
    const code = 'function g() { print("STATUS wrong") }\nfunction f(e) { if (e === void 0) { return 1 }\n"number" == typeof e || g(); return e }\nvar x = 1\n"a" == "b" || f(2)\nprint("STATUS ok")';
    expect(kinds(code).length).toBe(1);
    const fixed = parenthesizeStringStatements(code);
    expect(kinds(fixed, true)).toEqual([]);
    expect(bootInStrippedContext(fixed).lines).toEqual(['STATUS ok']);
  });
});

describe('var order inside functions', () => {
  it('flags a var used before its declaration in the same function (Espruino does not hoist var)', async () => {
    const { checkSyntax, checkVarOrder } = await import('../../tools/espruino-check');
    const bad = 'function r(x){return x}\nfunction f(a){r=a+1;for(var r=0;r<2;r++){}return r}\nf(1)';
    const syn = checkSyntax(bad);
    const found = checkVarOrder(bad, syn.ast!);
    expect(found.map((x) => x.line + ':' + x.kind)).toEqual(['2:order']);
    expect(found[0].message).toMatch(/"r" is used before its `var` declaration/);
    const good = 'function f(a){var r=0;function g(){return q}var q=1;r=a;return g()}\nf(1)';
    expect(checkVarOrder(good, checkSyntax(good).ast!)).toEqual([]);
  });
});
