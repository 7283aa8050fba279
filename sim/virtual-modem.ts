// A virtual GSM modem on the far end of the unit's modem UART: a SIM800-class module (or a
// SIM7600) speaking the AT dialect of its manual in SMS text mode, with a SIM that holds a few
// messages and a "network" that holds what the SIM cannot take yet. Written from the modules'
// manuals and 3GPP TS 27.005/27.007, apart from hal/at.ts, so a slip in the driver is not
// mirrored here. It is stricter than a forgiving module on purpose: bytes sent while a command
// is still running are lost, settings vanish at every restart, commands before start-up die.
// A SIM800 also has its TCP/IP stack (single connection, non-transparent mode, as its AT manual
// and TCP/IP application note give it): the bearer (AT+CSTT, AT+CIICR, AT+CIFSR), one TCP
// connection (AT+CIPSTART, AT+CIPSEND with its prompt and exactly n bytes, "+IPD,<n>:" before
// what arrives with AT+CIPHEAD=1, CLOSED, +PDP: DEACT) bridged to a real host:port by a Node
// socket, so it wants a clock that runs in real time (sim/real-clock.ts) while connected.
import * as net from 'net';
import { Clock } from '../hal/clock';
import type { ModemLine } from '../hal/modem';

/** What is wrong with the module or its network right now; change it at any moment. */
export interface ModemFaults {
  /** AT+CPIN? answers +CME ERROR: 10; SMS commands +CMS ERROR: 310; start-up stops at +CPIN: NOT INSERTED. */
  noSim: boolean;
  /** Registration shows 2 (searching), AT+CSQ 99,99; a submitted SMS ends with +CMS ERROR: 331;
   *  incoming SMS wait at the network. */
  noNetwork: boolean;
  /** When > 0, the next SMS submitted (Ctrl-Z) ends with +CMS ERROR: <n>, then it resets to 0. */
  cmsError: number;
  /** The module answers nothing, URCs neither, until power-cycled (power-off clears it). */
  hang: boolean;
  /** Delay before each answer, ms. */
  replyDelayMs: number;
  /** AT+CIPSTART answers OK, then CONNECT FAIL without reaching the host. */
  connectFail: boolean;
  /** The next data sent with AT+CIPSEND ends with SEND FAIL (nothing reaches the host), then it
   *  resets to false. */
  sendFail: boolean;
  /** When > 0, AT+CIPSEND's prompt comes this late, ms (else after replyDelayMs). */
  promptDelayMs: number;
}

/** A module without faults. */
export function noModemFaults(): ModemFaults {
  return { noSim: false, noNetwork: false, cmsError: 0, hang: false, replyDelayMs: 20, connectFail: false, sendFail: false, promptDelayMs: 0 };
}

/** How one virtual modem is built. */
export interface ModemOptions {
  /** Start-up URCs, AT+CEREG and power-key timing follow the model (default 'sim800'). */
  model?: 'sim800' | 'sim7600';
  /** SMS slots on the SIM (default 10). */
  slots?: number;
  /** What AT+CNUM shows; without it AT+CNUM answers OK alone, as with most SIMs. */
  ownNumber?: string;
  /** Registered roaming (stat 5) rather than home (stat 1). */
  roaming?: boolean;
  /** AT+CSQ's rssi, 0..31 (default 20). */
  rssi?: number;
  /** Power-on to the last start-up URC, ms (default 2500 for sim800, 3000 for sim7600). */
  startupMs?: number;
  /** Ctrl-Z to the +CMGS answer, ms: the network's round trip (default 1500). */
  submitMs?: number;
  /** How often the network retries an SMS it holds, ms (default 1000). */
  retryMs?: number;
  /** The SMS centre's timestamp for an incoming SMS, "yy/MM/dd,hh:mm:ss+zz"; default from startS. */
  timeText?: () => string;
  /** UTC epoch seconds at clock time 0 for the default timestamps (default 2025-01-01 00:00:00). */
  startS?: number;
  /** Time zone of the default timestamps in quarter hours (default 0: "+00"). */
  zoneQuarters?: number;
  /** Powered from construction, start-up under way (default false: call setPower(true)). */
  on?: boolean;
  /** The only access point name the network takes (AT+CIICR fails with another); default any. */
  apn?: string;
  /** AT+CIICR to its answer, ms: the bearer coming up (default 500). */
  bearerMs?: number;
  /** The address AT+CIFSR shows (default 10.64.12.7). */
  address?: string;
  faults?: Partial<ModemFaults>;
}

/** One message in a SIM slot. */
interface Slot {
  from: string;
  text: string;
  read: boolean;
  time: string;
}

/** A message the network holds until the module can take it. */
interface Held {
  from: string;
  text: string;
  time: string;
}

