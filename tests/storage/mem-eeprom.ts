// An EEPROM in memory for storage tests: blank (0xFF), range-checked, never failing.
import { Eeprom } from '../../hal/eeprom';
import { Result, fail, ok } from '../../hal/result';

export class MemEeprom implements Eeprom {
  readonly mem: Uint8Array;
  constructor(
    readonly size: number,
    readonly pageSize = 32,
  ) {
    this.mem = new Uint8Array(size).fill(0xff);
  }
  read(addr: number, len: number): Result<Uint8Array> {
    if (addr < 0 || addr + len > this.size) return fail('range', addr + '+' + len);
    return ok(this.mem.slice(addr, addr + len));
  }
  write(addr: number, bytes: Uint8Array): Result<true> {
    if (addr < 0 || addr + bytes.length > this.size) return fail('range', addr + '+' + bytes.length);
    this.mem.set(bytes, addr);
    return ok<true>(true);
  }
}
