// Composition root: the only place that knows all the parts. The resident Unit carries the
// core's decisions to the relays and the log, commits every change to the EEPROM before the
// unit acts on it, and hands console lines to the command module. Boot (storage, configuration,
// restore) and the console's commands are on-demand modules (firmware/modules.ts) that work on
// this object; meter reading is wired in metering/wiring.ts.
import { Clock } from '../hal/clock';
import { Eeprom } from '../hal/eeprom';
import { PulseInput, PulseInputOptions } from '../hal/pulse';
import { RelayOutput } from '../hal/relay';
import { Rtc } from '../hal/rtc';
import { SerialOptions, SerialPort } from '../hal/serial';
import { Core, CoreEvent, Decision, formatDecision } from './core';
import { emptyAccounts, emptyMeters, nameAt, table, I16 } from './tables';
import type { Config, RawConfig } from './config';
import { Shell } from './console/shell';
import { UnitStorage, TokenStates } from './storage/unit-storage';
import { dayOf } from './billing/tariff';
import type { Load } from './modules';
import type { Metering } from './metering/wiring';
import type { ChainWalker } from './tokens/openpaygo';
import type { Put } from './console/put';
import type { NativeWalker } from './tokens/walker-check';
import type { ModemLine } from '../hal/modem';
import type { OpenLink } from '../hal/link';
import type { UplinkState } from './uplink/service';
import { UPLINK } from './uplink/feature';
import { takeReadings } from './uplink/readings';
import { uplinkTick } from './uplink/tick';
import type { SmsState } from './sms/state';
import { SMS } from './sms/feature';
import { smsTick } from './sms/tick';

/** Everything the unit needs from the hardware; optional parts may be absent on a bench. */
export interface UnitHal {
  clock: Clock;
  /** One line of text to the technician console / log. */
  print: (line: string) => void;
  /** Hands over an on-demand module (firmware/modules.ts). */
  load: Load;
  rtc?: Rtc;
  /** Non-volatile memory for configuration, state, event log and freeze records. */
  eeprom?: Eeprom;
  /** GPIO relays by channel (an account's `relay`); other accounts are switched by their meters' relays. */
  relays?: RelayOutput[];
  /** Restarts the board (absent in tests: the unit just says so). */
  reboot?: () => void;
  /** Extra status lines from the platform (free memory, ...). */
  platformStatus?: () => string[];
  /** Variables free on the interpreter's heap (after a collection), where it is bounded. */
  freeVars?: () => number;
  /** Opens the RS485 meter bus with these line settings (once per line setting the meters use). */
  openMeterBus?: (opts: SerialOptions) => SerialPort;
  /** Opens pulse input `channel` (a pulse meter's `addr`), or null when the board has none. */
  openPulse?: (channel: number, opts: PulseInputOptions) => PulseInput | null;
  /** Pulse inputs the board has (channels 0 to n-1); meters on other inputs are refused. */
  pulseInputs?: number;
  /** Sees every event-log entry as it is made (storage journal, simulator reports). */
  onLog?: (time: number, account: number, kind: string, text: string) => void;
  /** Sees every decision the unit carries out, also those of its own meter readings (their
   *  time is the watcher's: the RTC is not read again for it). */
  onDecision?: (d: Decision) => void;
  /** A faster token-chain walker (machine code on the board), checked before its first use. */
  nativeWalker?: NativeWalker;
  /** Opens the GSM modem's line for an SMS session (absent: no modem on this unit); `kept`
   *  holds the line's own state between sessions (whether the module's supply is on). */
  openModem?: (kept: { on?: boolean }) => ModemLine;
  /** The uplink's connections to its broker (absent: no uplink on this unit), given the words of
   *  the configuration's `uplink` section after its key ("host:port [apn [user password]]", ''
   *  when it has none): the board's modem connects there, the simulator to a broker of its own.
   *  Asked once each time the uplink starts. */
  openUplink?: (to: string) => OpenLink;
  /** Whether the uplink's link still holds a connection, open or closing (absent: it never
   *  lingers): what follows a session waits for it. */
  uplinkBusy?: () => boolean;
}

