// The board's module loader (hal/espruino/load.ts), run in Node with a table and pieces of its
// own: a module is evaluated from its piece, a library user is given the library's array, modules
// loaded during one call share one library, and the library is let go of when that call returns,
// by a return or a throw.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadModule } from '../../hal/espruino/load';
import { modulesText } from '../../tools/image';

type G = { MODULES?: string; __piece?: (w: number, o: number, l: number) => string; __evals?: string[] };
const g = globalThis as unknown as G;

// Each piece records its evaluation; `lib` is an array of one function, `a` and `b` read it,
// `b` loads `a` inside its call, `c` reads no library, `t` throws inside its call.
const PIECES: { [name: string]: string } = {
  lib: '(__evals.push("lib"), [function () { return 7; }])',
  a: '(__evals.push("a"), function (L) { var seven = L[0]; return function (x) { return seven() + x; }; })',
  b: '(__evals.push("b"), function (L) { var seven = L[0], load = __load; return function (x, y, z) { return [seven(), load("a")(1), x, y, z]; }; })',
  c: '(__evals.push("c"), function (x) { return x * 2; })',
  t: '(__evals.push("t"), function (L) { return function () { throw new Error("t failed"); }; })',
};

describe('the board module loader', () => {
  beforeEach(() => {
    const names = Object.keys(PIECES);
    const places: { [n: string]: number[] } = {};
    names.forEach((n, i) => (places[n] = [i % 2, i, PIECES[n].length]));
    g.MODULES = modulesText(places, ['a', 'b', 't']);
    g.__piece = (w: number, o: number, l: number) => {
      const n = names[o];
      expect(w).toBe(o % 2);
      expect(l).toBe(PIECES[n].length);
      return PIECES[n];
    };
    g.__evals = [];
    (globalThis as unknown as { __load: typeof loadModule }).__load = loadModule;
  });
  afterEach(() => {
    delete g.MODULES;
    delete g.__piece;
    delete g.__evals;
  });

  it('marks the library users in the table the loader reads', () => {
    expect(g.MODULES).toBe(' lib:0,0,' + PIECES.lib.length + ' a:3,1,' + PIECES.a.length + ' b:2,2,' + PIECES.b.length + ' c:1,3,' + PIECES.c.length + ' t:2,4,' + PIECES.t.length);
  });

  it('hands over a module that reads no library as it is, without the library', () => {
    expect(loadModule('c')(21)).toBe(42);
    expect(g.__evals).toEqual(['c']);
  });

  it('gives a library user the library, evaluated once for everything its call loads', () => {
    expect(loadModule('b')('x', 'y', 'z')).toEqual([7, 8, 'x', 'y', 'z']);
    expect(g.__evals).toEqual(['b', 'lib', 'a']);
  });

  it('lets go of the library when the call returns or throws: the next call evaluates it again', () => {
    expect(loadModule('a')(2)).toBe(9);
    expect(loadModule('a')(3)).toBe(10);
    expect(() => loadModule('t')()).toThrow('t failed');
    expect(loadModule('a')(4)).toBe(11);
    expect(g.__evals).toEqual(['a', 'lib', 'a', 'lib', 't', 'lib', 'a', 'lib']);
  });
});
