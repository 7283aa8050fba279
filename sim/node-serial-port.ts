// hal/serial.ts on a real serial device of this computer (node-serialport): the firmware's
// MeterBus can then talk to real meters through a USB-RS485 adapter, or to independent peers
// (pymodbus) through a socat pty pair. One write at a time; done when the OS has drained it.
// A reply can be read before the OS reports the request drained (a fast peer on a loaded
// machine): the bus listens only from done on, so bytes read while a write is draining are held
// and handed over just after done, less an echo of the request itself (an adapter that hears
// its own transmission).
import { SerialPort as NodeSerialPort } from 'serialport';
import { LineSettings, SerialOptions, SerialPort, bitsPerChar } from '../hal/serial';

/** A hal SerialPort on a device path; created open (see openNodeSerialPort). A MeterBus opens its
 *  port synchronously: hand it `(o) => adapter.use(o)` so the bus's receiver is plugged in. */
export class NodeSerialAdapter implements SerialPort {
  /** Bytes written and received, for tests. */
  txBytes = 0;
  rxBytes = 0;
  private busy = false;
  private closed = false;
  /** While a write drains: the request, and the bytes read meanwhile. */
  private sending: Buffer | null = null;
  private held: Buffer[] = [];

  constructor(
    private port: NodeSerialPort,
    private opts: SerialOptions,
  ) {
    port.on('data', (b: Buffer) => {
      if (this.closed) return;
      this.rxBytes += b.length;
      if (this.sending) this.held.push(Buffer.from(b));
      else this.hand(b);
    });
  }

  /** Takes the receiver (and the settings, for bitsPerChar) of a caller that opens it. */
  use(o: SerialOptions): this {
    this.opts = o;
    return this;
  }

  write(bytes: Uint8Array, done?: () => void): boolean {
    if (this.busy || this.closed) return false;
    this.busy = true;
    this.txBytes += bytes.length;
    const req = Buffer.from(bytes);
    this.sending = req;
    this.port.write(req);
    this.port.drain(() => {
      this.busy = false;
      this.sending = null;
      let rx = Buffer.concat(this.held);
      this.held = [];
      if (rx.subarray(0, req.length).equals(req)) rx = rx.subarray(req.length);
      if (done && !this.closed) done();
      if (rx.length) this.hand(rx);
    });
    return true;
  }

  private hand(b: Buffer): void {
    if (!this.closed) this.opts.onData(new Uint8Array(b.buffer, b.byteOffset, b.length).slice());
  }

  bitsPerChar(): number {
    return bitsPerChar(this.opts);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.port.isOpen) this.port.close();
  }
}

/** Opens a device with the line settings of o (a pty ignores them, a USB adapter obeys). */
export function openNodeSerialPort(path: string, o: SerialOptions | LineSettings): Promise<NodeSerialAdapter> {
  return new Promise((resolve, reject) => {
    const p = new NodeSerialPort({ path, baudRate: o.baud, dataBits: o.dataBits, parity: o.parity, stopBits: o.stopBits, autoOpen: false });
    const so: SerialOptions = { onData: () => undefined, ...o };
    p.open((err) => (err ? reject(err) : resolve(new NodeSerialAdapter(p, so))));
  });
}