/** Optional parts plugged in by the platform. */
export interface UnitParts {
  /** Reads the meters that have a `proto` (metering/wiring.ts busMetering). */
  metering?: (u: Unit) => Metering;
}

/** An event-log entry kept in RAM when there is no EEPROM. */
export interface LogEntry {
  time: number;
  account: number;
  kind: string;
  text: string;
}

const RAM_LOG = 48;
/** Readings that only charged wait this long to be committed with the rest of their poll cycle. */
const FLUSH_MS = 10000;

/** The configuration of a unit without accounts. */
export const EMPTY_RAW: RawConfig = { plans: { flat: { price: 0 } }, accounts: [], meters: [] };

/** A configuration without accounts, meters or plans (a unit before its boot). */
function emptyConfig(): Config {
  const a = emptyAccounts();
  a.alarmAt = table(I16, 1);
  a.friendAt = table(I16, 1);
  const m = emptyMeters();
  const line = { baud: 9600, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };
  return { calendar: { utcOffsetS: 0, weekendMask: 65, holidays: [], billingDay: 1 }, plans: [], planNames: [], accounts: a, meters: m, pins: ['', '1111', '2222', '3333'], pollS: 60, dltLine: line, modbusLine: line, profileSpecs: [], profiles: [], sms: '' };
}

/** Factory PINs by role. A function: on the board its text stays in flash until asked for. */
export function defaultPins(): string[] {
  return ' 1111 2222 3333'.split(' ');
}

/** A running unit. Its fields are the state the on-demand modules work on. */
export class Unit {
  /** The configuration in force, and the core billing by it (core.cfg is the same object). */
  cfg: Config;
  core: Core;
  readonly storage: UnitStorage | null;
  /** Token state per account name, committed with the credit it grants. */
  tokens: TokenStates = {};
  metering: Metering | null = null;
  readonly shell: Shell;
  /** Whether the time is trusted (RTC valid, or set from the console). */
  timeValid = false;
  /** UTC seconds at clock 0 when there is no RTC. */
  timeBase = 0;
  /** Accounts whose last commit failed or waits for its poll cycle, saved with the next one. */
  unsaved: number[] = [];
  unitUnsaved = false;
  storageError = '';
  /** The event log without an EEPROM (made with its first entry). */
  logRing?: LogEntry[];
  /** The checked native token walker, null when there is none or it failed its check;
   *  undefined until the first token entry decides. */
  walker?: ChainWalker | null;
  /** A configuration change checked by the cfg module, waiting for the put module (console/put.ts). */
  put?: Put;
  /** The SMS service's state (firmware/sms/state.ts): none until the unit has phones (or an
   *  `sms` command asked for it). */
  sms?: SmsState;
  /** The uplink's state (uplink/service.ts) while it runs, and the end of the newest interval
   *  whose readings are taken (uplink/readings.ts; undefined until the first event looks). */
  up?: UplinkState;
  readAt?: number;
  private flushTimer = -1;

  /** A unit with no accounts yet: the boot module gives it its configuration and state. */
  constructor(readonly hal: UnitHal, readonly parts?: UnitParts) {
    const self = this;
    this.cfg = emptyConfig();
    this.core = new Core(this.cfg);
    this.storage = hal.eeprom ? new UnitStorage(hal.eeprom) : null;
    this.shell = new Shell({
      clock: hal.clock,
      print: hal.print,
      echo: false,
      run: function (sh: Shell, line: string) {
        const m = moduleFor(line);
        // On a board (its heap measured) a technician's command waits for an SMS session to end
        // (a few seconds): the two crowded the Pico's heap out (the lines an SMS runs go, in a
        // session of their own, sh.from)
        if (SMS && hal.freeVars && self.sms && self.sms.on && !sh.from) return sh.say({ ok: false, lines: ['error: an SMS session is running (a few seconds): type it again'] });
        // and ends an uplink session (taken up again after it), or waits for the head-end's
        // commands to have run (a moment)
        if (UPLINK && hal.freeVars && self.up && self.up.on && sh.from !== 'uplink') {
          const up = self.up;
          if (!up.stop) return sh.say({ ok: false, lines: ['error: the head-end\'s commands are running: type it again'] });
          up.stop();
        }
        // On a board a console command does not share the heap with a poll cycle: the bus
        // session closes, the next interval takes the cycle up again.
        if (hal.freeVars && self.metering) self.metering.pause();
        if (m === 'cfg') hal.load('cfg')(self, sh, line);
        else hal.load(m)(self, sh, line);
        // A change the cfg module checked is put in place by the put module, cfg gone from the heap.
        const p = self.put;
        if (p) {
          self.put = undefined;
          hal.load('put')(self, sh, p);
        }
        // `sms now`, `sms test`: the session in a few seconds, the command's module gone
        if (SMS && self.sms && self.sms.soon) smsTick(self, 2000);
        if (UPLINK && self.up && self.up.soon) uplinkTick(self, 2000);
      },
    });
  }

