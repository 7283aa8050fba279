// The AT command channel of a GSM modem on a UART (SIM800/SIM900, SIM7600/A7670 and Quectel
// modules speak the same V.25ter framing): one command at a time, its information lines
// collected until the final result code, unsolicited result codes (URCs) passed on at any
// moment, even between a command and its answer, the echo of a command line dropped, and the
// "> " prompt of AT+CMGS answered with the message and Ctrl-Z. Bytes may come in any slices.
import { Clock } from './clock';

/** The end of a command: null for OK, else 'ERROR', 'CME <n>', 'CMS <n>', 'timeout' or
 *  'reset' (dropped by reset()); the information lines it got. */
export type AtCallback = (err: string | null, lines: string[]) => void;

interface AtCommand {
  cmd: string;
  /** The information lines' prefix ('+CREG:'): a line with another '+...:' prefix is a URC. */
  pre: string;
  ms: number;
  cb: AtCallback;
  /** A message to send at the "> " prompt (AT+CMGS), then Ctrl-Z. */
  body?: string;
}

/** The longest line kept (a text-mode message is at most 160 characters, a header about 60). */
const MAX_LINE = 400;

// Lines a module sends on its own that carry no '+...:' prefix (start-up, power, calls).
const URC_WORDS = ['RDY', 'RING', 'Call Ready', 'SMS Ready', 'SMS DONE', 'PB DONE', 'NORMAL POWER DOWN', 'UNDER-VOLTAGE', 'OVER-VOLTAGE', 'POWERED DOWN'];

/** The channel: feed() it what the UART receives; it writes commands through `write`. */
export class AtChannel {
  private q: AtCommand[] = [];
  private cur: AtCommand | null = null;
  private lines: string[] = [];
  private buf = '';
  private timer = -1;
  /** After a +CMGR:/+CMGL: header the lines are a message's text, whatever they look like, up to
   *  the final result (or, in a listing, the next header). */
  private text = 0;
  private prompted = false;

  constructor(
    private clock: Clock,
    private write: (s: string) => void,
    private onUrc: (line: string) => void,
  ) {}

  /** Queues command cmd (without CR): its lines with prefix pre ('' when it has none), at
   *  most ms for its answer; body: the text to send at the prompt. */
  send(cmd: string, pre: string, ms: number, cb: AtCallback, body?: string): void {
    this.q.push({ cmd: cmd, pre: pre, ms: ms, cb: cb, body: body });
    this.next();
  }

  /** True while nothing is queued or waiting for its answer. */
  idle(): boolean {
    return !this.cur && !this.q.length;
  }

  /** Drops the command waiting and those queued, each answered 'reset' (a module that
   *  restarted or was switched off answers none of them). */
  reset(): void {
    const all = this.cur ? [this.cur].concat(this.q) : this.q;
    this.q = [];
    this.stop();
    this.buf = '';
    for (let i = 0; i < all.length; i++) all[i].cb('reset', []);
  }

  /** What the UART received, in any slices. */
  feed(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charAt(i);
      if (c === '\n') {
        let l = this.buf;
        this.buf = '';
        // (an echoed command ends "\r\r\n": its own CR, then the answer's line end)
        while (l.charAt(l.length - 1) === '\r') l = l.substr(0, l.length - 1);
        this.line(l);
      } else {
        // noise with no line end (a module at another baud rate) is not kept growing in the heap
        this.buf = this.buf.length < MAX_LINE ? this.buf + c : '';
        const t = this.cur;
        // The prompt ends with no line end: answer it as soon as it is seen.
        if (t && t.body !== undefined && !this.prompted && this.buf === '> ') {
          this.buf = '';
          this.prompted = true;
          this.write(t.body + '\x1a');
        }
      }
    }
  }

  private line(l: string): void {
    const t = this.cur;
    // (the first line is text even when it reads OK: a message "OK" is a message)
    if (t && (this.text === 1 || (this.text === 2 && l !== 'OK' && l.indexOf('+CMGL:') !== 0))) {
      this.text = 2;
      this.lines.push(l);
      return;
    }
    if (!l) return;
    if (!t) return this.onUrc(l);
    if (l === t.cmd) return; // the echo of the command line
    if (l === 'OK') return this.end(null);
    if (l === 'ERROR') return this.end('ERROR');
    // (+CME ERROR: / +CMS ERROR:, compared where it stands: Espruino 2v29's indexOf finds a needle
    // running past the string's end)
    if (l.charAt(0) === '+' && l.substr(4, 8) === ' ERROR: ') return this.end(l.substr(1, 3) + ' ' + l.substr(12));
    const colon = l.indexOf(':');
    const pre = colon > 0 ? l.substr(0, colon + 1) : '';
    if (l.charAt(0) === '+' && pre !== t.pre) return this.onUrc(l);
    if (URC_WORDS.indexOf(l) >= 0) return this.onUrc(l);
    if (pre === '+CMGR:' || pre === '+CMGL:') this.text = 1;
    this.lines.push(l);
  }

  private next(): void {
    if (this.cur || !this.q.length) return;
    const t = this.q.shift() as AtCommand;
    const self = this;
    this.cur = t;
    this.lines = [];
    this.text = 0;
    this.prompted = false;
    this.timer = this.clock.after(t.ms, function () {
      self.timer = -1;
      // a prompt left open would swallow the next command as message text
      if (t.body !== undefined) self.write('\x1b');
      self.end('timeout');
    });
    this.write(t.cmd + '\r');
  }

  private stop(): void {
    if (this.timer >= 0) this.clock.cancel(this.timer);
    this.timer = -1;
    this.cur = null;
    this.text = 0;
  }

  private end(err: string | null): void {
    const t = this.cur as AtCommand;
    const lines = this.lines;
    this.stop();
    this.lines = [];
    t.cb(err, lines);
    this.next();
  }
}

/** The fields of an information line: `+CREG: 0,1` -> ['0', '1']; `+CMGR: "REC UNREAD","+86..",
 *  "","26/12/05,10:00:00+32"` -> ['REC UNREAD', '+86..', '', '26/12/05,10:00:00+32'] (quotes
 *  removed, commas inside quotes kept). */
export function atFields(l: string): string[] {
  const out: string[] = [];
  let i = l.indexOf(':') + 1;
  while (l.charAt(i) === ' ') i++;
  let f = '';
  let q = false;
  for (; i < l.length; i++) {
    const c = l.charAt(i);
    if (c === '"') q = !q;
    else if (c === ',' && !q) {
      out.push(f);
      f = '';
    } else f += c;
  }
  out.push(f);
  return out;
}
