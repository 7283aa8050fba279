// The one transaction layer of the meter bus: one UART, one request on the half-duplex line at
// a time (a queue), the line settings of each meter (DL/T 645 and Modbus meters share the wire
// at their own settings: the UART is set again between their transactions), reply framing
// (DL/T 645 by its length byte, Modbus by expected length or 3.5-character silence), timeouts
// sized from the protocol, retries, per-meter back-off and statistics. Codecs stay pure; this
// owns time.
import { Clock } from '../../hal/clock';
import { LineSettings, SerialOptions, SerialPort, bitsPerChar } from '../../hal/serial';
import { Dlt645Frame, Dlt645Framer, checkReply, hasMore, readData, readNextRequest, readRequest } from './dlt645';
import { Result } from '../../hal/result';
import { parseReply, replyLength } from './modbus';
import { crc16 } from '../lib/crc16';
import { MeterState, meterTables } from './state';

export const PROTO_DLT645 = 0;
export const PROTO_MODBUS = 1;
/** Follow-up frames (12H) read for one DL/T 645 value at most: a meter that keeps saying "more" fails. */
export const MAX_FOLLOW_UPS = 8;

/** End of a transaction: err null or a name ('timeout', 'checksum', 'crc', 'no-data',
 *  'illegal-address', ...); reply is the checked DL/T 645 frame, or the Modbus register bytes
 *  (empty for a write); tag is handed back from request(). */
export type BusCallback = (err: string | null, reply: any, tag: number) => void;

/** How a bus is built. */
export interface BusOptions {
  clock: Clock;
  /** Opens the UART with these settings and receiver (the board or the simulator adds pins). */
  open: (o: SerialOptions) => SerialPort;
  /** The line settings of the meters: one, or one per protocol (DL/T 645's, then Modbus's). */
  line?: LineSettings;
  lines?: LineSettings[];
  /** Meters on this bus: size of the statistics and back-off tables. */
  meters: number;
  /** Further attempts after a timeout or a corrupt reply (default 2). */
  retries?: number;
  /** DL/T 645: longest reply delay Td (default 500 ms, the standard's bound). */
  replyDelayMs?: number;
  /** Modbus: slave turnaround allowance before the first reply byte (default 200 ms). */
  turnaroundMs?: number;
  /** Modbus end-of-frame silence and gap between transactions (default 3.5 characters,
   *  1.75 ms above 19200 baud). A frame also ends at its expected length; a partial frame
   *  that falls silent fails at the attempt's deadline. */
  silenceMs?: number;
  /** Back-off after a failed transaction, doubling per failure in a row (default 10 s, at most 600 s). */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** Tables that outlive this bus (statistics, back-off, line settings per meter); own ones
   *  without. */
  state?: MeterState;
  /** Called when the bus has fallen idle after handing over replies (nothing queued or on the
   *  line). */
  onIdle?: () => void;
}

/** A queued transaction: meter, protocol, request, expected reply length, callback, tag. */
interface Txn {
  m: number;
  p: number;
  req: Uint8Array;
  exp: number;
  cb: BusCallback;
  tag: number;
  tries: number;
  /** The outcome, kept until it is handed over. */
  err?: string | null;
  reply?: any;
}

function opt(v: number | undefined, d: number): number {
  return v === undefined ? d : v;
}

// Line timing as plain functions, not methods: every method call nested on the bus locks it
// twice more on Espruino (tests/metering/nesting.test.ts).

/** Milliseconds per character at line settings l. */
function charMs(l: LineSettings): number {
  return (bitsPerChar(l) * 1000) / l.baud;
}

/** The 3.5-character silence at line settings l (1.75 ms above 19200 baud, or as configured). */
function t35(o: BusOptions, l: LineSettings): number {
  return opt(o.silenceMs, l.baud > 19200 ? 1.75 : 3.5 * charMs(l));
}