  /** A core for a configuration (made here, so that it never belongs to a module). */
  newCore(cfg: Config): Core {
    return new Core(cfg);
  }

  /** Feeds one event to the core, commits what it changed and carries out its decisions. */
  handle(ev: CoreEvent): Decision[] {
    const core = this.core;
    this.time();
    if (this.timeValid !== core.timeValid) this.carry(core.handle({ t: 'clock', time: ev.time, valid: this.timeValid }));
    this.freezeDue(ev.time);
    if (SMS && ev.t === 'tick') smsTick(this);
    if (UPLINK) {
      takeReadings(this, ev.time);
      if (ev.t === 'tick') uplinkTick(this);
    }
    let also = -1;
    if (ev.t === 'reading' && ev.meter >= 0 && ev.meter < core.cfg.meters.n) {
      const m = ev.meter;
      // A reading that moved no register changes only the time of the last reading: not worth a write.
      if (!core.has[m] || core.lastImp[m] !== ev.importWh || core.lastExp[m] !== ev.exportWh || core.susp[m]) also = core.cfg.meters.account[m];
    }
    const ds = core.handle(ev);
    this.persist(ds, also, ev.t === 'reading');
    return this.carry(ds);
  }

  /** A meter session's reading billed (a core event), or its event logged ([account, kind,
   *  text]), a turn later (metering/session.ts): the reply's handling (its frames, the poller's
   *  and the bus's locals) has then left the heap, which on a board made the session's lowest
   *  moments beside the commit or the event log's write. The timer is made here, in resident
   *  code, so that it keeps no module alive. A console line can come in that turn: when it
   *  rebuilt the configuration (a new core), meters and accounts are numbered anew: the reading
   *  is then left to the next poll (registers are cumulative), the event is not logged. */
  soon(x: CoreEvent | [number, string, string]): void {
    const self = this;
    const core = this.core;
    this.hal.clock.after(0, function () {
      if (self.core !== core) return;
      if (x instanceof Array) self.log(x[0], x[1], x[2]);
      else self.handle(x);
    });
  }

