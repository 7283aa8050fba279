// A virtual half-duplex RS485 bus on a HAL clock. Every endpoint (the master's port, each
// virtual meter) writes bytes; the others receive them when their last bit has left, so a
// poll costs exactly the wire time a real bus would. Line settings, collisions and framing
// are modelled at the bit level: the line is the AND of every driver (idle high), and each
// receiver runs a UART on it with its own settings, so a baud or parity mismatch yields the
// garbage a real UART would, and two talkers at once garble each other.
import { Clock } from '../hal/clock';
import { LineSettings, SerialOptions, SerialPort, bitsPerChar } from '../hal/serial';

/** How the bus hands received bytes to its endpoints. */
export interface BusOptions {
  /** Bytes per onData call; 1 (default) hands over every byte at the instant its stop bit ends. */
  sliceBytes?: number;
  /** A partial slice is handed over after this many idle character times (default 1). */
  flushIdleChars?: number;
}

/** Options of one endpoint: its line settings, its receiver and a name for the wire log. */
export interface EndpointOptions extends SerialOptions {
  name?: string;
}

/** One write as it went on the wire (for tests and reports). */
export interface WireRecord {
  t: number;
  end: number;
  from: string;
  bytes: Uint8Array;
}

interface Transmission {
  from: BusPort;
  line: LineSettings;
  bitMs: number;
  bpc: number;
  start: number;
  end: number;
  bytes: Uint8Array;
}

/** A character as one receiver's UART decoded it. */
interface RxChar {
  /** When its last stop bit ends (delivery time). */
  t: number;
  /** When its start bit began. */
  edge: number;
  byte: number;
  err: boolean;
}

// Times are fractional milliseconds; the clock adds and subtracts them, so compare with slack.
const EPS = 1e-6;

function sameLine(a: LineSettings, b: LineSettings): boolean {
  return a.baud === b.baud && a.dataBits === b.dataBits && a.parity === b.parity && a.stopBits === b.stopBits;
}

/** One endpoint on the bus; implements hal/serial.ts exactly. */
export class BusPort implements SerialPort {
  readonly name: string;
  line: LineSettings;
  /** Bytes received with a parity or framing error (still handed over, as a UART does). */
  rxErrors = 0;
  rxBytes = 0;
  txBytes = 0;
  closed = false;
  /** @internal */ busy = false;
  /** @internal */ queue: RxChar[] = [];
  /** @internal */ buf: number[] = [];
  /** @internal */ flushAt = Infinity;
  /** @internal */ scanFrom = 0;

  constructor(
    private bus: VirtualBus,
    readonly opts: EndpointOptions,
  ) {
    this.name = opts.name || 'port';
    this.line = { baud: opts.baud, dataBits: opts.dataBits, parity: opts.parity, stopBits: opts.stopBits };
  }

  write(bytes: Uint8Array, done?: () => void): boolean {
    return this.bus.transmit(this, bytes, done);
  }

  bitsPerChar(): number {
    return bitsPerChar(this.line);
  }

  /** Other line settings from the next write on (a master talking to meters of both kinds). */
  setLine(l: LineSettings): void {
    this.line = { baud: l.baud, dataBits: l.dataBits, parity: l.parity, stopBits: l.stopBits };
  }

  /** Milliseconds one character takes on the wire at this port's settings. */
  charMs(): number {
    return (bitsPerChar(this.line) * 1000) / this.line.baud;
  }

  close(): void {
    this.bus.detach(this);
  }
}

/** The bus: a shared medium with baud-accurate timing on the given clock. */
export class VirtualBus {
  /** Times a talker started while another was still on the wire. */
  collisions = 0;
  /** Every write, in order (kept only while `record` is true). */
  wire: WireRecord[] = [];
  record = true;
  /** Called for every write as it starts. */
  onTransmit: ((r: WireRecord) => void) | null = null;

  private ports: BusPort[] = [];
  private txs: Transmission[] = [];
  private timer = 0;
  private slice: number;
  private flushIdle: number;

  constructor(
    private clock: Clock,
    opts?: BusOptions,
  ) {
    this.slice = Math.max(1, (opts && opts.sliceBytes) || 1);
    this.flushIdle = opts && opts.flushIdleChars !== undefined ? opts.flushIdleChars : 1;
  }

