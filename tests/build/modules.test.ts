// The on-demand modules: the build bundles the same entries the simulator hands over, each
// module is one expression whose value is its entry, and none carries a resident class.
import { describe, expect, it } from 'vitest';
import { BuildError, bundleModule, bundleResident, MODULES } from '../../tools/build';
import { MODULE_ENTRIES } from '../../sim/modules';
import { moduleFor } from '../../firmware/unit';
import { slowIfEmulated } from '../../tools/espruino-check';

describe('on-demand modules', () => {
  it('the build and the simulator know the same modules and entries', () => {
    expect(Object.keys(MODULES).sort()).toEqual(Object.keys(MODULE_ENTRIES).sort());
    for (const name of Object.keys(MODULES)) expect((MODULE_ENTRIES as unknown as { [k: string]: { name: string } })[name].name, name).toBe(MODULES[name].entry);
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