  /** Commits the accounts the decisions touched (and `also`), with the unit record when the
   *  correctable ledger changed. A reading that only charged is committed with the others of
   *  its poll cycle, FLUSH_MS later: billing runs on cumulative registers, so a cut before
   *  that bills the same energy again from the committed register, nothing twice or lost.
   *  Anything else (money, modes, alarms, relays) is committed before the unit acts on it.
   *  A failed commit is retried with the next one. */
  persist(ds: Decision[], also: number, reading?: boolean): void {
    const storage = this.storage;
    if (!storage) return;
    const n = this.core.cfg.accounts.n;
    const list: number[] = [];
    let unitRec = this.unitUnsaved;
    let urgent = !reading;
    if (also >= 0 && also < n) list.push(also);
    let said = '';
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      if (d.account >= 0 && d.account < n && list.indexOf(d.account) < 0) list.push(d.account);
      if (d.kind !== 'ledger' || d.code !== 'charge') urgent = true;
      if (d.kind === 'ledger' && d.code !== 'charge') {
        unitRec = true;
        said += (said ? '\n' : '') + formatDecision(d) + ' ' + nameAt(this.core.cfg.accounts.names, d.account);
      }
    }
    if (!urgent) {
      for (let i = 0; i < list.length; i++) if (this.unsaved.indexOf(list[i]) < 0) this.unsaved.push(list[i]);
      if (this.flushTimer < 0 && this.unsaved.length) this.flushLater(0);
      return;
    }
    // The waiting readings first, then this event's accounts, eight to a batch (a batch must fit
    // the journal's largest commit: about 30 accounts on a 32 KB EEPROM); the last batch holds
    // the unit record and the event-log text of the money entries. Each account's record
    // stands alone, so a cut between batches leaves every account whole.
    const older: number[] = [];
    for (let i = 0; i < this.unsaved.length; i++) if (list.indexOf(this.unsaved[i]) < 0) older.push(this.unsaved[i]);
    let okSave = true;
    for (let i = 0; i < older.length && okSave; i += 8) okSave = storage.save(this.core, older.slice(i, i + 8), false, this.tokens);
    let from = 0;
    for (; okSave && list.length - from > 8; from += 8) okSave = storage.save(this.core, list.slice(from, from + 8), false, this.tokens);
    if (okSave && (list.length || unitRec)) okSave = storage.save(this.core, from ? list.slice(from) : list, unitRec, this.tokens, said);
    if (okSave) this.unsaved = [];
    else for (let i = 0; i < list.length; i++) if (this.unsaved.indexOf(list[i]) < 0) this.unsaved.push(list[i]);
    this.unitUnsaved = !okSave && unitRec;
    this.problem();
  }

  /** Commits the waiting readings FLUSH_MS from now. On a board (its heap measured) not while
   *  the bus session is loaded: a commit beside it made the poll cycle's peak. It waits at most
   *  30 times (5 minutes): the energy is billed again from the committed registers after a cut. */
  private flushLater(waits: number): void {
    const self = this;
    this.flushTimer = this.hal.clock.after(FLUSH_MS, function () {
      self.flushTimer = -1;
      if (self.hal.freeVars && self.metering && self.metering.busy() && waits < 30) self.flushLater(waits + 1);
      else self.flush();
    });
  }

  /** Commits the readings waiting for the end of their poll cycle. */
  flush(): void {
    if (this.flushTimer >= 0) this.hal.clock.cancel(this.flushTimer);
    this.flushTimer = -1;
    if (this.unsaved.length || this.unitUnsaved) this.persist([], -1);
  }

  /** Says once when the storage starts or stops failing. */
  problem(): void {
    const e = this.storage ? this.storage.error : '';
    if (e !== this.storageError) {
      this.storageError = e;
      if (e) this.hal.print('STORAGE ' + e + ' - kept in RAM, retried with the next change');
    }
  }

  /** Freeze records at the first event of a new local day (before it is billed): the day
   *  module, loaded when a day is due. */
  freezeDue(t: number): void {
    const st = this.storage;
    if (!st || !this.timeValid || st.store.readOnly) return;
    const today = dayOf(t + this.core.cfg.calendar.utcOffsetS);
    if (st.frozen < 0 || today - 1 > st.frozen) this.hal.load('day')(this, today);
  }

  /** UTC seconds now (RTC, or set from the console, or seconds since boot); updates timeValid. */
  time(): number {
    const hal = this.hal;
    if (hal.rtc) {
      const r = hal.rtc.read();
      if (r.ok) {
        this.timeValid = r.value.valid;
        return r.value.epochSeconds;
      }
    }
    this.timeValid = this.timeBase > 0;
    return this.timeBase + Math.floor(hal.clock.now() / 1000);
  }

  /** Appends to the event log; a money entry (d: its ledger decision) to the money log. */
  log(account: number, kind: string, text: string, d?: Decision): void {
    const t = this.time();
    const storage = this.storage;
    if (storage && !storage.store.readOnly) {
      storage.event(t, account >= 0 && account < this.core.cfg.accounts.n ? nameAt(this.core.cfg.accounts.names, account) : '', kind, text, d);
      this.problem();
    } else {
      const ring = this.logRing || (this.logRing = []);
      if (ring.length >= RAM_LOG) ring.shift();
      ring.push({ time: t, account: account, kind: kind, text: text });
    }
    if (this.hal.onLog) this.hal.onLog(t, account, kind, text);
    // an alarm or a relay's event goes up soon, not at the interval's end (uplink/tick.ts)
    if (UPLINK && this.up && (kind === 'alarm' || kind === 'relay')) this.up.alert = true;
  }

  /** Carries out decisions: relays switched, everything but charges logged. */
  carry(ds: Decision[]): Decision[] {
    const hal = this.hal;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      if (hal.onDecision) hal.onDecision(d);
      if (d.kind === 'relay') {
        const ch = this.core.cfg.accounts.relay[d.account];
        if (ch >= 0) {
          if (hal.relays && hal.relays[ch]) hal.relays[ch].set(d.value === 1);
        } else if (this.metering) this.metering.relays(d.account, d.value === 1);
      }
      const led = d.kind === 'ledger';
      if (!led || d.code !== 'charge') this.log(d.account, led ? d.code : d.kind, formatDecision(d), led ? d : undefined);
    }
    return ds;
  }

  /** One-line summary, begins with "STATUS ". */
  statusLine(): string {
    const core = this.core;
    let on = 0;
    let sum = 0;
    for (let a = 0; a < core.cfg.accounts.n; a++) {
      if (core.relay[a] === 1) on++;
      sum += core.balance[a];
    }
    this.time();
    return 'STATUS accounts=' + core.cfg.accounts.n + ' meters=' + core.cfg.meters.n + ' supplied=' + on + ' balance=' + sum + ' time=' + (this.timeValid ? 'ok' : 'not-set') + ' up=' + Math.floor(this.hal.clock.now() / 1000) + 's';
  }

  /** Characters typed on the technician console. */
  input(text: string): void {
    this.shell.feed(text);
  }
}

