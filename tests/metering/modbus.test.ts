// Every Modbus RTU vector of shared/protocols/modbus-rtu-meters.md, CRC, float decoding, profiles.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as mb from '../../firmware/metering/modbus';
import { crc16 } from '../../firmware/lib/crc16';
import { dds238, sdm120, builtinProfile, offsetIn, planReads } from '../../firmware/metering/meter-profiles';
import { parseProfile } from '../../firmware/metering/profile-parse';
import { h, hx } from './fakes';

function parse(req: Uint8Array, hex: string) {
  const rx = h(hex);
  return mb.parseReply(req, rx, rx.length);
}

function f32At(req: Uint8Array, hex: string, mul: number): number {
  const r = parse(req, hex);
  if (!r.ok) throw new Error(r.error);
  return mb.f32Scaled(r.value, 0, mul, 1);
}

describe('Modbus requests equal the wire vectors', () => {
  it('SDM reads, function 04', () => {
    expect(hx(mb.readRequest(1, 4, 0x0000, 2))).toBe('01 04 00 00 00 02 71 CB');
    expect(hx(mb.readRequest(1, 4, 0x0006, 2))).toBe('01 04 00 06 00 02 91 CA');
    expect(hx(mb.readRequest(1, 4, 0x000c, 2))).toBe('01 04 00 0C 00 02 B1 C8');
    expect(hx(mb.readRequest(1, 4, 0x0048, 2))).toBe('01 04 00 48 00 02 F1 DD');
    expect(hx(mb.readRequest(1, 4, 0x004a, 2))).toBe('01 04 00 4A 00 02 50 1D');
    expect(hx(mb.readRequest(1, 4, 0x0156, 2))).toBe('01 04 01 56 00 02 90 27');
    expect(hx(mb.readRequest(1, 4, 0x0000, 14))).toBe('01 04 00 00 00 0E 71 CE');
  });
  it('writes, function 10', () => {
    expect(hx(mb.writeRequest(1, 0x1a, [0, 0]))).toBe('01 10 00 1A 00 02 04 00 00 00 00 72 DC');
    expect(hx(mb.writeRequest(1, 0x1a, [0]))).toBe('01 10 00 1A 00 01 02 00 00 A4 6A');
    expect(hx(mb.writeRequest(1, 0x1a, [1]))).toBe('01 10 00 1A 00 01 02 00 01 65 AA');
  });
});

describe('Modbus replies decode to the stated values', () => {
  it('SDM floats to integer units', () => {
    expect(f32At(mb.readRequest(1, 4, 0, 2), '01 04 04 43 66 19 9A 85 E4', 10)).toBe(2301); // 230.1 V
    expect(f32At(mb.readRequest(1, 4, 6, 2), '01 04 04 40 A8 00 00 6F A4', 1000)).toBe(5250); // 5.25 A
    expect(f32At(mb.readRequest(1, 4, 12, 2), '01 04 04 44 96 F0 00 4B 58', 1)).toBe(1208); // 1207.5 W, half away
    expect(f32At(mb.readRequest(1, 4, 0x48, 2), '01 04 04 44 96 00 00 0F 58', 1000)).toBe(1200000);
    expect(f32At(mb.readRequest(1, 4, 0x4a, 2), '01 04 04 42 0A 3D 71 1F 4A', 1000)).toBe(34560);
    expect(f32At(mb.readRequest(1, 4, 0x156, 2), '01 04 04 44 9A 51 EC F3 46', 1000)).toBe(1234560);
  });
  it('write echoes', () => {
    expect(parse(mb.writeRequest(1, 0x1a, [0, 0]), '01 10 00 1A 00 02 60 0F').ok).toBe(true);
    expect(parse(mb.writeRequest(1, 0x1a, [1]), '01 10 00 1A 00 01 20 0E').ok).toBe(true);
    expect(parse(mb.writeRequest(1, 0x1a, [1]), '01 10 00 1A 00 02 60 0F')).toMatchObject({ ok: false, error: 'unexpected' });
  });
  it('exception 01 84 02 -> illegal-address; lengths known from the first bytes', () => {
    const req = mb.readRequest(1, 4, 0x48, 2);
    expect(parse(req, '01 84 02 C2 C1')).toMatchObject({ ok: false, error: 'illegal-address' });
    expect(mb.replyLength(req, h('01 84'), 2)).toBe(5);
    expect(mb.replyLength(req, h('01'), 1)).toBe(9);
    expect(mb.replyLength(mb.writeRequest(1, 0x1a, [1]), h('01 10'), 2)).toBe(8);
    expect(mb.exceptionNames()[6]).toBe('busy');
  });
  it('bad CRC, wrong id, wrong length are errors, never throws', () => {
    const req = mb.readRequest(1, 4, 0, 2);
    expect(parse(req, '01 04 04 43 66 19 9A 85 E5')).toMatchObject({ ok: false, error: 'crc' });
    const other = h('02 04 04 43 66 19 9A 00 00');
    const c = crc16(other, 0, 7);
    other[7] = c & 255;
    other[8] = c >> 8;
    expect(mb.parseReply(req, other, 9)).toMatchObject({ ok: false, error: 'unexpected' });
    expect(mb.parseReply(mb.readRequest(1, 4, 0, 4), h('01 04 04 43 66 19 9A 85 E4'), 9)).toMatchObject({ ok: false, error: 'unexpected' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        mb.parseReply(req, b, b.length);
      }),
    );
  });
});

