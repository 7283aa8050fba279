// A GSM modem for SMS (SIM800/SIM900, SIM7600/A7670 class; Quectel EC2x/M66 speak the same
// commands) over the AT channel: powers it up, sets text mode and new-message indications,
// waits for the SIM and the network, reads every message that arrives (and any left in the
// SIM's storage, which a missed indication or a full storage would otherwise strand), deletes
// what it has handed over, and sends one message at a time. Nothing waits on the modem: every
// step is a timer or an answer. A module that stops answering is switched off and on again
// after a bounded time; one that restarted by itself (start-up codes again) is set up again.
import { AtChannel, atFields } from './at';
import { Clock } from './clock';

export interface ModemOptions {
  clock: Clock;
  /** Bytes to the modem's UART. */
  write: (s: string) => void;
  /** Switches the module on or off (its supply switch, or its power key and reset pins). */
  power: (on: boolean) => void;
  /** A message the SIM held: sender, text, the network's time stamp ("yy/MM/dd,hh:mm:ss+zz"). */
  onSms: (from: string, text: string, time: string) => void;
  /** The modem's state as it changes (MODEM_* below) and a word on why. */
  onState?: (state: number, why: string) => void;
  /** An LTE module (SIM7600, A7670, EC2x): registration is read from AT+CEREG? as well. */
  lte?: boolean;
}

/** Switched off, or switched on and not yet answering. */
export const MODEM_OFF = 0;
/** Answering, being set up or waiting for the SIM. */
export const MODEM_SETUP = 1;
/** Set up, not registered on a network. */
export const MODEM_NO_NETWORK = 2;
/** Registered: messages go out and come in. */
export const MODEM_READY = 3;

// Times, ms. A SIM800 takes AT about 3 s after power-up and has its SMS store ready within 10 s;
// a SIM7600 takes up to 20 s.
const BOOT_MS = 5000;
const CMD_MS = 2000;
const READ_MS = 10000;
const SEND_MS = 60000;
/** Between looks at the network and the SIM's store while registered (or not). */
const CHECK_MS = 60000;
const REG_RETRY_MS = 10000;
/** A SIM missing or locked: looked at again this much later. */
const SIM_RETRY_MS = 30000;
const OFF_MS = 3000;
/** Commands in a row without an answer (or a start-up without one) before a power cycle. */
const MAX_SILENT = 3;
const AT_TRIES = 10;

// The set-up, in order, after the module answers AT.
const SETUP = ['ATE0', 'AT+CMEE=1', 'AT+CPIN?', 'AT+CMGF=1', 'AT+CSCS="GSM"', 'AT+CNMI=2,1,0,0,0'];

/** The driver. feed() it what the UART receives; start() switches the module on. */
export class Modem {
  state = MODEM_OFF;
  /** Signal quality as AT+CSQ gives it (0..31; 99 unknown). */
  signal = 99;
  /** Messages sent and handed over since start-up, and power cycles for silence. */
  sent = 0;
  received = 0;
  cycles = 0;
  private at: AtChannel;
  private o: ModemOptions;
  private timer = -1;
  private silent = 0;
  private tries = 0;
  private sending = false;
  /** Message indices being read, so that an indication and a listing do not read one twice. */
  private reading: number[] = [];
  private doneFn: (err: string | null, lines: string[]) => void;
  /** The set-up or check step whose command is out (-1: none), and whether the module
   *  restarted meanwhile (the set-up is done again once it is answered). */
  private k = -1;
  private redo = false;
  /** Registered, as the check's AT+CREG? (or AT+CEREG?) said. */
  private reg = false;

  constructor(o: ModemOptions) {
    const self = this;
    this.o = o;
    this.at = new AtChannel(o.clock, o.write, function (l) {
      self.urc(l);
    });
    this.doneFn = function (err, lines) {
      self.answered(err, lines);
    };
  }

  /** What the modem's UART received. */
  feed(s: string): void {
    this.at.feed(s);
  }

  /** Switches the module on and sets it up. */
  start(): void {
    this.cancel();
    this.o.power(true);
    this.set(MODEM_OFF, 'switched on');
    this.tries = 0;
    this.later(BOOT_MS, 0);
  }

