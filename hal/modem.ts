// A GSM modem for SMS (SIM800/SIM900, SIM7600/A7670 class; Quectel EC2x/M66 speak the same
// commands), driven in sessions: the unit opens one now and then (a minute apart, say, between
// poll cycles) and drops it when it ends, so that between sessions the driver holds no heap
// (on the Pico, about 350 variables resident would take the floor below half its heap free).
// A session makes sure the module answers and is set up (text mode: a module that restarted has
// lost it), deletes the messages an earlier session kept and the unit is done with, reads the
// messages the SIM's store holds one by one (each deleted once handed over, or kept when the unit
// asks, until what it asks for is done; a listing of a full store would take all its text into
// the heap at once), sends what the unit has to send, and reports. Messages that arrive between
// sessions wait in the store; no indication is needed, so none is missed. Every step is a timer
// or an answer: nothing waits on the modem, and a session that gets no answer ends after a
// bounded time (the unit then switches the module off and on: `cycle`).
import { AtChannel, atFields } from './at';
import { Clock } from './clock';

/** Switched off, or not answering. */
export const MODEM_OFF = 0;
/** Answering, not set up: no SIM, a locked SIM, a command refused. */
export const MODEM_SETUP = 1;
/** Set up, not registered on a network: messages are read, none can be sent. */
export const MODEM_NO_NETWORK = 2;
/** Registered: messages go out and come in. */
export const MODEM_READY = 3;

/** How a session ended. */
export interface ModemReport {
  /** MODEM_* */
  state: number;
  /** A word on why it is not ready ('no answer', 'no SIM', 'SIM SIM PIN', 'ERROR', ...). */
  why: string;
  /** Signal quality as AT+CSQ gives it (0..31; 99 unknown). */
  signal: number;
  /** Messages handed over, messages sent. */
  read: number;
  sent: number;
}

/** The modem as a board (or the simulator) wires it: its UART and its power. */
export interface ModemLine {
  /** Bytes to the module. */
  write: (s: string) => void;
  /** What the module sends, in any slices, goes to fn (null: to nobody, the line's last use: a
   *  board lets its UART go). */
  listen: (fn: ((s: string) => void) | null) => void;
  /** Switches the module on or off (supply switch, or power key and reset). */
  power: (on: boolean) => void;
  /** An LTE module (registration also read from AT+CEREG?). */
  lte?: boolean;
}

export interface ModemSessionOptions {
  clock: Clock;
  /** Bytes to the modem's UART. */
  write: (s: string) => void;
  /** Switches the module on or off (its supply switch, or its power key and reset pins). */
  power: (on: boolean) => void;
  /** Switch the module off and on before anything else (the last sessions got no answer). */
  cycle?: boolean;
  /** An LTE module (SIM7600, A7670, EC2x): registration is read from AT+CEREG? as well. */
  lte?: boolean;
  /** A message the SIM held: sender, text, the network's time stamp ("yy/MM/dd,hh:mm:ss+zz"),
   *  its slot. True keeps it in the store (deleted by a later session's `drop` once what it asks
   *  for is done: a power cut before then reads it again); else it is deleted at once. */
  onSms: (from: string, text: string, time: string, slot: number) => boolean | void;
  /** Slots of messages kept by an earlier session and done with since: deleted first (taken off
   *  the list as they go). */
  drop?: number[];
  /** The next message to send in this session, or null (asked again after each is sent). */
  nextOut?: () => { to: string; text: string } | null;
  /** The last message nextOut gave: null once the network took it, else why not ('CMS <n>',
   *  'timeout', 'number', 'text': what the GSM alphabet or 160 characters cannot carry). */
  onSent?: (err: string | null) => void;
  done: (r: ModemReport) => void;
}

// Times, ms. A SIM800 answers AT about 3 s after power-up, a SIM7600 up to 20 s after.
const OFF_MS = 3000;
const BOOT_MS = 15000;
const CMD_MS = 2000;
const READ_MS = 5000;
const SEND_MS = 60000;
/** AT tries before a session gives up on a silent module. */
const AT_TRIES = 3;
/** Messages read, and sent, in one session at most: a session stays short (the meter session
 *  waits for it), the rest comes in the next. */
const MAX_READ = 5;
const MAX_SENT = 3;