describe('CRC-16/MODBUS', () => {
  it('check value and zero residue over good frames', () => {
    const s = new TextEncoder().encode('123456789');
    expect(crc16(s, 0, s.length)).toBe(0x4b37);
    for (const v of ['01 04 04 43 66 19 9A 85 E4', '01 84 02 C2 C1', '01 10 00 1A 00 01 20 0E']) expect(crc16(h(v), 0, h(v).length)).toBe(0);
  });
});

describe('integer decoding', () => {
  it('float32 property: equals round-half-away of the exact float times the scale', () => {
    const b = new Uint8Array(4);
    const dv = new DataView(b.buffer);
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.constantFrom(1, 10, 1000), (x, mul) => {
        dv.setFloat32(0, x);
        const exact = dv.getFloat32(0) * mul;
        const want = Math.sign(exact) * Math.floor(Math.abs(exact) + 0.5);
        expect(mb.f32Scaled(b, 0, mul, 1) + 0).toBe(want + 0);
      }),
      { numRuns: 2000 },
    );
  });
  it('float32 specials: NaN and infinities are errors, subnormals and zero decode', () => {
    expect(mb.f32Scaled(h('7F C0 00 00'), 0, 1, 1)).toBeNaN();
    expect(mb.f32Scaled(h('FF 80 00 00'), 0, 1, 1)).toBeNaN();
    expect(mb.f32Scaled(h('00 00 00 01'), 0, 1000, 1)).toBe(0);
    expect(mb.f32Scaled(h('80 00 00 00'), 0, 1, 1) + 0).toBe(0);
  });
  it('u32, i16, u16, i32 with scale', () => {
    const b = h('00 01 E2 40 FF 38 80 00 FF FF FF FE');
    expect(mb.value(b, 0, mb.T_U32, 10, 1)).toBe(1234560);
    expect(mb.value(b, 4, mb.T_I16, 1, 1)).toBe(-200);
    expect(mb.value(b, 6, mb.T_U16, 1, 1)).toBe(0x8000);
    expect(mb.value(b, 8, mb.T_I32, 1, 1)).toBe(-2);
    expect(mb.value(b, 8, mb.T_U32, 1, 1)).toBe(0xfffffffe);
    expect(mb.value(h('00 0F'), 0, mb.T_U16, 1, 10)).toBe(2); // 1.5 -> 2
  });
});

