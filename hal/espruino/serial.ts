import { LineSettings, SerialOptions, SerialPort, bitsPerChar, wireTimeMs } from '../serial';

/** Pins of a half-duplex RS485 port. */
export interface Rs485Pins {
  tx: Pin;
  rx: Pin;
  /** Driver-enable, high while transmitting. */
  de: Pin;
}

/** The meter bus's port: RS485 on UART `port`. The board's HAL loads this as a module of its own
 *  (`ser`, tools/build.ts) when a meter session opens the bus, so that between poll cycles the
 *  heap holds no serial port class; the port object keeps the module alive while it is open. */
export function openRs485(port: Serial, pins: Rs485Pins, opts: SerialOptions): SerialPort {
  return new EspruinoSerialPort(port, pins, opts);
}

/** RS485 on an Espruino UART with driver-enable on a GPIO (Espruino has no DE support). */
export class EspruinoSerialPort implements SerialPort {
  private busy = false;
  /** The timer that ends a frame's driver-enable, while one is pending (cancelled at close: it
   *  would keep the closed bus and its session in the heap until it ran). */
  private sending = -1;
  /** Set by setLine(), from the constructor on. */
  private line!: LineSettings;

  constructor(private port: Serial, private pins: Rs485Pins, opts: SerialOptions) {
    digitalWrite(pins.de, 0);
    this.setLine(opts);
    const onData = opts.onData;
    port.on('data', function (s: string) {
      // Espruino hands over a string of byte values; callers want bytes.
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
      onData(b);
    });
  }

  write(bytes: Uint8Array, done?: () => void): boolean {
    if (this.busy) return false;
    this.busy = true;
    const self = this;
    digitalWrite(this.pins.de, 1);
    this.port.write(bytes);
    // write() returns once bytes are queued, not sent: hold DE for the frame's wire time plus
    // two characters for the UART's shift register and the timer's slack.
    this.sending = setTimeout(function () {
      self.sending = -1;
      digitalWrite(self.pins.de, 0);
      self.busy = false;
      if (done) done();
    }, wireTimeMs(this.line, bytes.length + 2));
    return true;
  }

  /** Sets the UART to a meter's line settings (DL/T 645 and Modbus meters share the wire at
   *  their own baud rates and parity); the data listener stays. */
  setLine(l: LineSettings): void {
    this.line = { baud: l.baud, dataBits: l.dataBits, parity: l.parity, stopBits: l.stopBits };
    // Only what differs from the UART's defaults (8 bits, no parity, 1 stop bit): Espruino keeps
    // the options object on the port for good (`_options`), each setting about 2 variables.
    const o: { [k: string]: unknown } = { tx: this.pins.tx, rx: this.pins.rx };
    if (l.dataBits !== 8) o.bytesize = l.dataBits;
    if (l.parity !== 'none') o.parity = l.parity.charAt(0); // 'e' or 'o'
    if (l.stopBits !== 1) o.stopbits = l.stopBits;
    this.port.setup(l.baud, o);
  }

  bitsPerChar(): number {
    return bitsPerChar(this.line);
  }

  close(): void {
    this.port.removeAllListeners('data');
    if (this.sending >= 0) clearTimeout(this.sending);
    this.sending = -1;
    this.busy = false;
    digitalWrite(this.pins.de, 0);
  }
}