/** Volatile settings: what a restart or AT Z puts back. */
interface Settings {
  echo: boolean;
  cmee: number;
  textMode: boolean;
  charset: string;
  cnmi: number[];
  /** AT+CIPHEAD: "+IPD,<n>:" before the data received. */
  ipHead: boolean;
}

function defaults(): Settings {
  return { echo: true, cmee: 0, textMode: false, charset: 'IRA', cnmi: [0, 0, 0, 0, 0], ipHead: false };
}

/** Data typed after AT+CIPSEND's prompt: the bytes still to come, those come. */
interface TcpDraft {
  left: number;
  bytes: number[];
}

/** An SMS being typed after the "> " prompt. */
interface Draft {
  to: string;
  text: string;
  afterCr: boolean;
}

/** The final line and information lines of one command. */
interface Reply {
  lines: string[];
  final: string;
}

interface Arg {
  v: string;
  quoted: boolean;
}

const CTRL_Z = 0x1a;
const ESC = 0x1b;
const BS = 0x08;
/** Longest command line kept; a longer one (noise without CR) is cut, as modules do at ~556. */
const LINE_MAX = 556;
/** Bytes one AT+CIPSEND takes, and one "+IPD" carries, at most (a SIM800 on GPRS). */
const TCP_MAX = 1460;

/** Verbose texts for AT+CMEE=2, for the codes this modem gives. */
const CME_TEXT: { [n: number]: string } = { 3: 'operation not allowed', 4: 'operation not supported', 10: 'SIM not inserted' };
const CMS_TEXT: { [n: number]: string } = {
  302: 'operation not allowed',
  303: 'operation not supported',
  304: 'invalid PDU mode parameter',
  305: 'invalid text mode parameter',
  310: 'SIM not inserted',
  321: 'invalid memory index',
  331: 'no network service',
};

/** The start-up URCs and when each comes, as fractions of startupMs; the last one ends start-up. */
const STARTUP: { [model: string]: [number, string][] } = {
  sim800: [
    [0.4, 'RDY'],
    [0.6, '+CPIN'],
    [0.9, 'Call Ready'],
    [1, 'SMS Ready'],
  ],
  sim7600: [
    [0.5, 'RDY'],
    [0.6, '+CPIN'],
    [0.9, 'SMS DONE'],
    [1, 'PB DONE'],
  ],
};

/** The modem: wire write() to what the unit's UART sends and onData to what it receives. */
export class VirtualModem {
  faults: ModemFaults;
  /** What the modem sends to the unit; set by the owner. */
  onData: (bytes: Uint8Array) => void = () => {};
  /** SMS the unit sent successfully, in order. */
  readonly sent: { to: string; text: string; atMs: number }[] = [];
  roaming: boolean;
  rssi: number;
  readonly model: 'sim800' | 'sim7600';
  private slots: (Slot | null)[];
  private held: Held[] = [];
  private ownNumber: string;
  private startupMs: number;
  private submitMs: number;
  private retryMs: number;
  private timeText: (() => string) | null;
  private startMs: number;
  private zoneQuarters: number;
  private set = defaults();
  private on = false;
  /** Start-up finished: commands are heard. */
  private up = false;
  /** A command is running: what the unit sends meanwhile is lost. */
  private busy = false;
  private draft: Draft | null = null;
  private line = '';
  private timers: number[] = [];
  private retryTimer = -1;
  /** When the last output queued goes out: later output never overtakes it. */
  private outAt = 0;
  /** Output queued, in order. Each goes once those before it have: on a real clock, timers due
   *  a moment apart may run the other way round (Node's loop time is cached), and a socket's
   *  CONNECT OK must not overtake the OK before it. */
  private outQ: { due: boolean; go: () => void }[] = [];
  /** TP-MR of the next SMS sent; the SIM keeps it across restarts. */
  private mr = 1;
  /** The TCP/IP application's state as AT+CIPSTATUS names it. */
  private ipState = 'IP INITIAL';
  private apn = '';
  private apnWanted: string | null;
  private bearerMs: number;
  private address: string;
  /** The connection to the host (connecting or connected), or null. */
  private sock: net.Socket | null = null;
  private tcpDraft: TcpDraft | null = null;
  /** Bytes the host sent, bytes the unit sent with SEND OK (the bridge's counts). */
  tcpReceived = 0;
  tcpSent = 0;

