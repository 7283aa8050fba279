// A virtual I2C bus implementing hal/i2c.ts: devices answer by 7-bit address, an absent
// address or an unpowered board NACKs, exactly what the drivers see on a real bus.
import { I2cBus } from '../hal/i2c';
import { Result, fail, ok } from '../hal/result';

/** A device on the virtual bus; one call is one whole transaction (START .. STOP). `address` is
 *  the 7-bit device address it came to (a device attached at several, as an AT24CM01 is, tells
 *  them apart: their low bits are memory address bits). */
export interface VirtualI2cDevice {
  /** A write transaction of bytes then more (when given); false = the device NACKed its
   *  address (nothing was taken). */
  write(bytes: Uint8Array, more?: Uint8Array, address?: number): boolean;
  /** A read transaction of len bytes (valid until the device's next transaction: the drivers
   *  use them at once); null = the device NACKed its address. */
  read(len: number, address?: number): Uint8Array | null;
}

/** One transaction as the bus saw it (kept only while tracing). */
export interface I2cTransaction {
  op: 'write' | 'read';
  address: number;
  /** Bytes written, or bytes read (empty when NACKed). */
  bytes: Uint8Array;
  ack: boolean;
}

/** The answers that do not depend on what was read, made once: the drivers only read a Result,
 *  and the unit reads its RTC and EEPROM over this bus several times per simulated reading. */
type Nack = { ok: false; error: string; detail?: string };
const ACK: Result<true> = ok<true>(true);
/** By address: the NACK of a powered bus, and of an unpowered one. */
const nacks: Nack[][] = [[], []];

function nack(address: number, powered: boolean): Nack {
  const byAddress = nacks[powered ? 0 : 1];
  return byAddress[address] || (byAddress[address] = fail<true>('nack', nackText(address, powered)) as Nack);
}

/** The virtual bus: attach devices, switch power, optionally trace every transaction. */
export class VirtualI2cBus implements I2cBus {
  /** When set, transactions are appended here (tests inspect page splitting and polling). */
  trace: I2cTransaction[] | null = null;
  /** Counts changes of power and of the devices attached (what a cached reading depends on). */
  changes = 0;
  private devices: (VirtualI2cDevice | undefined)[] = [];
  private power = true;

  /** False models a board without power: every transaction NACKs. */
  get powered(): boolean {
    return this.power;
  }

  set powered(on: boolean) {
    this.power = on;
    this.changes++;
  }

  /** Puts a device at a 7-bit address (replacing any there); a device that answers at several
   *  is attached at each. */
  attach(address: number, device: VirtualI2cDevice): void {
    this.devices[address & 0x7f] = device;
    this.changes++;
  }

  /** Removes the device at an address, as if unplugged. */
  detach(address: number): void {
    this.devices[address & 0x7f] = undefined;
    this.changes++;
  }

  writeTo(address: number, bytes: Uint8Array, more?: Uint8Array): Result<true> {
    const dev = this.power ? this.devices[address & 0x7f] : undefined;
    const ack = dev ? dev.write(bytes, more, address & 0x7f) : false;
    if (this.trace) this.trace.push({ op: 'write', address: address, bytes: joined(bytes, more).slice(), ack: ack });
    return ack ? ACK : nack(address, this.power);
  }

  readFrom(address: number, len: number): Result<Uint8Array> {
    const dev = this.power ? this.devices[address & 0x7f] : undefined;
    const got = dev ? dev.read(len, address & 0x7f) : null;
    if (this.trace) this.trace.push({ op: 'read', address: address, bytes: got ? got.slice() : new Uint8Array(0), ack: got !== null });
    if (!got) return nack(address, this.power);
    if (got.length !== len) return fail<Uint8Array>('short', got.length + ' of ' + len);
    return ok(got);
  }
}

/** The bytes of a write transaction in one array (bytes itself when there is no more). */
export function joined(bytes: Uint8Array, more?: Uint8Array): Uint8Array {
  if (!more) return bytes;
  const all = new Uint8Array(bytes.length + more.length);
  all.set(bytes);
  all.set(more, bytes.length);
  return all;
}

function nackText(address: number, powered: boolean): string {
  return (powered ? 'NACK from 0x' : 'bus unpowered, NACK from 0x') + address.toString(16);
}