  /** Attaches an endpoint (a master port or a virtual meter's transceiver). */
  attach(opts: EndpointOptions): BusPort {
    const p = new BusPort(this, opts);
    p.scanFrom = this.clock.now();
    this.ports.push(p);
    return p;
  }

  /** @internal */
  detach(p: BusPort): void {
    p.closed = true;
    p.queue = [];
    p.buf = [];
    this.ports = this.ports.filter((x) => x !== p);
  }

  /** @internal Starts a write; false while the port's previous write is on the wire. */
  transmit(from: BusPort, data: Uint8Array, done?: () => void): boolean {
    if (from.closed) return false;
    if (from.busy) return false;
    const now = this.clock.now();
    const bytes = new Uint8Array(data);
    const bpc = bitsPerChar(from.line);
    const bitMs = 1000 / from.line.baud;
    const durMs = (bytes.length * bpc * 1000) / from.line.baud;
    const tx: Transmission = { from: from, line: from.line, bitMs: bitMs, bpc: bpc, start: now, end: now + durMs, bytes: bytes };
    from.busy = true;
    from.txBytes += bytes.length;
    this.clock.after(durMs, () => {
      from.busy = false;
      if (done && !from.closed) done();
    });
    if (bytes.length === 0) return true;

    const active = this.txs.filter((x) => x.end - now > EPS);
    const collided = active.length > 0;
    if (collided) this.collisions++;
    this.txs = this.txs.filter((x) => x.end > now - 2000);
    this.txs.push(tx);
    const rec: WireRecord = { t: now, end: tx.end, from: from.name, bytes: bytes };
    if (this.record) this.wire.push(rec);
    if (this.onTransmit) this.onTransmit(rec);

    // The talker's receiver is disabled while its driver is on (RE tied to DE).
    from.queue = from.queue.filter((c) => c.t - now <= EPS);
    from.scanFrom = Math.max(from.scanFrom, now);

    for (const p of this.ports) {
      if (p === from) continue;
      let firstPending = -1;
      for (let i = 0; i < p.queue.length; i++) {
        if (p.queue[i].t - now > EPS) {
          firstPending = i;
          break;
        }
      }
      if (!collided && firstPending < 0) {
        const got = sameLine(p.line, tx.line) ? verbatim(tx) : decodeLine([tx], p, now);
        this.take(p, got);
      } else {
        // Decode again from the first character not yet handed over: the new driver may change it.
        const resume = firstPending >= 0 ? p.queue[firstPending].edge : p.scanFrom;
        if (firstPending >= 0) p.queue.length = firstPending;
        const drivers = this.txs.filter((x) => x.end > resume - EPS);
        this.take(p, decodeLine(drivers, p, resume));
      }
    }
    this.schedule();
    return true;
  }

  private take(p: BusPort, got: RxChar[]): void {
    for (const c of got) p.queue.push(c);
    if (got.length > 0) {
      const last = got[got.length - 1];
      p.scanFrom = last.edge + (1 + p.line.dataBits + (p.line.parity === 'none' ? 0 : 1) + 0.5) * (1000 / p.line.baud);
    }
  }

  private schedule(): void {
    let next = Infinity;
    for (const p of this.ports) {
      if (p.queue.length > 0 && p.queue[0].t < next) next = p.queue[0].t;
      if (p.buf.length > 0 && p.flushAt < next) next = p.flushAt;
    }
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = 0;
    if (next === Infinity) return;
    this.timer = this.clock.after(Math.max(0, next - this.clock.now()), () => {
      this.timer = 0;
      this.pump();
    });
  }

  private pump(): void {
    let progress = true;
    while (progress) {
      progress = false;
      const now = this.clock.now();
      for (const p of this.ports.slice()) {
        if (p.closed) continue;
        while (p.queue.length > 0 && p.queue[0].t - now <= EPS) {
          const c = p.queue.shift() as RxChar;
          p.rxBytes++;
          if (c.err) p.rxErrors++;
          p.buf.push(c.byte);
          p.flushAt = c.t + this.flushIdle * p.charMs();
          if (p.buf.length >= this.slice) {
            this.flush(p);
            progress = true;
          }
        }
        if (p.buf.length > 0 && (this.slice === 1 || p.flushAt - now <= EPS)) {
          this.flush(p);
          progress = true;
        }
      }
    }
    this.schedule();
  }