  constructor(
    private clock: Clock,
    o: ModemOptions = {},
  ) {
    this.model = o.model || 'sim800';
    const n = o.slots !== undefined ? o.slots : 10;
    if (!(n >= 1 && n <= 255 && n === Math.floor(n))) throw new Error('slots must be 1..255');
    this.slots = [];
    for (let i = 0; i < n; i++) this.slots.push(null);
    this.ownNumber = o.ownNumber || '';
    this.roaming = !!o.roaming;
    this.rssi = o.rssi !== undefined ? o.rssi : 20;
    this.startupMs = o.startupMs !== undefined ? o.startupMs : this.model === 'sim800' ? 2500 : 3000;
    this.submitMs = o.submitMs !== undefined ? o.submitMs : 1500;
    this.retryMs = o.retryMs !== undefined ? o.retryMs : 1000;
    if (!(this.retryMs > 0)) throw new Error('retryMs must be positive');
    this.timeText = o.timeText || null;
    this.startMs = (o.startS !== undefined ? o.startS : Date.UTC(2025, 0, 1) / 1000) * 1000;
    this.zoneQuarters = o.zoneQuarters || 0;
    this.faults = Object.assign(noModemFaults(), o.faults || {});
    this.apnWanted = o.apn !== undefined ? o.apn : null;
    this.bearerMs = o.bearerMs !== undefined ? o.bearerMs : 500;
    this.address = o.address || '10.64.12.7';
    if (o.on) this.setPower(true);
  }

  /** The TCP/IP state as AT+CIPSTATUS would give it ('IP INITIAL', 'CONNECT OK', ...). */
  get tcpState(): string {
    return this.ipState;
  }

  /** The network drops the TCP connection (the host sees it end): the module says CLOSED. */
  dropTcp(): void {
    if (!this.sock || !this.on) return;
    this.endSocket();
    this.ipState = 'TCP CLOSED';
    this.say('\r\nCLOSED\r\n', 0);
  }

  /** The network deactivates the bearer (PDP context): the connection is gone with it and the
   *  module says +PDP: DEACT. */
  deactivatePdp(): void {
    if (!this.on || this.ipState === 'IP INITIAL') return;
    this.endSocket();
    this.ipState = 'PDP DEACT';
    this.say('\r\n+PDP: DEACT\r\n', 0);
  }

  /** Module running (start-up may still be under way). */
  get powered(): boolean {
    return this.on;
  }

  /** Start-up finished: the module hears commands. */
  get ready(): boolean {
    return this.on && this.up;
  }

  /** Messages in SIM storage. */
  get stored(): number {
    let n = 0;
    for (const s of this.slots) if (s) n++;
    return n;
  }

  /** Incoming messages the network still holds (SIM full, no network, module off or hung). */
  get waiting(): number {
    return this.held.length;
  }

  /** Supply on or off; off loses volatile settings and clears a hang. */
  setPower(on: boolean): void {
    if (on === this.on) return;
    if (on) this.start();
    else this.stop();
  }

  /** The power key was held for ms (call it on release). SIM800 toggles at >= 1 s; SIM7600 switches
   *  on at >= 0.5 s and off at >= 2.5 s. A SIM800 says NORMAL POWER DOWN before going off. */
  pressPowerKey(ms: number): void {
    const sim800 = this.model === 'sim800';
    if (!this.on) {
      if (ms >= (sim800 ? 1000 : 500)) this.start();
      return;
    }
    if (ms < (sim800 ? 1000 : 2500)) return;
    if (this.faults.hang || !sim800) {
      this.stop();
      return;
    }
    this.up = false;
    this.draft = null;
    this.say('\r\nNORMAL POWER DOWN\r\n', 0, () => this.stop());
  }

  /** The module restarts by itself (brown-out): volatile settings lost, start-up URCs again. */
  reboot(): void {
    if (!this.on) return;
    this.stop();
    this.start();
  }

  /** An SMS from the network: stored at once when the module can take it, else held and retried. */
  receiveSms(from: string, text: string): void {
    this.held.push({ from: from, text: text, time: this.stamp() });
    this.deliver();
  }

  /** Bytes from the unit, in any slices. */
  write(bytes: Uint8Array): void {
    if (!this.on || !this.up || this.faults.hang) return;
    let echo: number[] = [];
    for (let i = 0; i < bytes.length && !this.busy; i++) {
      const b = bytes[i];
      if (this.set.echo) echo.push(b);
      const t = this.tcpDraft;
      if (t) {
        // exactly the bytes announced, whatever they are: the send goes when the last comes
        t.bytes.push(b);
        if (--t.left === 0) {
          this.tcpDraft = null;
          this.busy = true;
          this.flush(echo);
          echo = [];
          this.tcpSend(t.bytes);
        }
        continue;
      }
      if (this.draft) {
        // The typed text's echo goes out in one piece, ahead of what its end or a CR brings.
        if (b === 0x0d || b === CTRL_Z || b === ESC) {
          this.flush(echo);
          echo = [];
        }
        this.draftByte(b);
        continue;
      }
      if (b === 0x0d) {
        this.flush(echo);
        echo = [];
        const line = this.line;
        this.line = '';
        this.execute(line);
      } else if (b === BS) {
        this.line = this.line.slice(0, -1);
      } else if (b !== 0x0a && this.line.length < LINE_MAX) {
        this.line += String.fromCharCode(b);
      }
    }
    this.flush(echo);
  }

  // ---- power and start-up ----

