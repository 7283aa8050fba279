// The uplink's link (hal/link.ts) over a GSM modem's own TCP stack: a SIM800/SIM900-class module
// in single-connection, non-transparent mode. Each opening brings the bearer up from a clean state
// (the module may have restarted, or kept a half-dead connection), bytes go out in AT+CIPSEND
// pieces one after another, and bytes come in framed by the module's "+IPD,<n>:" header
// (AT+CIPHEAD=1): the n bytes that follow are data whatever they hold (CR, LF, "CLOSED", "+IPD"),
// so the link reads the module's output itself rather than through hal/at.ts's channel, which
// takes lines of text (and the answers here are not V.25ter's either: SHUT OK, a bare address,
// CONNECT OK after OK, SEND OK). One command is out at a time, each with a time limit: nothing
// waits on the module, and a failure anywhere ends the connection with one closed().
import type { Clock } from './clock';
import type { Link, OpenLink } from './link';
import { ModemLine, digits } from './modem';

/** Where the modem's TCP connection goes and the bearer it is made on. */
export interface ModemTcpOptions {
  line: ModemLine;
  clock: Clock;
  /** The operator's access point name, with a user and a password when it needs them. */
  apn: string;
  user?: string;
  password?: string;
  host: string;
  port: number;
  /** Called when the module has closed the last connection and nothing is out: the driver holds
   *  nothing then, and a board lets it go (the next opening loads it again). */
  gone?: () => void;
}

// Steps: 0 AT, 1 ATE0, 2 AT+CIPSHUT, 3 AT+CIPMUX=0, 4 AT+CIPHEAD=1, 5 AT+CSTT, 6 AT+CIICR,
// 7 AT+CIFSR, 8 AT+CIPSTART (to CONNECT OK); 9 connected, nothing out; 10 AT+CIPSEND=<n> (to the
// prompt); 11 the n bytes sent (to SEND OK); 12 AT+CIPCLOSE=1, 13 AT+CIPSHUT (closing); -1 idle.
// The commands and time limits as text, a step's word read at its use: on a board the driver is
// held while the unit runs, and an array of fourteen costs its heap about thirty variables.
const STEPS = 'AT ATE0 AT+CIPSHUT AT+CIPMUX=0 AT+CIPHEAD=1 - AT+CIICR AT+CIFSR - - - - AT+CIPCLOSE=1 AT+CIPSHUT';
const START = 8;
const UP = 9;
const SEND = 10;
const SENT = 11;
const CLOSE = 12;
const SHUT = 13;
const IDLE = -1;
/** Each step's time limit, ms: the SIM800 manual's longest answer where it gives one (CIPSHUT
 *  65 s, CIICR 85 s, CIPSTART 75 s from IP STATUS), else 2 s; the prompt comes at once on a live
 *  connection; SEND OK waits for the server's TCP acknowledgement (as long as the MQTT client
 *  waits for an answer); a quick close answers at once. */
const MS = '2000 2000 65000 2000 2000 2000 85000 2000 75000 0 5000 30000 5000 65000';
/** AT tries (a module just switched on answers about 3 s after). */
const AT_TRIES = 3;
/** Bytes in one AT+CIPSEND at most (a SIM800 takes up to 1460 on GPRS). */
const MAX_SEND = 1024;
/** The longest line kept: the answers read here are short; longer is noise. */
const MAX_LINE = 80;

/** Opens connections to host:port through the modem on `o.line`, one at a time. The settings are
 *  read at each opening (a board's configuration may change them): an open returns null when
 *  one cannot go into the module's quoted parameters (a '"' or a control character, no host, a
 *  port outside 1..65535). */
export function modemTcp(o: ModemTcpOptions): OpenLink {
  // (its two callbacks made next: they hold the record)
  const m = { o: o, k: IDLE, busy: false, timer: -1, tries: 0, gen: 0, live: 0, serving: 0, data: null, closed: null, out: '', sending: '', buf: '', raw: 0 } as Tcp;
  m.fn = function (s) {
    feed(m, s);
  };
  m.late = function () {
    m.timer = -1;
    end(m, false);
  };
  return function (data, closed) {
    const ok = quotable(o.apn) && quotable(o.user || '') && quotable(o.password || '') && quotable(o.host) && o.host !== '' && o.port === Math.floor(o.port) && o.port > 0 && o.port < 65536;
    return ok ? open(m, data, closed) : null;
  };
}

