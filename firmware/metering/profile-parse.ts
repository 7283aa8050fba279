// A Modbus meter's register map from the configuration (a profile of the unit's own, beside the
// built-in ones of meter-profiles.ts). Apart from the profiles because only the configuration's
// parsing uses it: the meter session, which reads with the profiles, never does.
import { Result, ok, fail } from '../../hal/result';
import { FN_HOLDING } from './modbus';
import type { ModbusField, ModbusProfile } from './meter-profiles';

/** Register type names by number. A function: on the board its text stays in flash until asked for. */
export function typeNames(): string[] {
  return 'u16 i16 u32 i32 f32'.split(' ');
}

// Our unit per meter unit, for each quantity of a generic profile.
const UNITS: { [q: string]: { [u: string]: number } } = {
  import: { kWh: 1000, Wh: 1 },
  export: { kWh: 1000, Wh: 1 },
  power: { kW: 1000, W: 1 },
  voltage: { V: 10 },
  current: { A: 1000, mA: 1 },
};

function num(v: unknown, lo: number, hi: number): number {
  return typeof v === 'number' && v >= lo && v <= hi && Math.floor(v) === v ? v : -1;
}

// A field from { reg, fn, type, scale, unit }: register value x scale = quantity in unit.
function field(q: string, o: any): Result<ModbusField | null> {
  if (o === undefined) return ok(null);
  const bad = function (what: string): Result<ModbusField | null> {
    return fail('profile', q + '.' + what);
  };
  if (!o || typeof o !== 'object') return bad('object');
  const reg = num(o.reg, 0, 65535);
  if (reg < 0) return bad('reg');
  const fn = o.fn === undefined ? FN_HOLDING : num(o.fn, 3, 4);
  if (fn < 0) return bad('fn');
  const type = typeNames().indexOf(o.type);
  if (type < 0) return bad('type');
  const per = UNITS[q][o.unit];
  if (!per) return bad('unit');
  const scale = o.scale === undefined ? 1 : o.scale;
  if (typeof scale !== 'number' || !(scale > 0) || scale > 1e6) return bad('scale');
  // scale x per as a fraction mul / div with div a power of ten.
  const f = scale * per;
  let div = 1;
  while (Math.abs(Math.round(f * div) - f * div) > 1e-6 && div < 1e6) div *= 10;
  const mul = Math.round(f * div);
  if (Math.abs(mul - f * div) > 1e-6 || mul < 1) return bad('scale');
  return ok({ fn: fn, reg: reg, type: type, mul: mul, div: div });
}

/** A profile from a configured register map, e.g.
 *  { name, import: { reg: 10, fn: 3, type: 'u32', scale: 0.01, unit: 'kWh' }, export?, power?,
 *    voltage?, current?, relay?: { reg: 26, on: 1, off: 0 } }. */
export function parseProfile(o: any): Result<ModbusProfile> {
  if (!o || typeof o !== 'object') return fail('profile', 'object');
  if (typeof o.name !== 'string' || !o.name) return fail('profile', 'name');
  if (o.import === undefined) return fail('profile', 'import');
  const qs = ['import', 'export', 'power', 'voltage', 'current'];
  const fs: (ModbusField | null)[] = [];
  for (let i = 0; i < qs.length; i++) {
    const r = field(qs[i], o[qs[i]]);
    if (!r.ok) return fail(r.error, r.detail);
    fs.push(r.value);
  }
  let relayReg = -1;
  let on = 1;
  let off = 0;
  if (o.relay !== undefined) {
    const r = o.relay || {};
    relayReg = num(r.reg, 0, 65535);
    on = r.on === undefined ? 1 : num(r.on, 0, 65535);
    off = r.off === undefined ? 0 : num(r.off, 0, 65535);
    if (relayReg < 0 || on < 0 || off < 0 || on === off) return fail('profile', 'relay');
  }
  return ok({
    name: o.name,
    importWh: fs[0] as ModbusField,
    exportWh: fs[1],
    powerW: fs[2],
    voltageDv: fs[3],
    currentMa: fs[4],
    relayReg: relayReg,
    relayOn: on,
    relayOff: off,
  });
}
