import { Result } from './result';

/** A synchronous I2C master (Espruino's I2C is synchronous); bus timeouts come back as errors. */
export interface I2cBus {
  /** Writes bytes, then more when given (in the same transaction: a register address and its
   *  data need no buffer of both), to the 7-bit address; error 'nack' or 'timeout' on failure. */
  writeTo(address: number, bytes: Uint8Array, more?: Uint8Array): Result<true>;
  /** Reads len bytes from the 7-bit address. */
  readFrom(address: number, len: number): Result<Uint8Array>;
}