/** The module that runs a console line, so that only one is in the heap at a time:
 *  configuration changes (acct open|set|close, meter add|set|rm, tariff set, config import,
 *  factory-reset, sms) in 'cfg'; the lists (acct, meter, meter read, tariff, config export) in
 *  'lst'; log and freeze in 'log'; everything else (and what is no command) in 'cmd'. */
export function moduleFor(line: string): 'cmd' | 'cfg' | 'lst' | 'log' {
  const l = line.toLowerCase().split('\t').join(' ') + ' ';
  const c = l.substr(0, l.indexOf(' '));
  const r = l.substr(c.length).trim() + ' ';
  const s = r.substr(0, r.indexOf(' '));
  if (c === 'factory-reset') return 'cfg';
  if (c === 'sms') return 'cfg';
  if (c === 'log' || c === 'freeze') return 'log';
  if (c === 'config') return s === 'export' ? 'lst' : 'cfg';
  if (c === 'acct') return s === 'open' || s === 'set' || s === 'close' ? 'cfg' : 'lst';
  if (c === 'meter') return s === 'add' || s === 'set' || s === 'rm' ? 'cfg' : 'lst';
  if (c === 'tariff') return s === 'set' ? 'cfg' : 'lst';
  return 'cmd';
}

/** Boots the unit from its EEPROM, or from this configuration object when the EEPROM holds
 *  none (parsed and validated by the boot module). */
export function startUnit(hal: UnitHal, config: unknown, parts?: UnitParts): Unit {
  const u = new Unit(hal, parts);
  hal.load('boot')(u, config);
  // Once the boot module has left the heap (beside it, the meters' objects and the first
  // decisions made the boot's peak): the meters' tables made, every relay brought to the state
  // the rules want, eight accounts at a time (a whole floor's decisions at once would crowd a
  // Pico's heap).
  if (u.parts && u.parts.metering) {
    u.metering = u.parts.metering(u);
    u.metering.build();
  }
  const core = u.core;
  if (u.timeValid !== core.timeValid) u.carry(core.handle({ t: 'clock', time: u.time(), valid: u.timeValid }));
  for (let a = 0; a === 0 || a < core.cfg.accounts.n; a += 8) {
    const ds = core.start(u.time(), a, a + 8);
    u.persist(ds, -1);
    u.carry(ds);
  }
  // A freeze that is due loads the day module, which beside the boot module made the boot's
  // peak (the first event is not billed before it either way).
  u.freezeDue(u.time());
  // The bus meters' session is loaded only now (beside the boot's commits it made the peak):
  // the relays those decisions asked for are switched from here.
  if (u.metering) u.metering.start();
  if (u.metering) u.metering.emitPulses(); // the pulse registers' baseline
  hal.print(u.statusLine());
  return u;
}
