// The board's side of the module loader (firmware/modules.ts): a module's code lies
// pretokenised in flash (in the code area, or in the Storage file after the modules that fit
// there); evaluating it from there keeps its function bodies in flash, and its functions leave
// the heap once nothing refers to them.

// Defined by the loader (.bootcde, tools/image.ts modulesText): where each module lies, as
// " name:where,offset,length" each (where: 0 area, 1 Storage file), and how to read a piece of
// flash as a string.
declare const MODULES: string;
declare function __piece(where: number, offset: number, length: number): string;

/** The entry function of module `name`. An indirect eval: a direct one would keep the minifier
 *  from shortening any name around it (Espruino evaluates both kinds in the calling scope). */
export function loadModule(name: string): any {
  const k = MODULES.indexOf(' ' + name + ':');
  // "where,offset,length name2:..." (the length's number ends at the space)
  const at = MODULES.substr(k + name.length + 2, 30).split(',');
  return (0, eval)(__piece(+at[0], +at[1], parseInt(at[2], 10)));
}
