// The board's module loader (hal/espruino/load.ts), run in Node with a table and pieces of its
// own: a module is evaluated from its place, a module that reads library pieces is given their
// values, modules loaded during one call share one copy of each piece, and the pieces are let go
// of when that call returns, by a return or a throw.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadModule } from '../../hal/espruino/load';
import { modulesText } from '../../tools/image';

type G = { MODULES?: string; __piece?: (w: number, o: number, l: number) => string; __evals?: string[] };
const g = globalThis as unknown as G;

// Each piece records its evaluation. Library pieces: `0`, an array of one function; `1`, which
// reads `0`. Modules: `a` reads `0`, `b` reads `1` and `0` and loads `a` inside its call, `c` reads
// no library, `t` reads `0` and throws inside its call.
const PIECES: { [name: string]: string } = {
  '0': '(__evals.push("0"), [function () { return 7; }])',
  '1': '(__evals.push("1"), function (L) { var seven = L[0][0]; return [function () { return seven() * 10; }]; })',
  a: '(__evals.push("a"), function (L) { var seven = L[0][0]; return function (x) { return seven() + x; }; })',
  b: '(__evals.push("b"), function (L) { var seventy = L[0][0], seven = L[1][0], load = __load; return function (x, y, z) { return [seventy(), seven(), load("a")(1), x, y, z]; }; })',
  c: '(__evals.push("c"), function (x) { return x * 2; })',
  t: '(__evals.push("t"), function (L) { return function () { throw new Error("t failed"); }; })',
};
const DEPS: { [name: string]: string[] } = { '1': ['0'], a: ['0'], b: ['1', '0'], t: ['0'] };

describe('the board module loader', () => {
  beforeEach(() => {
    const names = Object.keys(PIECES);
    const places: { [n: string]: number[] } = {};
    names.forEach((n, i) => (places[n] = [i % 2, i, PIECES[n].length]));
    g.MODULES = modulesText(places, DEPS);
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

  it('names the pieces each module reads in the table the loader reads', () => {
    const len = (n: string) => PIECES[n].length;
    expect(g.MODULES).toBe(' 0:0,0,' + len('0') + ' 1:3,1,' + len('1') + ',0 a:2,2,' + len('a') + ',0 b:3,3,' + len('b') + ',1.0 c:0,4,' + len('c') + ' t:3,5,' + len('t') + ',0 ');
  });

  it('hands over a module that reads no library as it is, without the library', () => {
    expect(loadModule('c')(21)).toBe(42);
    expect(g.__evals).toEqual(['c']);
  });

  it('gives a module the pieces it reads, each evaluated once for everything its call loads', () => {
    expect(loadModule('b')('x', 'y', 'z')).toEqual([70, 7, 8, 'x', 'y', 'z']);
    expect(g.__evals).toEqual(['b', '1', '0', 'a']);
  });

  it('asks for a compressed module and a compressed piece to be decompressed (where plus 4)', () => {
    const names = Object.keys(PIECES);
    const places: { [n: string]: number[] } = {};
    names.forEach((n, i) => (places[n] = [i % 2, i, PIECES[n].length]));
    g.MODULES = modulesText(places, DEPS, ['a', '0']);
    expect(g.MODULES).toContain(' a:6,2,');
    expect(g.MODULES).toContain(' 0:4,0,');
    const asked: number[] = [];
    g.__piece = (w: number, o: number) => (asked.push(w), PIECES[names[o]]);
    expect(loadModule('a')(1)).toBe(8);
    expect(loadModule('c')(1)).toBe(2);
    expect(asked).toEqual([4, 4, 0]);
  });

  it('lets go of the library when the call returns or throws: the next call evaluates it again', () => {
    expect(loadModule('a')(2)).toBe(9);
    expect(loadModule('a')(3)).toBe(10);
    expect(() => loadModule('t')()).toThrow('t failed');
    expect(loadModule('a')(4)).toBe(11);
    expect(g.__evals).toEqual(['a', '0', 'a', '0', 't', '0', 'a', '0']);
  });
});