/** A meter bus on one UART. */
export class MeterBus {
  /** The meters' statistics (transactions, good replies, retries, timeouts, bad replies),
   *  failures in a row and back-off: state.ts. */
  readonly s: MeterState;
  private o: BusOptions;
  private lines: LineSettings[];
  private port: SerialPort;
  /** Index of the line settings the UART is set to. */
  private at = 0;
  private q: Txn[] = [];
  private cur: Txn | null = null;
  /** Finished transactions whose callbacks run from the next timer (see deliver()). */
  private done: Txn[] = [];
  private listening = false;
  /** Modbus reply bytes (at most 5 + 2 x 80 registers); DL/T 645 frames go to the framer. */
  private rx = new Uint8Array(170);
  private framer: Dlt645Framer;
  private n = 0;
  /** The attempt's deadline, the Modbus silence and the wait for a quiet line. */
  private timer = -1;
  private gap = -1;
  private wake = -1;
  /** The timer that hands finished transactions over (deliver), while one is pending. */
  private handing = -1;
  private closed = false;
  private quietAt = 0;
  /** Clock time of the last byte received. */
  private rxAt = -1e9;
  private sentFn: () => void;
  private timeoutFn: () => void;
  private gapFn: () => void;
  private wakeFn: () => void;
  private deliverFn: () => void;

  constructor(o: BusOptions) {
    const self = this;
    const n = o.meters;
    this.o = o;
    this.lines = o.lines || [o.line as LineSettings];
    const s = o.state || meterTables(n);
    this.s = s;
    this.quietAt = s.quietAt;
    this.framer = new Dlt645Framer(function (r) {
      self.onFrame(r);
    });
    this.sentFn = function () {
      self.sent();
    };
    this.timeoutFn = function () {
      self.timer = -1;
      self.failAttempt(self.n ? 'crc' : 'timeout');
    };
    // A silence ends a whole frame early. After a partial one more bytes may still come:
    // a HAL hands them over in batches, so a gap between batches is not yet proof.
    this.gapFn = function () {
      self.gap = -1;
      if (!crc16(self.rx, 0, self.n)) self.endModbus();
    };
    this.wakeFn = function () {
      self.wake = -1;
      self.pump();
    };
    this.deliverFn = function () {
      self.handing = -1;
      self.deliver();
    };
    const l = this.lines[0];
    this.port = o.open({
      baud: l.baud,
      dataBits: l.dataBits,
      parity: l.parity,
      stopBits: l.stopBits,
      onData: function (b: Uint8Array) {
        self.onData(b);
      },
    });
  }

  /** When the line is free after a transaction that went wrong: 3.5 characters from now, and
   *  a batch's time and 3.5 characters after the last byte seen (bytes come in batches after
   *  they were on the wire, so the next batch of a reply judged early may be on the line). */
  private lineFree(): number {
    const l = this.lines[this.at];
    const q = t35(this.o, l);
    return Math.max(this.o.clock.now() + q, this.rxAt + 8 * charMs(l) + q);
  }

  /** Queues a request to meter m (-1: none, e.g. a broadcast) expecting a reply of about
   *  expectLen bytes (0: no reply). False, and no callback, while m is in back-off. */
  request(m: number, proto: number, req: Uint8Array, expectLen: number, cb: BusCallback, tag: number): boolean {
    if (this.closed || (m >= 0 && !this.ready(m))) return false;
    this.q.push({ m: m, p: proto, req: req, exp: expectLen, cb: cb, tag: tag, tries: 0 });
    if (m >= 0) this.s.requests[m]++;
    this.pump();
    return true;
  }

  /** DL/T 645 read (11H) of one DI from meter m at addr: cb gets the value bytes after the DI,
   *  joined from the follow-up frames (12H, SEQ 1, 2, ...) when the meter sends B1H/B2H, or an
   *  error ('follow-up' after MAX_FOLLOW_UPS, 'seq', 'di', ...). size: the value's usual bytes.
   *  False, and no callback, while m is in back-off. */
  readDlt(m: number, addr: Uint8Array, di: number, size: number, cb: (err: string | null, data: Uint8Array | null) => void): boolean {
    const self = this;
    let part: number[] | null = null;
    let seq = 0;
    const on = function (err: string | null, f: Dlt645Frame): void {
      if (err) return cb(err, null);
      const r = readData(f, di, part ? seq : undefined);
      if (!r.ok) return cb(r.error, null);
      const d = r.value;
      if (!part && !hasMore(f)) return cb(null, d);
      if (!part) part = [];
      for (let i = 0; i < d.length; i++) part.push(d[i]);
      if (!hasMore(f)) return cb(null, new Uint8Array(part));
      if (seq >= MAX_FOLLOW_UPS) return cb('follow-up', null);
      seq++;
      if (!self.request(m, PROTO_DLT645, readNextRequest(addr, di, seq), 17 + size, on, 0)) cb('backoff', null);
    };
    return this.request(m, PROTO_DLT645, readRequest(addr, di), 16 + size, on, 0);
  }

