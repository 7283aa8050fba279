import { Result } from './result';

/** Byte-addressed non-volatile memory with page-aware writes (AT24C-class, or a virtual one). */
export interface Eeprom {
  /** Capacity in bytes. */
  readonly size: number;
  /** Page size in bytes; a write never crosses a page inside the device. */
  readonly pageSize: number;
  /** Reads len bytes from addr. */
  read(addr: number, len: number): Result<Uint8Array>;
  /** Writes bytes at addr, split at page boundaries, each page awaited and verified. */
  write(addr: number, bytes: Uint8Array): Result<true>;
}
