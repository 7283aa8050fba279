// A virtual GSM modem (sim/virtual-modem.ts) answering on a real serial device (one end of a
// socat pty pair) in real time: the firmware running on the Espruino interpreter opens its modem
// UART on the other end and holds its SMS sessions with it as with a SIM800 on the board. The
// module is powered from the start: the interpreter's pins are stubs, so the unit's supply
// switch and power key reach nothing. Messages can be delivered from the network at any moment;
// what the unit texted back is kept with the time it went, and every line both ways when asked.
import { SerialPort as NodeSerialPort } from 'serialport';
import { realClock } from './pty-bridge';
import { ModemOptions, VirtualModem } from './virtual-modem';

/** A text the unit sent: to whom, what, ms after the modem was served. */
export interface SentSms {
  to: string;
  text: string;
  time: number;
}

/** The modem on the device, running. */
export interface PtyModem {
  modem: VirtualModem;
  /** An SMS from `from` arrives from the network now (stored at once when the module can take it). */
  deliver(from: string, text: string): void;
  /** What the unit texted, in order. */
  readonly sent: SentSms[];
  /** With `log`: every line, '> ' what the unit sent, '< ' what the modem answered, with the ms
   *  it came at ("1234 > AT+CMGR=1"); empty lines left out. */
  log: string[];
  /** Ms since the modem was served. */
  now(): number;
  close(): Promise<void>;
}

/** Options: the virtual modem's (`on` is forced), and `log` to keep the lines of the exchange. */
export interface PtyModemOptions extends ModemOptions {
  log?: boolean;
}

/** Opens `path` and serves a powered virtual modem on it until closed. */
export function servePtyModem(path: string, o: PtyModemOptions = {}): Promise<PtyModem> {
  const clock = realClock();
  const port = new NodeSerialPort({ path, baudRate: 115200, autoOpen: false });
  const modem = new VirtualModem(clock, { ...o, on: true });
  let closed = false;
  const log: string[] = [];
  // partial lines of each way, for the log
  const part = { '>': '', '<': '' };
  const record = (way: '>' | '<', s: string): void => {
    if (!o.log) return;
    const lines = (part[way] + s).split(/\r\n|\r|\n/);
    part[way] = lines.pop() as string;
    // the SMS prompt ends no line: logged as it comes
    if (part[way] === '> ' && way === '<') {
      lines.push('> ');
      part[way] = '';
    }
    for (const l of lines) if (l) log.push(clock.now() + ' ' + way + ' ' + l.replace(/\x1a/g, '^Z'));
  };
  modem.onData = (bytes) => {
    if (closed) return;
    record('<', Buffer.from(bytes).toString('latin1'));
    port.write(Buffer.from(bytes));
  };
  const me: PtyModem = {
    modem,
    deliver: (from, text) => modem.receiveSms(from, text),
    get sent() {
      return modem.sent.map((m) => ({ to: m.to, text: m.text, time: m.atMs }));
    },
    log,
    now: () => clock.now(),
    close(): Promise<void> {
      closed = true;
      modem.setPower(false);
      clock.stop();
      return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    },
  };
  return new Promise((resolve, reject) => {
    port.open((err) => {
      if (err) return reject(err);
      port.on('data', (chunk: Buffer) => {
        if (closed) return;
        // a Ctrl-Z ends the SMS text without a line end: the log takes it as one
        record('>', chunk.toString('latin1').replace(/\x1a/g, '\x1a\r'));
        modem.write(new Uint8Array(chunk));
      });
      resolve(me);
    });
  });
}