  /** True unless meter m is in back-off after failures. */
  ready(m: number): boolean {
    return this.o.clock.now() >= this.s.hold[m];
  }

  /** Longest time one attempt to meter m may take (for callers sizing their own cycles). */
  attemptMs(proto: number, expectLen: number, m?: number): number {
    const i = m === undefined || m < 0 ? this.at : this.lineOf(proto);
    return proto === PROTO_DLT645 ? opt(this.o.replyDelayMs, 500) + (expectLen + 4) * charMs(this.lines[i]) : opt(this.o.turnaroundMs, 200) + expectLen * charMs(this.lines[i]) + t35(this.o, this.lines[i]);
  }

  /** The line settings a protocol's meters use: with two, the second is Modbus's. */
  private lineOf(p: number): number {
    return p === PROTO_MODBUS && this.lines.length > 1 ? 1 : 0;
  }

  /** True while nothing is queued, on the line or waiting to be handed over. */
  idle(): boolean {
    return !this.cur && !this.q.length && !this.done.length;
  }

  /** Stops for good: the transaction on the line and those queued are dropped without their
   *  callbacks, every timer is cancelled, nothing more is sent (a rebuilt configuration opens a
   *  new bus; the old one must not keep talking, nor stay alive through its timers). */
  close(): void {
    this.stop(true);
    this.s.quietAt = this.quietAt;
    this.closed = true;
    this.cur = null;
    this.q = [];
    this.done = [];
    this.listening = false;
    this.port.close();
  }

  /** Cancels the deadline and the silence timer (and the wait for a quiet line). */
  private stop(all: boolean): void {
    const c = this.o.clock;
    if (this.timer >= 0) c.cancel(this.timer);
    if (this.gap >= 0) c.cancel(this.gap);
    if (all && this.wake >= 0) c.cancel(this.wake);
    // Closing: a pending hand-over would keep the closed bus, and all that its callbacks reach
    // (a whole meter session), in the heap until it ran.
    if (all && this.handing >= 0) c.cancel(this.handing);
    this.timer = this.gap = -1;
    if (all) this.wake = this.handing = -1;
  }

  private pump(): void {
    if (this.closed || this.cur || !this.q.length || this.wake >= 0) return;
    const wait = this.quietAt - this.o.clock.now();
    if (wait > 0) {
      this.wake = this.o.clock.after(wait, this.wakeFn);
      return;
    }
    const t = this.q.shift() as Txn;
    this.cur = t;
    const line = this.lineOf(t.p);
    if (line !== this.at && this.port.setLine) this.port.setLine(this.lines[line]);
    this.at = line;
    t.tries++;
    this.n = 0;
    this.framer.reset();
    this.listening = false;
    if (!this.port.write(t.req, this.sentFn)) this.failAttempt('busy');
  }

  private sent(): void {
    const t = this.cur;
    if (!t) return;
    if (!t.exp) return this.finish(null, null, false);
    this.listening = true;
    this.timer = this.o.clock.after(this.attemptMs(t.p, t.exp, t.m), this.timeoutFn);
  }

  private onData(b: Uint8Array): void {
    const t = this.cur;
    this.rxAt = this.o.clock.now();
    if (!t || !this.listening) {
      // our own echo, or a late reply (the rest of one that failed early): not ours, but the
      // line is busy until it ends
      if (!t) this.quietAt = Math.max(this.quietAt, this.lineFree());
      return;
    }
    if (t.p === PROTO_DLT645) return this.framer.feed(b);
    for (let i = 0; i < b.length && this.n < this.rx.length; i++) this.rx[this.n++] = b[i];
    if (this.gap >= 0) this.o.clock.cancel(this.gap);
    this.gap = -1;
    if (this.n >= replyLength(t.req, this.rx, this.n)) this.endModbus();
    else this.gap = this.o.clock.after(t35(this.o, this.lines[this.at]), this.gapFn);
  }

