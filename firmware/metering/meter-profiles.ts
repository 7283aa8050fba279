// Modbus meter profiles as data: where each quantity lives and how it becomes an integer unit.
// Units of the fields: energy Wh, power W, voltage 0.1 V, current mA.
import { Result, ok, fail } from '../../hal/result';
import { FN_HOLDING, FN_INPUT, T_F32, T_I16, T_U16, T_U32, typeNames, typeWords } from './modbus';

/** One quantity: function (03/04), register, type, and value x mul / div = our unit. */
export interface ModbusField {
  fn: number;
  reg: number;
  type: number;
  mul: number;
  div: number;
}

/** A meter model's register map. The relay (if any) is written with function 10 only. */
export interface ModbusProfile {
  name: string;
  importWh: ModbusField;
  exportWh: ModbusField | null;
  powerW: ModbusField | null;
  voltageDv: ModbusField | null;
  currentMa: ModbusField | null;
  /** Holding register of the load relay and its values, or relayReg -1. */
  relayReg: number;
  relayOn: number;
  relayOff: number;
}

function fld(fn: number, reg: number, type: number, mul: number, div: number): ModbusField {
  return { fn: fn, reg: reg, type: type, mul: mul, div: div };
}

/** Eastron SDM120 / SDM230: float32 input registers. Their total is import + export, so both are
 *  read. Made anew at each use and let go: on the board a profile object kept costs about 50
 *  variables. */
export function sdm120(): ModbusProfile {
  return {
    name: 'sdm120',
    importWh: fld(FN_INPUT, 0x48, T_F32, 1000, 1),
    exportWh: fld(FN_INPUT, 0x4a, T_F32, 1000, 1),
    powerW: fld(FN_INPUT, 0x0c, T_F32, 1, 1),
    voltageDv: fld(FN_INPUT, 0x00, T_F32, 10, 1),
    currentMa: fld(FN_INPUT, 0x06, T_F32, 1000, 1),
    relayReg: -1,
    relayOn: 1,
    relayOff: 0,
  };
}

/** Hiking DDS238-2 ZN/SR: uint32 holding registers in 0.01 kWh; relay at 0x001A (function 10 only). */
export function dds238(): ModbusProfile {
  return {
    name: 'dds238',
    importWh: fld(FN_HOLDING, 0x0a, T_U32, 10, 1),
    exportWh: fld(FN_HOLDING, 0x08, T_U32, 10, 1),
    powerW: fld(FN_HOLDING, 0x0e, T_I16, 1, 1),
    voltageDv: fld(FN_HOLDING, 0x0c, T_U16, 1, 1),
    currentMa: fld(FN_HOLDING, 0x0d, T_U16, 10, 1),
    relayReg: 0x1a,
    relayOn: 1,
    relayOff: 0,
  };
}

/** A built-in profile by name (SDM230 shares SDM120's map), or null. */
export function builtinProfile(name: string): ModbusProfile | null {
  return name === 'sdm120' || name === 'sdm230' ? sdm120() : name === 'dds238' ? dds238() : null;
}

/** One read: function, first register, count. */
export type ReadBlock = number[];

/** The fewest reads (same function, at most 80 registers each) that cover the fields. */
export function planReads(fields: (ModbusField | null)[]): ReadBlock[] {
  const out: ReadBlock[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f) continue;
    const end = f.reg + typeWords(f.type);
    let k = 0;
    for (; k < out.length; k++) {
      const b = out[k];
      const lo = Math.min(b[1], f.reg);
      const hi = Math.max(b[1] + b[2], end);
      if (b[0] === f.fn && hi - lo <= 80) {
        b[1] = lo;
        b[2] = hi - lo;
        break;
      }
    }
    if (k === out.length) out.push([f.fn, f.reg, end - f.reg]);
  }
  return out;
}

/** Byte offset of field f in the reply data of block b, or -1 when b does not hold it. */
export function offsetIn(f: ModbusField | null, b: ReadBlock): number {
  if (!f || f.fn !== b[0] || f.reg < b[1] || f.reg + typeWords(f.type) > b[1] + b[2]) return -1;
  return 2 * (f.reg - b[1]);
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
  return ok(fld(fn, reg, type, mul, div));
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