// The set-up, in order, after the module answers AT: echo off, numeric errors, the SIM, text
// mode in the GSM alphabet, and no new-message indications (the store is read instead).
const SETUP = ['ATE0', 'AT+CMEE=1', 'AT+CPIN?', 'AT+CMGF=1', 'AT+CSCS="GSM"', 'AT+CNMI=0,0,0,0,0'];

/** One session with the module: feed() it what the UART receives until done is called. */
export class ModemSession {
  private at: AtChannel;
  private o: ModemSessionOptions;
  private r: ModemReport = { state: MODEM_OFF, why: 'no answer', signal: 99, read: 0, sent: 0 };
  /** The step whose command is out (see step()), tries of AT, the store's slots. */
  private k = 0;
  private tries = 0;
  private reg = false;
  private slot = 0;
  private slots = 0;
  private left = 0;
  private dropping = false;
  private timer = -1;
  private over = false;
  private fn: (err: string | null, lines: string[]) => void;

  constructor(o: ModemSessionOptions) {
    const self = this;
    this.o = o;
    // URCs (start-up words, indications a module that restarted sends anyway) change nothing:
    // the session reads the store.
    this.at = new AtChannel(o.clock, o.write, function () {});
    this.fn = function (err, lines) {
      self.answered(err, lines);
    };
    if (o.cycle) {
      o.power(false);
      this.wait(OFF_MS, function () {
        o.power(true);
        self.wait(BOOT_MS, function () {
          self.step(0);
        });
      });
    } else {
      o.power(true);
      this.step(0);
    }
  }

  /** What the modem's UART received. */
  feed(s: string): void {
    this.at.feed(s);
  }

  /** Ends the session at once (the unit needs the heap, or stops): reported as it stands. */
  abort(): void {
    this.end();
  }

  private wait(ms: number, fn: () => void): void {
    const self = this;
    this.timer = this.o.clock.after(ms, function () {
      self.timer = -1;
      fn();
    });
  }

  // Steps: 0 AT; 1..6 SETUP; 7 AT+CREG?; 8 AT+CEREG? (LTE) or AT+CSQ; 9 AT+CSQ; 10 AT+CPMS?;
  // 11 AT+CMGR=slot; 12 AT+CMGD=slot; 13 AT+CMGS.
  private step(k: number): void {
    const n = SETUP.length;
    const lte = this.o.lte;
    this.k = k;
    if (k === 0) this.cmd('AT', '');
    else if (k <= n) this.cmd(SETUP[k - 1], k === 3 ? '+CPIN:' : '');
    else if (k === n + 1) this.cmd('AT+CREG?', '+CREG:');
    else if (k === n + 2 && lte) this.cmd('AT+CEREG?', '+CEREG:');
    else if (k <= n + 3) {
      this.k = n + 3;
      this.cmd('AT+CSQ', '+CSQ:');
    } else if (k === n + 4) this.cmd('AT+CPMS?', '+CPMS:');
    else if (k === n + 5) this.at.send('AT+CMGR=' + this.slot, '+CMGR:', READ_MS, this.fn);
    else if (k === n + 6) this.cmd('AT+CMGD=' + this.slot, '');
    else this.send();
  }

  private cmd(c: string, pre: string): void {
    this.at.send(c, pre, CMD_MS, this.fn);
  }