  private endModbus(): void {
    const t = this.cur;
    if (!t || !this.n) return;
    // Bytes beyond the expected length (line noise after the reply) are not part of it.
    const len = replyLength(t.req, this.rx, this.n);
    const r = parseReply(t.req, this.rx, this.n > len ? len : this.n);
    if (r.ok) this.finish(null, new Uint8Array(r.value), true);
    else if (r.error === 'crc' || r.error === 'unexpected') this.failAttempt(r.error);
    else this.finish(r.error, null, true);
  }

  private onFrame(r: Result<Dlt645Frame>): void {
    const t = this.cur;
    if (!t || t.p !== PROTO_DLT645) return;
    if (!r.ok) return this.failAttempt(r.error);
    const f = r.value;
    let i = 0;
    while (t.req[i] === 0xfe) i++;
    if (!(f.ctrl & 0x80)) return; // a request (echo), not a reply
    for (let k = 0; k < 6; k++) if (t.req[i + 1 + k] !== 0xaa && t.req[i + 1 + k] !== f.addr[k]) return;
    const c = checkReply(f, t.req[i + 8] & 0x1f);
    if (c.ok) this.finish(null, f, true);
    else if (c.error === 'unexpected') this.failAttempt(c.error);
    else this.finish(c.error, f, true);
  }

  // A lost or corrupt reply: try again while attempts remain.
  private failAttempt(err: string): void {
    const t = this.cur as Txn;
    const m = t.m;
    if (m >= 0) {
      if (err === 'timeout') this.s.timeouts[m]++;
      else this.s.crcErrors[m]++;
    }
    if (t.tries <= opt(this.o.retries, 2)) {
      if (m >= 0) this.s.retries[m]++;
      this.stop(false);
      this.listening = false;
      this.cur = null;
      this.q.unshift(t);
      // A reply judged bad before the line fell silent may still be coming: the retry waits.
      this.quietAt = this.lineFree();
      return this.pump();
    }
    this.finish(err, null, false);
  }

  private finish(err: string | null, reply: any, answered: boolean): void {
    const t = this.cur as Txn;
    const m = t.m;
    const now = this.o.clock.now();
    this.stop(false);
    this.listening = false;
    this.cur = null;
    // After a DL/T 645 timeout the meter may still answer (Td up to 500 ms): let it finish
    // before the next request, or its late reply collides with a neighbour's. After a DL/T 645
    // reply one character lets the meter's transceiver release the line (the standard asks
    // for no silence: frames end by their length); Modbus keeps its 3.5 characters. A reply
    // refused as wrong may have been judged on a damaged length, its rest still coming.
    const dl = t.p === PROTO_DLT645;
    this.quietAt = err ? this.lineFree() : now + (dl && !answered && t.exp ? 500 : dl && answered ? charMs(this.lines[this.at]) : t35(this.o, this.lines[this.at]));
    if (m >= 0) {
      if (answered) {
        this.s.busFails[m] = 0;
        this.s.hold[m] = 0;
        if (!err) this.s.successes[m]++;
      } else if (t.exp) {
        const s = this.s.busFails[m] < 255 ? ++this.s.busFails[m] : 255;
        let b = opt(this.o.backoffMs, 10000);
        const max = opt(this.o.backoffMaxMs, 600000);
        for (let k = 1; k < s && b < max; k++) b *= 2;
        this.s.hold[m] = now + Math.min(b, max);
      }
    }
    t.err = err;
    t.reply = reply;
    if (this.done.push(t) === 1) this.handing = this.o.clock.after(0, this.deliverFn);
    this.pump();
  }

  /** Hands finished transactions to their callbacks, from a timer of its own. A reply's callback
   *  usually queues the next request: called from inside the reply's handling (data event,
   *  framer, finish), that chain nests about seven method calls on the bus, and Espruino keeps
   *  an object that was ever locked 15 times (two locks per nested method call) for good, so a
   *  bus loaded for one poll cycle would never be freed. */
  private deliver(): void {
    const d = this.done;
    this.done = [];
    for (let i = 0; i < d.length && !this.closed; i++) d[i].cb(d[i].err as string | null, d[i].reply, d[i].tag);
    if (!this.closed && this.o.onIdle && this.idle()) this.o.onIdle();
  }
}