/** Whether s can stand between quotes in a command (printable ASCII, no '"'). */
function quotable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34) return false;
  }
  return true;
}

/** The module's TCP, shared by the connections opened through it (one at a time). A record and
 *  functions, not a class: on Espruino each method frame locks its object twice, a chain of about
 *  seven methods on one object (the module's answer, its line, the step's end, the next command,
 *  its timer) locks it fifteen times, the most a variable counts, and a variable so locked is never
 *  unlocked nor collected. An argument is not locked by the frames it passes through. (As a class
 *  it stayed in the heap when a board let it go: docs/memory.md "Three traps".) */
interface Tcp {
  o: ModemTcpOptions;
  /** The step whose command is out (see STEPS). */
  k: number;
  /** The module is still working on the command out: what is written meanwhile may be lost. */
  busy: boolean;
  timer: number;
  tries: number;
  /** The last connection opened; the one the client holds (0 when it has ended); the one the
   *  module's steps are for. */
  gen: number;
  live: number;
  serving: number;
  data: ((s: string) => void) | null;
  closed: (() => void) | null;
  /** Bytes written and not yet sent; the piece of the AT+CIPSEND out, until its prompt. */
  out: string;
  sending: string;
  buf: string;
  /** Data bytes of a +IPD still to come. */
  raw: number;
  fn: (s: string) => void;
  late: () => void;
}

function open(m: Tcp, data: (s: string) => void, closed: () => void): Link {
  const g = ++m.gen;
  // an older connection still held is dropped without a word
  if (m.live) shut(m);
  m.live = g;
  m.data = data;
  m.closed = closed;
  // (while the last connection is being closed, this one starts once it is)
  if (m.k === IDLE) begin(m);
  return {
    write: function (s: string) {
      if (m.live !== g) return;
      // (the string itself while nothing waits: a board's heap holds a message once)
      m.out = m.out ? m.out + s : s;
      kick(m);
    },
    close: function () {
      if (m.live === g) shut(m);
    },
  };
}

function begin(m: Tcp): void {
  const l = m.o.line;
  m.serving = m.live;
  m.tries = 0;
  l.listen(m.fn);
  l.power(true);
  cmd(m, 0);
}

/** The connection held ends here: its callbacks are forgotten and the module told to close
 *  once the command out is done (bytes written while it works would be lost or taken as data). */
function shut(m: Tcp): void {
  m.live = 0;
  m.data = null;
  m.closed = null;
  m.out = '';
  if (!m.busy && m.k > 1 && m.k < CLOSE) cmd(m, CLOSE);
}

/** The connection failed: the module is told to close (once nothing is out; a module that has
 *  not answered AT has nothing to close), closed() once. */
function fail(m: Tcp): void {
  const cb = m.closed;
  shut(m);
  if (m.k <= 1) idle(m);
  if (cb) cb();
}

/** Sends the next piece written, when connected and nothing is out. */
function kick(m: Tcp): void {
  const o = m.out;
  if (m.k !== UP || !o) return;
  m.sending = o.length > MAX_SEND ? o.substr(0, MAX_SEND) : o;
  m.out = o.length > MAX_SEND ? o.substr(MAX_SEND) : '';
  cmd(m, SEND);
}

function cmd(m: Tcp, k: number): void {
  const o = m.o;
  const q = '","';
  stop(m);
  m.k = k;
  m.busy = true;
  // (the state is set before the write: a line may answer within it)
  m.timer = o.clock.after(+MS.split(' ')[k], m.late);
  // (step 11 writes nothing: the bytes went at the prompt)
  if (k !== SENT)
    o.line.write(
      (k === 5 ? 'AT+CSTT="' + o.apn + q + (o.user || '') + q + (o.password || '') + '"' : k === START ? 'AT+CIPSTART="TCP","' + o.host + q + o.port + '"' : k === SEND ? 'AT+CIPSEND=' + m.sending.length : STEPS.split(' ')[k]) + '\r',
    );
}