  private answered(err: string | null, lines: string[]): void {
    if (this.over) return;
    const k = this.k;
    const n = SETUP.length;
    const r = this.r;
    if (k === 0) {
      if (!err) {
        r.state = MODEM_SETUP;
        return this.step(1);
      }
      return ++this.tries < AT_TRIES ? this.step(0) : this.end();
    }
    if (k === n + 7) {
      // the message sent, or not
      if (!err) r.sent++;
      if (this.o.onSent) this.o.onSent(err);
      if (err !== 'timeout') return this.send();
    }
    // a module that answered and then fell silent
    if (err === 'timeout') {
      r.state = MODEM_OFF;
      r.why = 'no answer';
      return this.end();
    }
    if (k <= n) {
      if (k === 3 && (err || lines[0] !== '+CPIN: READY')) {
        r.why = err === 'CME 10' ? 'no SIM' : 'SIM ' + (err || atFields(lines[0])[0]);
        return this.end();
      }
      if (err) {
        r.why = SETUP[k - 1] + ' ' + err;
        return this.end();
      }
      return this.step(k + 1);
    }
    if (k <= n + 2) {
      this.reg = this.reg || registered(lines);
      return this.step(k + 1);
    }
    if (k === n + 3) {
      r.signal = lines.length ? +atFields(lines[0])[0] : 99;
      r.state = this.reg ? MODEM_READY : MODEM_NO_NETWORK;
      r.why = this.reg ? '' : 'not registered';
      return this.dropNext();
    }
    if (k === n + 4) {
      // +CPMS: "SM",<used>,<total>,...: slots 1..total, <used> of them full
      const f = lines.length ? atFields(lines[0]) : [];
      this.left = +f[1] || 0;
      this.slots = +f[2] || 0;
      this.slot = 0;
      return this.nextSlot();
    }
    if (k === n + 5) {
      const f = atFields(lines[0] || '');
      // an empty slot answers OK alone; a header in PDU mode cannot be read as text
      if (err || f[0].indexOf('REC ') !== 0) return this.nextSlot();
      this.left--;
      r.read++;
      // the text's lines (a line break in a message splits it), less the empty line before OK
      let n = lines.length;
      while (n > 2 && !lines[n - 1]) n--;
      if (this.o.onSms(f[1], lines.slice(1, n).join('\n'), f[f.length - 1], this.slot)) return this.nextSlot();
      return this.step(k + 1);
    }
    if (this.dropping) return this.dropNext();
    this.nextSlot();
  }

  /** Deletes the next slot of `drop`, or reads the store once none is left. */
  private dropNext(): void {
    const d = this.o.drop;
    this.dropping = !!(d && d.length);
    if (!this.dropping) return this.step(SETUP.length + 4);
    this.slot = (d as number[]).shift() as number;
    this.step(SETUP.length + 6);
  }

  /** Reads the next slot that may hold a message, or goes on to sending. */
  private nextSlot(): void {
    if (this.left > 0 && this.r.read < MAX_READ && this.slot < this.slots) {
      this.slot++;
      return this.step(SETUP.length + 5);
    }
    this.send();
  }

  private send(): void {
    const o = this.o;
    this.k = SETUP.length + 7;
    const m = this.r.state === MODEM_READY && this.r.sent < MAX_SENT && o.nextOut ? o.nextOut() : null;
    if (!m) return this.end();
    const n = gsmLength(m.text);
    const why = !phoneNumber(m.to) ? 'number' : n < 0 || n > 160 ? 'text' : '';
    if (!why) return this.at.send('AT+CMGS="' + m.to + '"', '+CMGS:', SEND_MS, this.fn, m.text);
    if (o.onSent) o.onSent(why);
    this.send();
  }

  private end(): void {
    if (this.over) return;
    this.over = true;
    if (this.timer >= 0) this.o.clock.cancel(this.timer);
    this.at.reset();
    this.o.done(this.r);
  }
}

/** Whether a +CREG:/+CEREG: answer says registered (home 1 or roaming 5). */
function registered(lines: string[]): boolean {
  if (!lines.length) return false;
  const f = atFields(lines[0]);
  const s = f.length > 1 ? f[1] : f[0];
  return s === '1' || s === '5';
}

/** A phone number as written ("+86 138-0000-0001") as the network gives it: spaces and dashes left out. */
export function plainNumber(n: string): string {
  return n.split(' ').join('').split('-').join('');
}

/** A number a message can go to: an optional '+' and 3 to 20 digits. */
export function phoneNumber(s: string): boolean {
  const d = s.charAt(0) === '+' ? s.substr(1) : s;
  return d.length >= 3 && d.length <= 20 && digits(d);
}

/** Whether s is digits only (true for ''). */
export function digits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
  return true;
}

/** The length of text in GSM 7-bit characters (those of the default alphabet's extension
 *  table count two), or -1 when it holds one the alphabet lacks (a text-mode message in the
 *  GSM character set can carry only these). ASCII only: accented letters are left out. */
export function gsmLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) n++;
    else if (c < 32 || c > 126 || c === 96) return -1;
    else n += '^{}\\[~]|'.indexOf(text.charAt(i)) >= 0 ? 2 : 1;
  }
  return n;
}