  /** Switches the module off; what was queued is answered 'reset'. */
  stop(): void {
    this.cancel();
    this.at.reset();
    this.o.power(false);
    this.set(MODEM_OFF, 'switched off');
  }

  /** Sends text to number `to`: null, and later cb(null) once the network took it or cb with
   *  the reason ('CMS <n>', 'timeout', 'reset'); or, with no callback, why it cannot start
   *  ('not ready', 'busy', 'number', 'text': what the GSM alphabet or 160 characters cannot
   *  carry). */
  send(to: string, text: string, cb: (err: string | null) => void): string | null {
    if (this.state !== MODEM_READY) return 'not ready';
    if (this.sending) return 'busy';
    if (!phoneNumber(to)) return 'number';
    const n = gsmLength(text);
    if (n < 0 || n > 160) return 'text';
    const self = this;
    this.sending = true;
    this.at.send('AT+CMGS="' + to + '"', '+CMGS:', SEND_MS, function (err) {
      self.sending = false;
      self.heard(err);
      if (!err) self.sent++;
      cb(err);
    }, text);
    return null;
  }

  private set(s: number, why: string): void {
    this.state = s;
    if (this.o.onState) this.o.onState(s, why);
  }

  private cancel(): void {
    if (this.timer >= 0) this.o.clock.cancel(this.timer);
    this.timer = -1;
  }

  /** Runs step k of the set-up (0: AT, 1..: SETUP, SETUP.length + 1: registration) in ms. */
  private later(ms: number, k: number): void {
    const self = this;
    this.cancel();
    this.timer = this.o.clock.after(ms, function () {
      self.timer = -1;
      self.step(k);
    });
  }

  private step(k: number): void {
    const n = SETUP.length;
    this.tries = k ? this.tries : this.tries + 1;
    if (k === 0) this.cmd('AT', '', k);
    else if (k <= n) this.cmd(SETUP[k - 1], SETUP[k - 1] === 'AT+CPIN?' ? '+CPIN:' : '', k);
    else if (k === n + 1) this.cmd('AT+CREG?', '+CREG:', k);
    else if (k === n + 2) this.cmd(this.o.lte ? 'AT+CEREG?' : 'AT+CSQ', this.o.lte ? '+CEREG:' : '+CSQ:', k);
    else if (k === n + 3) this.cmd('AT+CSQ', '+CSQ:', k);
    else this.cmd('AT+CPMS?', '+CPMS:', k);
  }

  private cmd(c: string, pre: string, k: number): void {
    this.k = k;
    this.at.send(c, pre, CMD_MS, this.doneFn);
  }

  /** A set-up or check command answered (or not). */
  private answered(err: string | null, lines: string[]): void {
    const k = this.k;
    const n = SETUP.length;
    this.k = -1;
    if (err === 'reset') return;
    // (a module still starting does not answer AT: its own count of tries)
    if (k && !this.heard(err)) return;
    if (this.redo) {
      this.redo = false;
      return this.later(500, 1);
    }
    if (k === 0) {
      // no answer yet: the module may still be starting
      if (err) return this.tries >= AT_TRIES ? this.cycle('no answer to AT') : this.later(1000, 0);
      if (this.state === MODEM_OFF) this.set(MODEM_SETUP, 'answers');
      return this.step(1);
    }
    if (k <= n) {
      if (SETUP[k - 1] === 'AT+CPIN?' && (err || lines[0] !== '+CPIN: READY')) {
        this.set(MODEM_SETUP, err === 'CME 10' ? 'no SIM' : 'SIM ' + (err || lines[0]));
        return this.later(SIM_RETRY_MS, k);
      }
      if (err) return this.later(REG_RETRY_MS, k);
      return this.step(k + 1);
    }
    if (k === n + 1) {
      this.reg = registered(lines);
      return this.step(k + 1);
    }
    if (k === n + 2 && this.o.lte) {
      this.reg = this.reg || registered(lines);
      return this.step(k + 1);
    }
    if (k <= n + 3) {
      const f = lines.length ? atFields(lines[0]) : ['99'];
      this.signal = +f[0];
      if (!this.reg) {
        if (this.state !== MODEM_NO_NETWORK) this.set(MODEM_NO_NETWORK, 'not registered');
        return this.later(REG_RETRY_MS, n + 1);
      }
      if (this.state !== MODEM_READY) this.set(MODEM_READY, 'registered');
      return this.step(n + 4);
    }
    // AT+CPMS?: messages in the SIM's store are listed and read (a full store takes no more)
    const used = lines.length ? +atFields(lines[0])[1] : 0;
    if (used > 0) this.list();
    // The check sets the module up again too: one that restarted without a word (a SIM800 in
    // autobaud mode says nothing at start-up) has lost text mode and the indications.
    this.later(CHECK_MS, 1);
  }