function stop(m: Tcp): void {
  if (m.timer >= 0) m.o.clock.cancel(m.timer);
  m.timer = -1;
  m.busy = false;
}

/** The command out is done (ok) or failed (an error, its time limit, the connection lost). */
function end(m: Tcp, ok: boolean): void {
  const k = m.k;
  stop(m);
  if (k >= CLOSE) return k === CLOSE ? cmd(m, SHUT) : idle(m);
  if (m.serving !== m.live) return k > 1 ? cmd(m, CLOSE) : idle(m);
  if (ok) {
    if (k < START) return cmd(m, k + 1);
    m.k = UP;
    return kick(m);
  }
  if (k === 0 && ++m.tries < AT_TRIES) return cmd(m, 0);
  fail(m);
}

function idle(m: Tcp): void {
  m.k = IDLE;
  m.sending = '';
  if (m.live) return begin(m);
  m.buf = '';
  m.raw = 0;
  m.o.line.listen(null);
  if (m.o.gone) m.o.gone();
}

/** What the module sent, in any slices. */
function feed(m: Tcp, s: string): void {
  let i = 0;
  while (i < s.length) {
    if (m.raw > 0) {
      const n = Math.min(m.raw, s.length - i);
      const d = m.data;
      const piece = s.substr(i, n);
      m.raw -= n;
      i += n;
      // (a connection being closed gets nothing more)
      if (d && m.serving === m.live && m.k >= UP && m.k <= SENT) d(piece);
      continue;
    }
    const c = s.charAt(i++);
    const b = m.buf;
    if (c === '\n') {
      m.buf = '';
      line(m, b.charAt(b.length - 1) === '\r' ? b.substr(0, b.length - 1) : b);
    } else if (c === '>' && (b === '' || b === '\r')) {
      // the prompt ends with no line end; one that comes after its time limit is still given
      // its bytes, so the module goes back to taking commands
      m.buf = '';
      const out = m.sending;
      if (out) {
        m.sending = '';
        if (m.k === SEND) cmd(m, SENT);
        m.o.line.write(out);
      }
    } else if (c === ':' && b.substr(0, 5) === '+IPD,') {
      const n = b.substr(5);
      m.buf = '';
      if (n.length > 0 && n.length < 6 && digits(n)) m.raw = +n;
    } else m.buf = b.length < MAX_LINE ? b + c : ' '; // (the rest of a long line is no line's start)
  }
}

function line(m: Tcp, l: string): void {
  const k = m.k;
  if (l === 'CLOSED' || l === '+PDP: DEACT' || l === 'RDY' || l === 'NORMAL POWER DOWN') {
    // The connection, or the bearer under it, is gone (a module that restarted or switched
    // off says nothing of it): closed() now; a command out is let finish (its answer comes:
    // SEND FAIL, ERROR) before the module is told to close.
    if (k >= 6 && k <= SENT && m.serving === m.live) {
      if (!m.busy) stop(m);
      fail(m);
    }
    return;
  }
  if (k === IDLE || k === UP) return;
  if (l === 'ERROR' || l.substr(0, 11) === '+CME ERROR:') return end(m, false);
  if (k === START) {
    // OK: the module is connecting, free to take a close
    if (l === 'OK') m.busy = false;
    else if (l === 'CONNECT OK' || l === 'ALREADY CONNECT') end(m, true);
    else if (l === 'CONNECT FAIL') end(m, false);
  } else if (k === SENT) {
    if (l === 'SEND OK') end(m, true);
    else if (l === 'SEND FAIL') end(m, false);
  } else if (k === 2 || k === SHUT) {
    if (l === 'SHUT OK') end(m, true);
  } else if (k === 7) {
    // the bearer's address, alone on its line
    const c = l.charAt(0);
    if (c >= '0' && c <= '9') end(m, true);
  } else if (l === (k === CLOSE ? 'CLOSE OK' : 'OK')) end(m, true);
}
