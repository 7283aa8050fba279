// Modbus meter profiles as data: where each quantity lives and how it becomes an integer unit.
// Units of the fields: energy Wh, power W, voltage 0.1 V, current mA.
import { FN_HOLDING, FN_INPUT, T_F32, T_I16, T_U16, T_U32, typeWords } from './modbus';

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