  /** Counts a command's answer; false after a power cycle for silence. */
  private heard(err: string | null): boolean {
    if (err !== 'timeout') {
      this.silent = 0;
      return true;
    }
    if (++this.silent < MAX_SILENT) return true;
    this.cycle('no answer');
    return false;
  }

  /** Switches the module off and on again, then sets it up. */
  private cycle(why: string): void {
    const self = this;
    this.cycles++;
    this.silent = 0;
    this.cancel();
    this.at.reset();
    this.o.power(false);
    this.set(MODEM_OFF, why);
    this.timer = this.o.clock.after(OFF_MS, function () {
      self.timer = -1;
      self.start();
    });
  }

  private urc(l: string): void {
    if (l.indexOf('+CMTI:') === 0) return this.read(+atFields(l)[1]);
    if (this.state === MODEM_OFF) return;
    // Switched itself off (low supply): switched on again.
    if (l === 'NORMAL POWER DOWN' || l === 'UNDER-VOLTAGE POWER DOWN') return this.cycle('module powered down');
    // Restarted by itself, or its message store just became ready: set up again (a command
    // out now will time out, or be answered first).
    if (l === 'RDY' || l === 'SMS Ready' || l === 'SMS DONE') {
      if (this.k >= 0) this.redo = true;
      else this.later(1000, 1);
    }
  }

  /** Reads message i, hands it over and deletes it. */
  private read(i: number): void {
    if (this.reading.indexOf(i) >= 0) return;
    const self = this;
    this.reading.push(i);
    this.at.send('AT+CMGR=' + i, '+CMGR:', READ_MS, function (err, lines) {
      if (!self.heard(err)) return;
      self.reading.splice(self.reading.indexOf(i), 1);
      if (err) return;
      const f = atFields(lines[0] || '');
      // A header in PDU mode (a module restarted: "+CMGR: 0,,23") is left in the store for the
      // next check, once text mode is set again.
      if (f[0].indexOf('REC ') !== 0 || lines.length < 2) return;
      self.received++;
      self.o.onSms(f[1], lines[1], f[f.length - 1]);
      self.at.send('AT+CMGD=' + i, '', CMD_MS, function (e) {
        self.heard(e);
      });
    });
  }

  /** Lists the store and reads what it holds (one by one: a listing of a full store would
   *  take a whole store's text at once). */
  private list(): void {
    const self = this;
    this.at.send('AT+CMGL="ALL"', '+CMGL:', READ_MS, function (err, lines) {
      if (!self.heard(err) || err) return;
      for (let i = 0; i < lines.length; i += 2) if (lines[i].indexOf('+CMGL:') === 0) self.read(+atFields(lines[i])[0]);
    });
  }

}

/** Whether a +CREG:/+CEREG: answer says registered (home 1 or roaming 5). */
function registered(lines: string[]): boolean {
  if (!lines.length) return false;
  const f = atFields(lines[0]);
  const s = f.length > 1 ? f[1] : f[0];
  return s === '1' || s === '5';
}

/** A number a message can go to: an optional '+' and 3 to 20 digits. */
export function phoneNumber(s: string): boolean {
  const d = s.charAt(0) === '+' ? s.substr(1) : s;
  if (d.length < 3 || d.length > 20) return false;
  for (let i = 0; i < d.length; i++) if (d.charAt(i) < '0' || d.charAt(i) > '9') return false;
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