  private flush(p: BusPort): void {
    const out = new Uint8Array(p.buf);
    p.buf = [];
    p.flushAt = Infinity;
    if (!p.closed) p.opts.onData(out);
  }
}

/** The characters of a clean transmission received with identical settings. */
function verbatim(tx: Transmission): RxChar[] {
  const charMs = tx.bpc * tx.bitMs;
  const out: RxChar[] = [];
  for (let k = 0; k < tx.bytes.length; k++) {
    out.push({ t: tx.start + ((k + 1) * tx.bpc * 1000) / tx.line.baud, edge: tx.start + k * charMs, byte: tx.bytes[k], err: false });
  }
  return out;
}

/** Level a driver puts on the line at time x: 0, 1, or -1 when it is not driving. */
function driverLevel(d: Transmission, x: number): number {
  if (x < d.start || x >= d.end) return -1;
  const bit = Math.floor((x - d.start) / d.bitMs);
  const k = Math.floor(bit / d.bpc);
  if (k >= d.bytes.length) return -1;
  const pos = bit - k * d.bpc;
  const nd = d.line.dataBits;
  const b = d.bytes[k] & (nd === 7 ? 0x7f : 0xff);
  if (pos === 0) return 0;
  if (pos <= nd) return (b >> (pos - 1)) & 1;
  if (d.line.parity !== 'none' && pos === nd + 1) return parityBit(b, d.line.parity);
  return 1;
}

function parityBit(b: number, parity: 'even' | 'odd' | 'none'): number {
  let ones = 0;
  for (let i = 0; i < 8; i++) ones += (b >> i) & 1;
  return parity === 'even' ? ones & 1 : (ones & 1) ^ 1;
}

// Two drivers that disagree pull the differential pair to no man's land: read as low.
function lineLevel(ds: Transmission[], x: number): number {
  for (const d of ds) if (driverLevel(d, x) === 0) return 0;
  return 1;
}

/** A UART with the receiver's settings run over the line the drivers make, from time `from`. */
function decodeLine(ds: Transmission[], rx: BusPort, from: number): RxChar[] {
  const line = rx.line;
  const bitMs = 1000 / line.baud;
  const nd = line.dataBits;
  const pb = line.parity === 'none' ? 0 : 1;
  const bpc = bitsPerChar(line);
  let minBit = bitMs;
  const edges: number[] = [];
  for (const d of ds) {
    if (d.bitMs < minBit) minBit = d.bitMs;
    const nBits = d.bytes.length * d.bpc;
    for (let j = 0; j <= nBits; j++) {
      const t = d.start + j * d.bitMs;
      if (t >= from - EPS) edges.push(t);
    }
  }
  edges.sort((a, b) => a - b);
  const delta = minBit * 1e-3;
  const out: RxChar[] = [];
  let scan = from;
  let j = 0;
  for (;;) {
    while (j < edges.length && edges[j] < scan - EPS) j++;
    let e = -1;
    for (; j < edges.length; j++) {
      const t = edges[j];
      if (lineLevel(ds, t - delta) === 1 && lineLevel(ds, t + delta) === 0) {
        e = t;
        break;
      }
    }
    if (e < 0) break;
    if (lineLevel(ds, e + 0.5 * bitMs) !== 0) {
      scan = e + 0.5 * bitMs;
      continue;
    }
    let byte = 0;
    for (let b = 0; b < nd; b++) byte |= lineLevel(ds, e + (1.5 + b) * bitMs) << b;
    let err = false;
    if (pb) err = lineLevel(ds, e + (1.5 + nd) * bitMs) !== parityBit(byte, line.parity);
    if (lineLevel(ds, e + (1.5 + nd + pb) * bitMs) !== 1) err = true;
    let deaf = false;
    for (const d of ds) if (d.from === rx && e >= d.start - EPS && e < d.end) deaf = true;
    if (!deaf) out.push({ t: e + bpc * bitMs, edge: e, byte: byte, err: err });
    scan = e + (1.5 + nd + pb) * bitMs;
  }
  return out;
}