  private start(): void {
    this.on = true;
    this.up = false;
    this.outAt = this.clock.now();
    const steps = STARTUP[this.model];
    const cpin = 1;
    steps.forEach((step, i) => {
      this.later(Math.round(step[0] * this.startupMs), () => {
        if (this.faults.hang) return;
        const noSim = this.faults.noSim;
        if (i === cpin) this.emit('\r\n+CPIN: ' + (noSim ? 'NOT INSERTED' : 'READY') + '\r\n');
        // Without a SIM the module stops after saying so: the SMS and phonebook stacks never report.
        else if (!(noSim && i > cpin)) this.emit('\r\n' + step[1] + '\r\n');
        if (i === steps.length - 1) {
          this.up = true;
          this.deliver();
        }
      });
    });
  }

  private stop(): void {
    for (const h of this.timers) this.clock.cancel(h);
    this.timers = [];
    this.outQ = [];
    this.retryTimer = -1;
    this.on = false;
    this.up = false;
    this.busy = false;
    this.draft = null;
    this.tcpDraft = null;
    this.line = '';
    this.set = defaults();
    this.faults.hang = false;
    // the bearer and the connection die with the module, without a word
    this.endSocket();
    this.ipState = 'IP INITIAL';
    this.apn = '';
  }

  // ---- output ----

  /** Queues text for the unit after delayMs, never ahead of earlier output; then runs just before it goes. */
  private say(text: string, delayMs: number, then?: () => void): void {
    const now = this.clock.now();
    const at = Math.max(now + Math.max(0, delayMs), this.outAt);
    this.outAt = at;
    const item = {
      due: false,
      go: () => {
        if (this.faults.hang) return;
        // What the text ends (a command, the wait for the prompt) ends before the unit reads it:
        // a unit answers at once, in the same turn, with its next command or its text.
        if (then) then();
        this.emit(text);
      },
    };
    this.outQ.push(item);
    this.later(at - now, () => {
      item.due = true;
      while (this.outQ.length > 0 && this.outQ[0].due) (this.outQ.shift() as { go: () => void }).go();
    });
  }

