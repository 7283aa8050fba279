// The board's side of the module loader (firmware/modules.ts): a module's code lies
// pretokenised in flash (in the code area, or in the Storage file after the modules that fit
// there); evaluating it from there keeps its function bodies in flash, and its functions leave
// the heap once nothing refers to them.
//
// A board that shares code between modules (tools/build.ts modulesShare) has library pieces: the
// functions several modules use and the resident code does not, in pieces by the modules that
// use them. A module that reads pieces is a function of the array of their values. The pieces
// are evaluated when such a module's entry is called, only those it reads, and kept until that
// call returns, for any module that call loads (a command that runs another): modules loaded
// together share one copy. Then the loader lets go of them: a piece stays in the heap only while
// a module that uses it does.

// A module kept compressed in flash (a board's `compressedModules`, tools/heatshrink.ts) is
// decompressed by __piece (Espruino's built-in heatshrink) and evaluated from the heap: its
// functions' code is then in the heap too, for as long as the module is held. So is one kept in
// the board's code EEPROM (`codeEeprom`, tools/image.ts), read over I2C and checked by its CRC-32
// first.

// Defined by the loader (.bootcde, tools/image.ts modulesText): where each module lies, as
// " name:where,offset,length" each (where: 0 area, 1 Storage file, 8 code EEPROM; plus 2 for a module that
// reads library pieces, named after it: ",3.0"; plus 4 for one kept compressed), a space at
// the end; and how to read a piece of code as a string (where: 0 area, 1 Storage file, 8 code
// EEPROM, plus 4 to decompress it).
declare const MODULES: string;
declare function __piece(where: number, offset: number, length: number): string;

/** The library pieces loaded during the outermost call of a module that reads them, by name. */
let pieces: any;

/** The entry function of module `name`, or the value of library piece `name` (pieces are named
 *  by number, and loaded only while `pieces` is kept). An indirect eval: a direct one would keep
 *  the minifier from shortening any name around it (Espruino evaluates both kinds in the
 *  calling scope). */
export function loadModule(name: string): any {
  const k = MODULES.indexOf(' ' + name + ':') + name.length + 2;
  const at = MODULES.substring(k, MODULES.indexOf(' ', k)).split(',');
  const m = (0, eval)(__piece(+at[0] & 13, +at[1], +at[2]));
  if (!(+at[0] & 2)) return m;
  const given = function () {
    return m(
      at[3].split('.').map(function (d: string) {
        return pieces[d] || (pieces[d] = loadModule(d));
      }),
    );
  };
  if (name < 'a') return given();
  // (Every entry takes at most three arguments: tools/build.ts checks.)
  return function (a: any, b: any, c: any) {
    // The outermost call keeps the pieces and lets go of them; the calls it makes find them.
    const own = !pieces;
    if (own) pieces = {};
    try {
      return given()(a, b, c);
    } finally {
      if (own) pieces = undefined;
    }
  };
}
