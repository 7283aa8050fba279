// The on-demand modules: the build bundles the same entries the simulator hands over, each
// module is one expression whose value is its entry, and none carries a resident class.
import { describe, expect, it } from 'vitest';
import { BuildError, bundleModule, bundleModules, bundleResident, isLibraryPiece, MODULES, sharedResident } from '../../tools/build';
import { MODULE_ENTRIES } from '../../sim/modules';
import { moduleFor } from '../../firmware/unit';
import { slowIfEmulated } from '../../tools/espruino-check';
import * as acorn from 'acorn';

describe('on-demand modules', () => {
  it('the build and the simulator know the same modules and entries (but the board HAL\'s own)', () => {
    const firmware = Object.keys(MODULES).filter((n) => !MODULES[n].board);
    expect(firmware.sort()).toEqual(Object.keys(MODULE_ENTRIES).sort());
    expect(Object.keys(MODULES).filter((n) => MODULES[n].board)).toEqual(['ser', 'twk', 'mdl', 'mtc', 'wtc']);
    for (const name of firmware) expect((MODULE_ENTRIES as unknown as { [k: string]: { name: string } })[name].name, name).toBe(MODULES[name].entry);
  });

  it('each bundles to one expression whose value is its entry function', async () => {
    const resident = await bundleResident('firmware/main.ts', 'var BOARD = {}; var PRODUCTION = true;\n');
    for (const name of Object.keys(MODULES)) {
      const code = await bundleModule(name, resident);
      expect(code.startsWith('(function'), name).toBe(true);
      // eslint-disable-next-line no-new-func
      expect(typeof new Function('return ' + code)(), name).toBe('function');
    }
  }, slowIfEmulated(120000));

  it('the resident code keeps no top-level constant, and every global a module reads is declared by it', async () => {
    const resident = await bundleResident('firmware/main.ts', 'var BOARD = {}; var PRODUCTION = true;\n');
    type Lit = { type: string; value?: unknown };
    const ast = acorn.parse(resident.code, { ecmaVersion: 5 }) as unknown as { body: { type: string; declarations?: { id: { name: string }; init: Lit | null }[]; id?: { name: string }; expression?: { type: string; left?: { type: string; name?: string }; right?: Lit } }[] };
    const literal = (v: Lit | null | undefined) => !!v && v.type === 'Literal' && v.value !== null && typeof v.value !== 'object';
    const declared: string[] = [];
    const constants: string[] = [];
    for (const st of ast.body) {
      if (st.type === 'FunctionDeclaration') declared.push(st.id!.name);
      for (const d of st.declarations || []) {
        declared.push(d.id.name);
        // a number, string or boolean kept as a global is a variable of the heap for good
        if (literal(d.init)) constants.push(d.id.name);
      }
      // or declared at the top and assigned later (what hoisting made of `var X = 3`)
      const x = st.expression;
      if (st.type === 'ExpressionStatement' && x && x.type === 'AssignmentExpression' && x.left!.type === 'Identifier' && literal(x.right)) constants.push(x.left!.name!);
    }
    expect(constants).toEqual([]);
    // No property name of one or two letters is shortened: a module's own `t` would otherwise
    // be taken for the short name another property got (events the console modules made reached
    // the core unread).
    const cache = (resident.props as { props?: { [k: string]: string } }).props || {};
    expect(Object.keys(cache).filter((k) => k.length <= 3)).toEqual([]);
    for (const name of Object.keys(MODULES)) {
      const code = await bundleModule(name, resident);
      // (through `$g`, the module's alias of `global`)
      const reads = (code.match(/\$g(\.[A-Za-z_$][\w$]*|\["[^"]+"\])/g) || []).map((r) => r.replace(/^\$g\.?\[?"?|"?\]?$/g, ''));
      expect(reads.length > 0 || !/\$g=global/.test(code), name).toBe(true);
      for (const r of reads) expect(declared, name + ' reads ' + r).toContain(r);
    }
  }, slowIfEmulated(120000));

  it('on a board that shares module code, library pieces hold what several modules use and the resident code does not; no live module reads one', async () => {
    const prelude = 'var BOARD = {}; var PRODUCTION = true;\n';
    const alone = await bundleResident('firmware/main.ts', prelude);
    const { resident, lib } = await sharedResident(prelude);
    expect(lib.length).toBeGreaterThan(1);
    const files = lib.map((piece) => Object.keys(piece)).reduce((a, b) => a.concat(b), []);
    for (const f of files) {
      expect(alone.files, f).not.toContain(f);
      expect(resident.files, f).not.toContain(f);
    }
    // each file in one piece
    expect(new Set(files).size).toBe(files.length);
    const mods = await bundleModules(resident, lib);
    const pieces = mods.filter((m) => isLibraryPiece(m.name));
    expect(pieces.map((m) => m.name)).toEqual(lib.map((_, i) => String(i)));
    const readers = mods.filter((m) => m.deps && !isLibraryPiece(m.name)).map((m) => m.name);
    expect(readers).toEqual(expect.arrayContaining(['boot', 'cmd', 'cfg', 'lst', 'log']));
    for (const n of Object.keys(MODULES)) if (MODULES[n].live) expect(readers, n).not.toContain(n);
    // The console's command module reads no more pieces than the configuration module, and the
    // module that puts a checked change in place fewer: not the configuration's parser.
    const deps = (n: string) => (mods.find((m) => m.name === n) as { deps?: string[] }).deps || [];
    expect(deps('cmd').length).toBeLessThanOrEqual(deps('cfg').length);
    expect(deps('put').length).toBeLessThan(deps('cfg').length);
    // Evaluated in order (a piece reads only pieces before it or none), each piece is an array
    // and each module one function of the pieces it reads, or its entry.
    const run = (code: string) => new Function('global', 'return ' + code)(new Proxy({}, { get: () => function () {} }));
    const values: { [name: string]: unknown[] } = {};
    const give = (d?: string[]) => (d || []).map((n) => values[n] || (values[n] = evaluate(n)));
    const evaluate = (n: string): unknown[] => {
      const m = mods.find((x) => x.name === n)!;
      return m.deps ? run(m.code)(give(m.deps)) : run(m.code);
    };
    for (const p of pieces) expect(Array.isArray(evaluate(p.name)), p.name).toBe(true);
    for (const m of mods.filter((x) => !isLibraryPiece(x.name))) {
      const v = run(m.code);
      expect(typeof (m.deps ? v(give(m.deps)) : v), m.name).toBe('function');
      if (m.deps) expect(v.length, m.name).toBe(1);
    }
  }, slowIfEmulated(240000));

  it('refuses a module that would carry a class the resident code has', async () => {
    // the cfg module with Core among the resident files is fine (it only uses its functions) ...
    const resident = await bundleResident('firmware/main.ts', 'var BOARD = {}; var PRODUCTION = true;\n');
    await expect(bundleModule("cfg", resident)).resolves.toMatch(/^\(function/);
    // ... and an unknown module is a build error
    await expect(bundleModule("nope", resident)).rejects.toBeInstanceOf(BuildError);
  }, slowIfEmulated(120000));

  it('routes configuration changes to cfg, the lists to lst, the history to log and the rest to cmd', () => {
    expect(moduleFor('acct set R1 limit=2')).toBe('cfg');
    expect(moduleFor('ACCT   open R2 plan=x')).toBe('cfg');
    expect(moduleFor('acct\tclose R2')).toBe('cfg');
    expect(moduleFor('acct R1')).toBe('lst');
    expect(moduleFor('acct')).toBe('lst');
    expect(moduleFor('meter add M1 acct=R1')).toBe('cfg');
    expect(moduleFor('meter read M1')).toBe('lst');
    expect(moduleFor('Meter')).toBe('lst');
    expect(moduleFor('tariff set p price=1')).toBe('cfg');
    expect(moduleFor('tariff p')).toBe('lst');
    expect(moduleFor('config export')).toBe('lst');
    expect(moduleFor('config')).toBe('cfg');
    expect(moduleFor('log n=5')).toBe('log');
    expect(moduleFor('FREEZE day')).toBe('log');
    expect(moduleFor('status')).toBe('cmd');
    expect(moduleFor('bogus')).toBe('cmd');
    expect(moduleFor('config import')).toBe('cfg');
    expect(moduleFor('factory-reset yes')).toBe('cfg');
    expect(moduleFor('topup R1 5')).toBe('cmd');
  });
});
