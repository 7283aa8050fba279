import { I2cBus } from '../i2c';
import { Result, fail, ok } from '../result';

/** Espruino's synchronous hardware I2C; its thrown bus errors come back as values. */
export class EspruinoI2cBus implements I2cBus {
  constructor(private bus: I2C, scl: Pin, sda: Pin, bitrate: number) {
    bus.setup({ scl: scl, sda: sda, bitrate: bitrate });
  }

  writeTo(address: number, bytes: Uint8Array, more?: Uint8Array): Result<true> {
    try {
      // Espruino's writeTo sends all its data arguments in one transaction.
      if (more) this.bus.writeTo(address, bytes, more);
      else this.bus.writeTo(address, bytes);
      return ok<true>(true);
    } catch (e) {
      return busError<true>(e);
    }
  }

  readFrom(address: number, len: number): Result<Uint8Array> {
    try {
      const b = this.bus.readFrom(address, len);
      return b.length === len ? ok(b) : fail<Uint8Array>('short', b.length + ' of ' + len);
    } catch (e) {
      return busError<Uint8Array>(e);
    }
  }
}

/** "I2C Error: Timeout (...)" or a NACK message, as a short code with the text as detail. */
function busError<T>(e: unknown): Result<T> {
  const text = '' + e;
  return fail<T>(text.indexOf('NACK') >= 0 ? 'nack' : 'timeout', text);
}
