// The board's side of the module loader (firmware/modules.ts): a module's code lies
// pretokenised in flash (in the code area, or in the Storage file after the modules that fit
// there); evaluating it from there keeps its function bodies in flash, and its functions leave
// the heap once nothing refers to them.
//
// A board that shares code between modules (tools/build.ts modulesShare) has a library module:
// the functions several modules use and the resident code does not. A module that reads it is
// a function of the library's array. The library is evaluated when such a module's entry is
// called and kept until that call returns, for any module that call loads (a command that runs
// another): modules loaded together share one copy. Then the loader lets go of it, and it stays
// in the heap only while a module that uses it does (one that left a callback behind).

// Defined by the loader (.bootcde, tools/image.ts modulesText): where each module lies, as
// " name:where,offset,length" each (where: 0 area, 1 Storage file, plus 2 for a module that
// reads the library), and how to read a piece of flash as a string.
declare const MODULES: string;
declare function __piece(where: number, offset: number, length: number): string;

let lib: any;

/** The entry function of module `name`. An indirect eval: a direct one would keep the minifier
 *  from shortening any name around it (Espruino evaluates both kinds in the calling scope). */
export function loadModule(name: string): any {
  const k = MODULES.indexOf(' ' + name + ':');
  // "where,offset,length name2:..." (the length's number ends at the space)
  const at = MODULES.substr(k + name.length + 2, 30).split(',');
  const m = (0, eval)(__piece(+at[0] & 1, +at[1], parseInt(at[2], 10)));
  if (!(+at[0] & 2)) return m;
  // (Every entry takes at most three arguments: firmware/modules.ts.)
  return function (a: any, b: any, c: any) {
    // The outermost call loads the library and lets go of it; the calls it makes find it loaded.
    const own = !lib;
    if (own) lib = loadModule('lib');
    try {
      return m(lib)(a, b, c);
    } finally {
      if (own) lib = undefined;
    }
  };
}