  private emit(text: string): void {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      out[i] = c < 256 ? c : 0x3f;
    }
    this.onData(out);
  }

  private flush(echo: number[]): void {
    if (echo.length > 0) this.say(String.fromCharCode.apply(null, echo), 0);
  }

  /** A clock timer that power-off cancels. */
  private later(ms: number, fn: () => void): number {
    const h = this.clock.after(ms, () => {
      const k = this.timers.indexOf(h);
      if (k >= 0) this.timers.splice(k, 1);
      fn();
    });
    this.timers.push(h);
    return h;
  }

  private answer(r: Reply): void {
    let text = '';
    if (r.lines.length > 0) text = '\r\n' + r.lines.join('\r\n') + '\r\n';
    text += '\r\n' + r.final + '\r\n';
    this.say(text, this.faults.replyDelayMs, () => {
      this.busy = false;
    });
  }

  private cme(n: number): string {
    if (this.set.cmee === 0) return 'ERROR';
    return '+CME ERROR: ' + (this.set.cmee === 2 && CME_TEXT[n] ? CME_TEXT[n] : String(n));
  }

  private cms(n: number): string {
    if (this.set.cmee === 0) return 'ERROR';
    return '+CMS ERROR: ' + (this.set.cmee === 2 && CMS_TEXT[n] ? CMS_TEXT[n] : String(n));
  }

  // ---- commands ----

  private execute(raw: string): void {
    const line = raw.trim();
    // Modules ignore a line that does not start with AT: no answer at all.
    if (line.length < 2 || line.substr(0, 2).toUpperCase() !== 'AT') return;
    this.busy = true;
    const r = this.command(line.substr(2));
    if (r) this.answer(r);
  }

  /** The reply to one command (after "AT"), or null when it answers later (AT+CMGS). */
  private command(body: string): Reply | null {
    const up = body.toUpperCase();
    if (up === '') return ok();
    if (up === 'E0' || up === 'E' || up === 'E1') {
      this.set.echo = up === 'E1';
      return ok();
    }
    if (up === 'Z' || up === 'Z0') {
      this.set = defaults();
      return ok();
    }
    if (up === 'I' || up === 'I0' || up === '+CGMM') return ok([this.model === 'sim800' ? 'SIMCOM_SIM800' : 'SIMCOM_SIM7600']);
    const m = /^\+[A-Z]+/.exec(up);
    if (!m) return err();
    const name = m[0];
    const tail = body.substr(name.length);
    let op: 'exec' | 'read' | 'set';
    let args: Arg[] = [];
    if (tail === '') op = 'exec';
    else if (tail === '?') op = 'read';
    else if (tail.charAt(0) === '=' && tail !== '=?') {
      op = 'set';
      const a = splitArgs(tail.substr(1));
      if (!a) return err();
      args = a;
    } else return err(); // test commands (=?) are not simulated
    return this.extended(name, op, args);
  }

  private extended(name: string, op: 'exec' | 'read' | 'set', args: Arg[]): Reply | null {
    const f = this.faults;
    const s = this.set;
    switch (name + ':' + op) {
      case '+CMEE:set': {
        const n = int(args[0]);
        if (args.length !== 1 || n < 0 || n > 2) return err();
        s.cmee = n;
        return ok();
      }
      case '+CMEE:read':
        return ok(['+CMEE: ' + s.cmee]);
      case '+CPIN:read':
        return f.noSim ? final(this.cme(10)) : ok(['+CPIN: READY']);
      case '+CREG:read':
        return ok(['+CREG: 0,' + this.stat()]);
      case '+CREG:set':
        // Registration URCs (n = 1, 2) are not simulated: refuse them rather than stay silent.
        return args.length === 1 && int(args[0]) === 0 ? ok() : err();
      case '+CEREG:read':
        return this.model === 'sim7600' ? ok(['+CEREG: 0,' + this.stat()]) : err();
      case '+CSQ:exec':
        return ok(['+CSQ: ' + (f.noNetwork || f.noSim ? 99 : this.rssi) + ',99']);
      case '+CNUM:exec':
        if (f.noSim) return final(this.cme(10));
        return ok(this.ownNumber ? ['+CNUM: "","' + this.ownNumber + '",' + (this.ownNumber.charAt(0) === '+' ? 145 : 129)] : []);
      case '+CMGF:set': {
        const n = int(args[0]);
        if (args.length !== 1 || n < 0 || n > 1) return err();
        s.textMode = n === 1;
        return ok();
      }
      case '+CMGF:read':
        return ok(['+CMGF: ' + (s.textMode ? 1 : 0)]);
      case '+CSCS:set': {
        const cs = args.length === 1 && args[0].quoted ? args[0].v.toUpperCase() : '';
        if (cs !== 'GSM' && cs !== 'IRA' && cs !== 'UCS2') return err();
        s.charset = cs;
        return ok();
      }
      case '+CSCS:read':
        return ok(['+CSCS: "' + s.charset + '"']);
      case '+CNMI:set': {
        const v: number[] = [];
        for (let i = 0; i < 5; i++) v.push(i < args.length ? int(args[i]) : s.cnmi[i]);
        if (args.length > 5 || v[0] < 0 || v[0] > 3 || v[1] < 0 || v[2] < 0 || v[3] < 0 || v[4] < 0) return err();
        // Only "store and indicate" (+CMTI) is simulated; routing to the TE (+CMT) is refused.
        if (v[1] > 1) return final(this.cms(303));
        s.cnmi = v;
        return ok();
      }
      case '+CNMI:read':
        return ok(['+CNMI: ' + s.cnmi.join(',')]);
      case '+CPMS:read': {
        if (f.noSim) return final(this.cms(310));
        const u = this.stored + ',' + this.slots.length;
        return ok(['+CPMS: "SM",' + u + ',"SM",' + u + ',"SM",' + u]);
      }
      case '+CPMS:set': {
        if (f.noSim) return final(this.cms(310));
        if (args.length < 1 || args.length > 3) return err();
        for (const a of args) if (a.v.toUpperCase() !== 'SM') return final(this.cms(302));
        const u = this.stored + ',' + this.slots.length;
        return ok(['+CPMS: ' + u + ',' + u + ',' + u]);
      }
      case '+CMGR:set':
        return this.read(args);
      case '+CMGL:exec':
      case '+CMGL:set':
        return this.list(args);
      case '+CMGD:set':
        return this.del(args);
      case '+CMGS:set':
        return this.submit(args);
      case '+CIPMUX:set':
        // one connection only: multi-connection mode is not simulated, refused
        return args.length === 1 && int(args[0]) === 0 && this.ipState === 'IP INITIAL' ? ok() : err();
      case '+CIPMUX:read':
        return ok(['+CIPMUX: 0']);
      case '+CIPHEAD:set': {
        const n = int(args[0]);
        if (args.length !== 1 || n < 0 || n > 1) return err();
        s.ipHead = n === 1;
        return ok();
      }
      case '+CIPHEAD:read':
        return ok(['+CIPHEAD: ' + (s.ipHead ? 1 : 0)]);
      case '+CSTT:set':
        if (f.noSim || this.ipState !== 'IP INITIAL' || args.length > 3) return err();
        for (const a of args) if (!a.quoted) return err();
        this.apn = args[0].v;
        this.ipState = 'IP START';
        return ok();
      case '+CIICR:exec':
        return this.bearerUp();
      case '+CIFSR:exec':
        // the address alone, no OK: the module's one answer of its kind
        if (['IP INITIAL', 'IP START', 'IP CONFIG', 'PDP DEACT'].indexOf(this.ipState) >= 0) return err();
        if (this.ipState === 'IP GPRSACT') this.ipState = 'IP STATUS';
        return final(this.address);
      case '+CIPSTART:set':
        return this.tcpStart(args);
      case '+CIPSEND:set':
        return this.tcpPrompt(args);
      case '+CIPCLOSE:exec':
      case '+CIPCLOSE:set':
        if (!this.sock || args.length > 1 || (args.length === 1 && int(args[0]) < 0)) return err();
        this.endSocket();
        this.ipState = 'IP CLOSE';
        return final('CLOSE OK');
      case '+CIPSHUT:exec':
        this.endSocket();
        this.ipState = 'IP INITIAL';
        this.apn = '';
        return final('SHUT OK');
      case '+CIPSTATUS:exec':
        return final('OK\r\n\r\nSTATE: ' + this.ipState);
      default:
        return err();
    }
  }

  // ---- TCP/IP (SIM800 single connection) ----

  /** AT+CIICR: the bearer comes up after bearerMs, or fails (no network, no SIM, another APN). */
  private bearerUp(): Reply | null {
    if (this.ipState !== 'IP START') return err();
    this.ipState = 'IP CONFIG';
    this.later(this.bearerMs, () => {
      const f = this.faults;
      if (f.noSim || f.noNetwork || (this.apnWanted !== null && this.apn !== this.apnWanted)) {
        this.ipState = 'PDP DEACT';
        this.answer(err());
        return;
      }
      this.ipState = 'IP GPRSACT';
      this.answer(ok());
    });
    return null;
  }

  /** AT+CIPSTART="TCP","host",port: OK at once, then CONNECT OK once the host takes the
   *  connection, or CONNECT FAIL. */
  private tcpStart(args: Arg[]): Reply {
    if (args.length !== 3 || !args[0].quoted || !args[1].quoted || !/^\d{1,5}$/.test(args[2].v)) return err();
    if (args[0].v.toUpperCase() !== 'TCP') return err(); // UDP is not simulated
    if (this.sock && this.ipState === 'CONNECT OK') return final('OK\r\n\r\nALREADY CONNECT');
    if (['IP STATUS', 'IP CLOSE', 'TCP CLOSED'].indexOf(this.ipState) < 0) return err();
    const host = args[1].v;
    const port = parseInt(args[2].v, 10);
    this.ipState = 'TCP CONNECTING';
    const failed = () => {
      this.ipState = 'TCP CLOSED';
      this.say('\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n', 0);
    };
    if (this.faults.connectFail || port < 1 || port > 65535) {
      // (after the OK: the answer goes out first)
      this.later(this.faults.replyDelayMs + 50, failed);
      return ok();
    }
    const sock = net.connect(port, host);
    this.sock = sock;
    let connected = false;
    sock.on('connect', () => {
      if (this.sock !== sock) return;
      connected = true;
      this.ipState = 'CONNECT OK';
      this.say('\r\nCONNECT OK\r\n', 0);
    });
    sock.on('data', (d: Buffer) => {
      if (this.sock !== sock) return;
      this.tcpReceived += d.length;
      for (let i = 0; i < d.length; i += TCP_MAX) {
        const piece = d.subarray(i, i + TCP_MAX);
        this.say((this.set.ipHead ? '\r\n+IPD,' + piece.length + ':' : '') + piece.toString('latin1'), 0);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.sock !== sock) return;
      // (data being typed is still taken, and answered SEND FAIL)
      this.sock = null;
      if (!connected) return failed();
      this.ipState = 'TCP CLOSED';
      this.say('\r\nCLOSED\r\n', 0);
    });
    return ok();
  }

  /** AT+CIPSEND=<n>: the prompt (late with promptDelayMs), then exactly n bytes are data. */
  private tcpPrompt(args: Arg[]): Reply | null {
    const n = int(args[0]);
    if (args.length !== 1 || n < 1 || n > TCP_MAX || !this.sock || this.ipState !== 'CONNECT OK') return err();
    const f = this.faults;
    this.say('\r\n> ', f.promptDelayMs > 0 ? f.promptDelayMs : f.replyDelayMs, () => {
      this.busy = false;
      this.tcpDraft = { left: n, bytes: [] };
    });
    return null;
  }

  /** The n bytes came: to the host, then SEND OK (or SEND FAIL as the fault says). */
  private tcpSend(bytes: number[]): void {
    const f = this.faults;
    const sock = this.sock;
    if (f.sendFail || !sock || this.ipState !== 'CONNECT OK') {
      f.sendFail = false;
      this.answer(final('SEND FAIL'));
      return;
    }
    sock.write(Buffer.from(bytes));
    this.tcpSent += bytes.length;
    this.answer(final('SEND OK'));
  }

  /** Ends the connection to the host, if any, without a word to the unit. */
  private endSocket(): void {
    const s = this.sock;
    this.sock = null;
    if (s) s.destroy();
  }

  /** CREG/CEREG stat: 0 not searching (no SIM), 2 searching, 1 home, 5 roaming. */
  private stat(): number {
    if (this.faults.noSim) return 0;
    if (this.faults.noNetwork) return 2;
    return this.roaming ? 5 : 1;
  }

  /** Checks common to the SMS storage commands: a reply when they cannot run, else null. */
  private smsRefusal(): Reply | null {
    if (this.faults.noSim) return final(this.cms(310));
    // PDU mode is not simulated for reading: a unit that forgot AT+CMGF=1 after a restart
    // gets a refusal it cannot mistake for a message.
    if (!this.set.textMode) return final(this.cms(303));
    return null;
  }

  private read(args: Arg[]): Reply {
    const no = this.smsRefusal();
    if (no) return no;
    const i = int(args[0]);
    const mode = args.length > 1 ? int(args[1]) : 0;
    if (args.length > 2 || mode < 0 || mode > 1 || i < 0) return err();
    if (i < 1 || i > this.slots.length) return final(this.cms(321));
    const m = this.slots[i - 1];
    if (!m) return ok(); // SIM800 answers an empty slot with OK alone
    const lines = ['+CMGR: "' + status(m) + '","' + this.encode(m.from) + '","","' + m.time + '"', this.encode(m.text)];
    if (mode === 0) m.read = true;
    return ok(lines);
  }

  private list(args: Arg[]): Reply {
    const no = this.smsRefusal();
    if (no) return no;
    const which = args.length > 0 ? args[0].v.toUpperCase() : 'REC UNREAD';
    const mode = args.length > 1 ? int(args[1]) : 0;
    const known = ['ALL', 'REC UNREAD', 'REC READ', 'STO UNSENT', 'STO SENT'];
    if (args.length > 2 || (args.length > 0 && !args[0].quoted) || known.indexOf(which) < 0 || mode < 0 || mode > 1) return err();
    const lines: string[] = [];
    for (let k = 0; k < this.slots.length; k++) {
      const m = this.slots[k];
      if (!m || (which !== 'ALL' && which !== status(m))) continue;
      lines.push('+CMGL: ' + (k + 1) + ',"' + status(m) + '","' + this.encode(m.from) + '","","' + m.time + '"', this.encode(m.text));
      if (mode === 0) m.read = true;
    }
    return ok(lines);
  }

  private del(args: Arg[]): Reply {
    if (this.faults.noSim) return final(this.cms(310));
    const i = int(args[0]);
    const flag = args.length > 1 ? int(args[1]) : 0;
    if (args.length > 2 || i < 0 || flag < 0 || flag > 4) return err();
    if (flag === 0) {
      if (i < 1 || i > this.slots.length) return final(this.cms(321));
      this.slots[i - 1] = null;
    } else {
      // 1 read, 2 read and sent, 3 read, sent and unsent, 4 all: only received messages live here.
      for (let k = 0; k < this.slots.length; k++) {
        const m = this.slots[k];
        if (m && (flag === 4 || m.read)) this.slots[k] = null;
      }
    }
    return ok();
  }

  private submit(args: Arg[]): Reply | null {
    if (this.faults.noSim) return final(this.cms(310));
    if (!this.set.textMode) return final(this.cms(304));
    if (args.length < 1 || args.length > 2 || !args[0].quoted) return err();
    const to = this.decode(args[0].v);
    const toda = args.length > 1 ? int(args[1]) : 129;
    if (to === null || to === '' || (toda !== 129 && toda !== 145)) return err();
    this.say('\r\n> ', this.faults.replyDelayMs, () => {
      this.busy = false;
      this.draft = { to: to, text: '', afterCr: false };
    });
    return null;
  }

  /** One byte typed after the prompt. */
  private draftByte(b: number): void {
    const d = this.draft as Draft;
    const afterCr = d.afterCr;
    d.afterCr = b === 0x0d;
    if (b === CTRL_Z) {
      this.draft = null;
      this.busy = true;
      this.send(d);
    } else if (b === ESC) {
      this.draft = null;
      this.busy = true;
      this.answer(ok());
    } else if (b === 0x0d) {
      // 27.005: every CR inside the text gets a new prompt; it stands for a line break.
      d.text += '\n';
      this.say('\r\n> ', 0);
    } else if (b === 0x0a) {
      if (!afterCr) d.text += '\n';
    } else if (b === BS) {
      d.text = d.text.slice(0, -1);
    } else {
      d.text += String.fromCharCode(b);
    }
  }

  // Longer texts are refused, not split or truncated: characters are counted plainly (a GSM
  // escape such as '[' counts once), 160 in GSM/IRA, 70 in UCS2.
  private send(d: Draft): void {
    const text = this.decode(d.text);
    const max = this.set.charset === 'UCS2' ? 70 : 160;
    if (text === null || text.length > max) {
      this.answer(final(this.cms(305)));
      return;
    }
    this.later(this.submitMs, () => {
      const f = this.faults;
      if (f.noNetwork) {
        this.answer(final(this.cms(331)));
      } else if (f.cmsError > 0) {
        const n = f.cmsError;
        f.cmsError = 0;
        this.answer(final(this.cms(n)));
      } else {
        const mr = this.mr;
        this.mr = (this.mr + 1) & 0xff;
        this.sent.push({ to: d.to, text: text, atMs: this.clock.now() });
        this.answer(ok(['+CMGS: ' + mr]));
      }
    });
  }

  // ---- incoming SMS ----

  /** Moves held messages into free slots while the module can take them; retries the rest. */
  private deliver(): void {
    const f = this.faults;
    const able = this.on && this.up && !f.hang && !f.noSim && !f.noNetwork;
    while (able && this.held.length > 0) {
      const k = this.slots.indexOf(null);
      if (k < 0) break;
      const h = this.held.shift() as Held;
      this.slots[k] = { from: h.from, text: h.text, read: false, time: h.time };
      if (this.set.cnmi[0] > 0 && this.set.cnmi[1] === 1) this.say('\r\n+CMTI: "SM",' + (k + 1) + '\r\n', 0);
    }
    if (this.held.length > 0 && this.on && this.retryTimer < 0) {
      this.retryTimer = this.later(this.retryMs, () => {
        this.retryTimer = -1;
        this.deliver();
      });
    }
  }

  private stamp(): string {
    if (this.timeText) return this.timeText();
    const q = this.zoneQuarters;
    const t = new Date(this.startMs + this.clock.now() + q * 900000);
    const zone = (q < 0 ? '-' : '+') + two(Math.abs(q));
    return (
      two(t.getUTCFullYear() % 100) + '/' + two(t.getUTCMonth() + 1) + '/' + two(t.getUTCDate()) + ',' +
      two(t.getUTCHours()) + ':' + two(t.getUTCMinutes()) + ':' + two(t.getUTCSeconds()) + zone
    );
  }

  // ---- character sets ----

  /** A string as the unit must see it under AT+CSCS: UCS2 is four hex digits per character. */
  private encode(s: string): string {
    if (this.set.charset !== 'UCS2') return s;
    let out = '';
    for (let i = 0; i < s.length; i++) out += ('000' + s.charCodeAt(i).toString(16).toUpperCase()).slice(-4);
    return out;
  }

  /** A string the unit sent under AT+CSCS, or null when UCS2 hex is malformed. */
  private decode(s: string): string | null {
    if (this.set.charset !== 'UCS2') return s;
    if (s.length % 4 !== 0 || !/^[0-9A-Fa-f]*$/.test(s)) return null;
    let out = '';
    for (let i = 0; i < s.length; i += 4) out += String.fromCharCode(parseInt(s.substr(i, 4), 16));
    return out;
  }
}