describe('meter profiles', () => {
  it('SDM120: energy in one 4-register read, V..P in the 14-register block', () => {
    expect(planReads([sdm120().importWh, sdm120().exportWh])).toEqual([[4, 0x48, 4]]);
    const detail = planReads([sdm120().powerW, sdm120().voltageDv, sdm120().currentMa]);
    expect(detail).toEqual([[4, 0, 14]]);
    expect(hx(mb.readRequest(1, 4, 0, 14))).toBe('01 04 00 00 00 0E 71 CE');
    expect(offsetIn(sdm120().currentMa, detail[0])).toBe(12);
    expect(builtinProfile('sdm230')).toEqual(sdm120());
  });
  it('DDS238: export and import in one holding read; relay register 0x1A', () => {
    expect(planReads([dds238().importWh, dds238().exportWh])).toEqual([[3, 8, 4]]);
    const data = h('00 00 00 7B 00 01 E2 40');
    const b = [3, 8, 4];
    expect(mb.value(data, offsetIn(dds238().importWh, b), dds238().importWh.type, 10, 1)).toBe(1234560);
    expect(mb.value(data, offsetIn(dds238().exportWh, b), dds238().exportWh!.type, 10, 1)).toBe(1230);
    expect(dds238().relayReg).toBe(0x1a);
  });
  it('planReads splits different functions and spans over 80 registers', () => {
    const f = (fn: number, reg: number) => ({ fn, reg, type: mb.T_F32, mul: 1, div: 1 });
    expect(planReads([f(4, 0), f(3, 2), f(4, 0x156)])).toEqual([[4, 0, 2], [3, 2, 2], [4, 0x156, 2]]);
  });
  it('generic profile from configuration', () => {
    const r = parseProfile({
      name: 'x',
      import: { reg: 10, fn: 3, type: 'u32', scale: 0.01, unit: 'kWh' },
      power: { reg: 14, type: 'i16', unit: 'W' },
      voltage: { reg: 12, fn: 4, type: 'u16', scale: 0.1, unit: 'V' },
      current: { reg: 13, type: 'u16', scale: 0.01, unit: 'A' },
      relay: { reg: 26 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.importWh).toEqual({ fn: 3, reg: 10, type: mb.T_U32, mul: 10, div: 1 });
    expect(r.value.voltageDv).toEqual({ fn: 4, reg: 12, type: mb.T_U16, mul: 1, div: 1 });
    expect(r.value.currentMa).toMatchObject({ mul: 10, div: 1 });
    expect(r.value.exportWh).toBe(null);
    expect(r.value.relayReg).toBe(26);
    const p = parseProfile({ name: 'y', import: { reg: 0, type: 'u32', scale: 0.001, unit: 'Wh' } });
    expect(p.ok && p.value.importWh).toMatchObject({ mul: 1, div: 1000 });
  });
  it('generic profile errors are typed and name the field', () => {
    const bad = (o: unknown) => {
      const r = parseProfile(o);
      return r.ok ? 'ok' : r.error + ':' + r.detail;
    };
    expect(bad(null)).toBe('profile:object');
    expect(bad({ name: 'x' })).toBe('profile:import');
    expect(bad({ name: 'x', import: { reg: 70000, type: 'u32', unit: 'kWh' } })).toBe('profile:import.reg');
    expect(bad({ name: 'x', import: { reg: 1, fn: 6, type: 'u32', unit: 'kWh' } })).toBe('profile:import.fn');
    expect(bad({ name: 'x', import: { reg: 1, type: 'f64', unit: 'kWh' } })).toBe('profile:import.type');
    expect(bad({ name: 'x', import: { reg: 1, type: 'u32', unit: 'V' } })).toBe('profile:import.unit');
    expect(bad({ name: 'x', import: { reg: 1, type: 'u32', unit: 'kWh', scale: -1 } })).toBe('profile:import.scale');
    expect(bad({ name: 'x', import: { reg: 1, type: 'u32', unit: 'Wh', scale: 1 / 3 } })).toBe('profile:import.scale');
    expect(bad({ name: 'x', import: { reg: 1, type: 'u32', unit: 'kWh' }, relay: { reg: 1, on: 1, off: 1 } })).toBe('profile:relay');
  });
});