function ok(lines: string[] = []): Reply {
  return { lines: lines, final: 'OK' };
}

function err(): Reply {
  return { lines: [], final: 'ERROR' };
}

function final(line: string): Reply {
  return { lines: [], final: line };
}

function status(m: Slot): string {
  return m.read ? 'REC READ' : 'REC UNREAD';
}

function two(n: number): string {
  return (n < 10 ? '0' : '') + n;
}

/** A decimal argument, or -1 when absent or not a plain number. */
function int(a: Arg | undefined): number {
  return a && !a.quoted && /^\d{1,5}$/.test(a.v) ? parseInt(a.v, 10) : -1;
}

/** Comma-separated arguments, quoted or not; null when a quote is left open or text follows one. */
function splitArgs(s: string): Arg[] | null {
  const out: Arg[] = [];
  let i = 0;
  for (;;) {
    while (s.charAt(i) === ' ') i++;
    if (s.charAt(i) === '"') {
      const j = s.indexOf('"', i + 1);
      if (j < 0) return null;
      out.push({ v: s.slice(i + 1, j), quoted: true });
      i = j + 1;
      while (s.charAt(i) === ' ') i++;
    } else {
      let j = s.indexOf(',', i);
      if (j < 0) j = s.length;
      out.push({ v: s.slice(i, j).trim(), quoted: false });
      i = j;
    }
    if (i >= s.length) return out;
    if (s.charAt(i) !== ',') return null;
    i++;
  }
}

/** The virtual modem as a unit's modem line (UnitHal.openModem): what the unit writes goes to
 *  the module, what the module sends to whoever listens, its supply switched by power(). */
export function virtualModemLine(vm: VirtualModem): ModemLine {
  return {
    write: (s) => vm.write(Uint8Array.from(s, (c) => c.charCodeAt(0) & 255)),
    listen: (fn) => {
      vm.onData = fn ? (b) => fn(String.fromCharCode(...b)) : () => {};
    },
    power: (on) => vm.setPower(on),
    lte: vm.model === 'sim7600',
  };
}
