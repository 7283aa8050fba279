// Scenario files: JSON checked by a schema (ajv) and then against the unit's own config
// parser, so every mistake gets one line naming where it is.
import Ajv from 'ajv';
import { Config, parseConfig } from '../firmware/config';
import { CoreConfig } from '../firmware/core';
import { parseStamp } from '../firmware/replay';
import { LoadSpec } from './load-profile';
import { ConfigFacts, configFacts } from './unit-view';
import { phoneNumber } from '../hal/modem';
import { CODE_VERBS } from '../firmware/sms/commands';
import { HAS_TOKEN, nameAt } from '../firmware/tables';
import { smsCommand } from '../tools/sms-code';
import { vendToken } from '../tools/vend';

/** What tenants do when credit runs low or is gone (deterministic with the scenario seed). */
export interface TenantRule {
  /** React to this alarm level (1 = first warning). */
  onAlarmLevel?: number;
  /** React when the supply is cut for want of credit. */
  onCut?: boolean;
  /** Hours between the alarm or cut and the top-up (the least, when delayHoursMax is set). */
  delayHours: number;
  /** The delay is drawn evenly between delayHours and this. */
  delayHoursMax?: number;
  /** Amount in milli-currency (the least, when amountMax is set). */
  amount: number;
  /** The amount is drawn between amount and this, in whole currency units. */
  amountMax?: number;
  /** Chance (0..1) that a tenant reacts to a given alarm (a cut always gets a reaction from a
   *  tenant who tops up at all: see neverShare). */
  probability?: number;
  /** Share (0..1) of the tenants under this rule who never top up at all (drawn once per account). */
  neverShare?: number;
}

/** A validated scenario. Times are UTC seconds. */
export interface Scenario {
  name: string;
  description: string;
  start: number;
  durationHours: number;
  stepSeconds: number;
  pollSeconds: number;
  seed: number;
  /** The configuration as the unit's parser read it (what the simulator needs of it: facts). */
  config: CoreConfig;
  facts: ConfigFacts;
  /** The configuration as written (what the unit boots from). */
  rawConfig: unknown;
  /** Every metered load on the bus: the configured meters in order, then spare (not yet commissioned) ones. */
  meterNames: string[];
  /** Load per entry of meterNames. */
  loads: LoadSpec[];
  /** Scheduled top-ups: time, account index, amount. */
  topups: { at: number; account: number; amount: number }[];
  /** Tenant rule per account index (or null). */
  tenants: (TenantRule | null)[];
  /** Register each meter starts from, Wh. */
  startRegisterWh: number[];
  /** Meters with a `proto` are virtual meters on virtual buses (or pulse inputs) that the unit polls itself. */
  bus: boolean;
  /** The unit's EEPROM part (default the boards' AT24CM01: sim/storage-rig.ts DEFAULT_PART), or
   *  false for a unit without one. */
  eeprom: string | false;
  /** The RTC's drift (ppm) and when its backup battery is lost (UTC s, -1 never): time then
   *  restarts at 2000-01-01 with the not-valid flag (needs the EEPROM rig's DS3231). */
  rtc: { driftPpm: number; batteryLostAt: number };
  /** What is wired per entry of meterNames: protocol, address, profile, imp/kWh (from the load's proto, addr,
   *  meterProfile, impPerKwh, else the configured meter's proto, addr, profile, impPerKwh). */
  wires: (WireSpec | null)[];
  /** Faults to switch on and off, by index into meterNames; times UTC seconds. */
  faults: FaultSpec[];
  /** The unit's GSM modem (a `modem` section, or a configuration with `sms`), else null. */
  modem: ModemSpec | null;
  /** Text messages sent to the unit, in time order, their texts made (codes, tokens). */
  messages: MessageSpec[];
}

/** Modem fault names: what a window of `modem.faults` switches on (sim/virtual-modem.ts
 *  ModemFaults; `slow` delays every answer). */
export const MODEM_FAULT_NAMES = ['noNetwork', 'noSim', 'hang', 'cmsError', 'slow'];

/** The virtual GSM modem of a scenario (sim/virtual-modem.ts); times UTC seconds. */
export interface ModemSpec {
  model: 'sim800' | 'sim7600';
  /** SMS slots on the SIM. */
  slots: number;
  /** Faults from `from` until `to`. A hang lasts until the unit switches the module off, and the
   *  module hangs again each time it is switched on until `to`; a cmsError window fails every
   *  text submitted; slow delays every answer by `ms`. */
  faults: { fault: string; from: number; to: number; ms: number }[];
  /** When the module restarts by itself. */
  reboots: number[];
}

/** A text message sent to the unit at `at` (UTC s) from `from`. */
export interface MessageSpec {
  at: number;
  from: string;
  text: string;
  /** How its text was made: 'text' as written, 'buy' a token vended for `account` and `amount`
   *  (milli), 'command' a counter and code added, 'replay' an earlier message's text again. */
  made: 'text' | 'buy' | 'command' | 'replay';
  account?: string;
  amount?: number;
}

/** A meter on the wire: DL/T 645 (addr = 12 digits), Modbus (addr = slave id, profile) or pulse (addr = input). */
export interface WireSpec {
  proto: 'dlt645' | 'modbus' | 'pulse';
  addr: string;
  profile: string;
  impPerKwh: number;
  /** DL/T 645: value bytes per reply frame before the meter splits into follow-up frames (0: never). */
  frameDataMax: number;
}

/** Fault names: those of sim/meter-faults.ts. */
export const FAULT_NAMES = ['silent', 'slow', 'badChecksum', 'garbageBefore', 'garbageAfter', 'wrongAddress', 'splitReply', 'registerReset', 'refusePlaintextRelay'];

/** One fault on one meter from `from` until `to`. */
export interface FaultSpec {
  meter: number;
  fault: string;
  from: number;
  to: number;
}

const loadSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['profile'],
  properties: {
    profile: { enum: ['household', 'constant'] },
    dailyKwh: { type: 'number', minimum: 0, maximum: 1000 },
    powerW: { type: 'number', minimum: 0, maximum: 100000 },
    pvPeakW: { type: 'number', minimum: 0, maximum: 100000 },
    reversed: { type: 'boolean' },
    noise: { type: 'number', minimum: 0, maximum: 1 },
    startRegisterWh: { type: 'integer', minimum: 0 },
    spare: { type: 'boolean' },
    proto: { enum: ['dlt645', 'modbus', 'pulse'] },
    addr: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
    meterProfile: { enum: ['sdm120', 'sdm230', 'dds238'] },
    impPerKwh: { type: 'integer', minimum: 1, maximum: 100000 },
    frameDataMax: { type: 'integer', minimum: 1, maximum: 195 },
    faults: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['fault', 'from', 'to'],
        properties: { fault: { enum: ['silent', 'slow', 'badChecksum', 'garbageBefore', 'garbageAfter', 'wrongAddress', 'splitReply', 'registerReset', 'refusePlaintextRelay'] }, from: { type: 'string' }, to: { type: 'string' } },
      },
    },
    bursts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['powerW', 'minutes', 'perDay'],
        properties: { powerW: { type: 'number', minimum: 0 }, minutes: { type: 'number', exclusiveMinimum: 0 }, perDay: { type: 'number', minimum: 0 } },
      },
    },
  },
};

const tenantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['delayHours', 'amount'],
  properties: {
    onAlarmLevel: { type: 'integer', minimum: 1, maximum: 8 },
    onCut: { type: 'boolean' },
    delayHours: { type: 'number', minimum: 0 },
    delayHoursMax: { type: 'number', minimum: 0 },
    amount: { type: 'integer', minimum: 1 },
    amountMax: { type: 'integer', minimum: 1 },
    probability: { type: 'number', minimum: 0, maximum: 1 },
    neverShare: { type: 'number', minimum: 0, maximum: 1 },
  },
};

const stamp = { type: 'string' };

const modemSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { enum: ['sim800', 'sim7600'] },
    slots: { type: 'integer', minimum: 1, maximum: 255 },
    // a window { fault, from, to } (ms: slow's delay) or a restart { reboot }: told apart in parseSms
    faults: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, properties: { fault: { enum: MODEM_FAULT_NAMES }, from: stamp, to: stamp, ms: { type: 'integer', minimum: 1, maximum: 60000 }, reboot: stamp } },
    },
  },
};

// One of text, buy, command or replayOf says what the message is.
const messageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'from'],
  properties: {
    at: stamp,
    from: { type: 'string' },
    text: { type: 'string', minLength: 1, maxLength: 160 },
    buy: { type: 'object', additionalProperties: false, required: ['account', 'amount'], properties: { account: { type: 'string' }, amount: { type: 'integer', minimum: 1 } } },
    command: { type: 'string', minLength: 1 },
    replayOf: { type: 'integer', minimum: 0 },
  },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'start', 'durationHours', 'config', 'loads'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    start: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}(:\\d{2})?$' },
    durationHours: { type: 'number', exclusiveMinimum: 0, maximum: 24 * 366 },
    stepSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    pollSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
    seed: { type: 'integer' },
    bus: { type: 'boolean' },
    rtc: {
      type: 'object',
      additionalProperties: false,
      properties: { driftPpm: { type: 'number', minimum: -500, maximum: 500 }, batteryLostAt: { type: 'string' } },
    },
    eeprom: { oneOf: [{ enum: ['AT24C32', 'AT24C64', 'AT24C128', 'AT24C256', 'AT24C512', 'AT24CM01', 'AT24CM02'] }, { const: false }] },
    config: { type: 'object' },
    loads: { type: 'object', additionalProperties: loadSchema },
    topups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'account', 'amount'],
        properties: { at: { type: 'string' }, account: { type: 'string' }, amount: { type: 'integer', minimum: 1 } },
      },
    },
    tenants: {
      type: 'object',
      additionalProperties: false,
      properties: { default: tenantSchema, accounts: { type: 'object', additionalProperties: { anyOf: [tenantSchema, { type: 'null' }] } } },
    },
    modem: modemSchema,
    messages: { type: 'array', items: messageSchema },
  },
};

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

/** Parse outcome: a scenario or the list of mistakes, one line each. */
export type ScenarioResult = { ok: true; value: Scenario } | { ok: false; errors: string[] };

/** Checks and converts a parsed JSON scenario. */
export function parseScenario(raw: unknown): ScenarioResult {
  if (!validate(raw)) {
    const errors = (validate.errors || []).map((e) => {
      const where = 'scenario' + e.instancePath.replace(/\//g, '.');
      const extra = e.keyword === 'additionalProperties' ? ' "' + (e.params as { additionalProperty: string }).additionalProperty + '"' : e.keyword === 'enum' ? ' (' + (e.params as { allowedValues: string[] }).allowedValues.join(', ') + ')' : '';
      return where + ': ' + e.message + extra;
    });
    return { ok: false, errors };
  }
  const r = raw as {
    name: string; description?: string; start: string; durationHours: number; stepSeconds?: number; pollSeconds?: number; seed?: number; bus?: boolean; eeprom?: string | false; rtc?: { driftPpm?: number; batteryLostAt?: string };
    config: unknown; loads: { [meter: string]: LoadSpec & { startRegisterWh?: number; spare?: boolean; proto?: string; addr?: string | number; meterProfile?: string; impPerKwh?: number; frameDataMax?: number; faults?: { fault: string; from: string; to: string }[] } };
    topups?: { at: string; account: string; amount: number }[];
    tenants?: { default?: TenantRule; accounts?: { [name: string]: TenantRule | null } };
    modem?: RawModem;
    messages?: RawMessage[];
  };
  const errors: string[] = [];
  const cfg = parseConfig(r.config);
  if (!cfg.ok) return { ok: false, errors: ['scenario.config.' + cfg.error] };
  const config = cfg.value;
  const facts = configFacts(config);
  const accountIndex = (name: string) => facts.accounts.indexOf(name);
  const loads: LoadSpec[] = [];
  const startRegisterWh: number[] = [];
  const meterNames: string[] = [];
  const add = (name: string) => {
    const l = r.loads[name];
    if (l.profile === 'household' && l.dailyKwh === undefined) errors.push('scenario.loads.' + name + ': a household load needs dailyKwh');
    else if (l.profile === 'constant' && l.powerW === undefined) errors.push('scenario.loads.' + name + ': a constant load needs powerW');
    meterNames.push(name);
    loads.push(l);
    startRegisterWh.push(l.startRegisterWh || 0);
  };
  for (const m of facts.meters) {
    if (!r.loads[m.name]) errors.push('scenario.loads: meter "' + m.name + '" has no load');
    else if (r.loads[m.name].spare) errors.push('scenario.loads.' + m.name + ': a configured meter is not spare');
    else add(m.name);
  }
  for (const name of Object.keys(r.loads)) {
    if (facts.meters.some((m) => m.name === name)) continue;
    if (!r.loads[name].spare) errors.push('scenario.loads.' + name + ': no meter of that name in config.meters (mark a meter not yet commissioned with "spare": true)');
    else add(name);
  }
  const start = parseStamp(r.start);
  const end = start + r.durationHours * 3600;
  const topups = (r.topups || []).map((t, i) => {
    const at = parseStamp(t.at);
    const account = accountIndex(t.account);
    if (!(at >= 0) || isNaN(at)) errors.push('scenario.topups[' + i + '].at: expected "YYYY-MM-DD HH:MM", got "' + t.at + '"');
    else if (at < start || at >= end) errors.push('scenario.topups[' + i + '].at: outside the run (' + r.start + ' + ' + r.durationHours + ' h)');
    if (account < 0) errors.push('scenario.topups[' + i + '].account: unknown account "' + t.account + '"');
    return { at, account, amount: t.amount };
  });
  const rtc = { driftPpm: (r.rtc && r.rtc.driftPpm) || 0, batteryLostAt: -1 };
  if (r.rtc && r.rtc.batteryLostAt !== undefined) {
    rtc.batteryLostAt = parseStamp(r.rtc.batteryLostAt);
    if (!(rtc.batteryLostAt >= start && rtc.batteryLostAt < end)) errors.push('scenario.rtc.batteryLostAt: expected "YYYY-MM-DD HH:MM" within the run, got "' + r.rtc.batteryLostAt + '"');
  }
  const tenants: (TenantRule | null)[] = facts.accounts.map((name) => {
    const own = r.tenants && r.tenants.accounts ? r.tenants.accounts[name] : undefined;
    return own !== undefined ? own : (r.tenants && r.tenants.default) || null;
  });
  for (const name of Object.keys((r.tenants && r.tenants.accounts) || {})) {
    if (accountIndex(name) < 0) errors.push('scenario.tenants.accounts.' + name + ': unknown account');
  }
  const rules: [string, TenantRule | null | undefined][] = [['scenario.tenants.default', r.tenants && r.tenants.default]];
  for (const [name, rule] of Object.entries((r.tenants && r.tenants.accounts) || {})) rules.push(['scenario.tenants.accounts.' + name, rule]);
  for (const [where, rule] of rules) {
    if (!rule) continue;
    if (rule.onAlarmLevel === undefined && !rule.onCut) errors.push(where + ': says neither when to top up (onAlarmLevel) nor onCut: true');
    if (rule.delayHoursMax !== undefined && rule.delayHoursMax < rule.delayHours) errors.push(where + '.delayHoursMax: less than delayHours');
    if (rule.amountMax !== undefined && rule.amountMax < rule.amount) errors.push(where + '.amountMax: less than amount');
  }
  if ((r.pollSeconds || 60) % (r.stepSeconds || 60) !== 0) errors.push('scenario.pollSeconds: must be a multiple of stepSeconds');
  // Additions for the bus: what is wired on each metered load, and its faults.
  const rawMeters = ((r.config as { meters?: { [k: string]: unknown }[] }).meters || []);
  const wires: (WireSpec | null)[] = meterNames.map((name) => {
    const l = r.loads[name];
    const c = rawMeters.find((m) => m.name === name) || {};
    const proto = (l.proto || c.proto) as WireSpec['proto'] | undefined;
    if (!proto) return null;
    const addr = l.addr !== undefined ? l.addr : c.addr;
    return { proto, addr: addr === undefined ? '' : String(addr), profile: String(l.meterProfile || c.profile || 'sdm120'), impPerKwh: Number(l.impPerKwh || c.impPerKwh || 1000), frameDataMax: l.frameDataMax || 0 };
  });
  const faults: FaultSpec[] = [];
  meterNames.forEach((name, i) => {
    if (r.loads[name].frameDataMax !== undefined && (!wires[i] || wires[i]!.proto !== 'dlt645')) errors.push('scenario.loads.' + name + '.frameDataMax: only a DL/T 645 meter sends follow-up frames');
    (r.loads[name].faults || []).forEach((f, k) => {
      const from = parseStamp(f.from);
      const to = parseStamp(f.to);
      const where = 'scenario.loads.' + name + '.faults[' + k + ']';
      if (isNaN(from) || isNaN(to) || !(from >= 0) || !(to >= from)) errors.push(where + ': expected "YYYY-MM-DD HH:MM" times, from before to');
      else if (!wires[i] || wires[i]!.proto === 'pulse') errors.push(where + ': only a bus meter (proto dlt645 or modbus) has bus faults');
      faults.push({ meter: i, fault: f.fault, from, to });
    });
  });
  const sms = parseSms(r.modem, r.messages, config, start, end, r.start + ' + ' + r.durationHours + ' h', errors);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: r.name,
      description: r.description || '',
      start,
      durationHours: r.durationHours,
      stepSeconds: r.stepSeconds || 60,
      pollSeconds: r.pollSeconds || 60,
      seed: r.seed || 1,
      config,
      facts,
      rawConfig: r.config,
      meterNames,
      loads,
      topups: topups.sort((a, b) => a.at - b.at),
      tenants,
      startRegisterWh,
      bus: !!r.bus,
      eeprom: r.eeprom === undefined ? 'AT24CM01' : r.eeprom,
      rtc,
      wires,
      faults,
      modem: sms.modem,
      messages: sms.messages,
    },
  };
}

type RawModem = { model?: 'sim800' | 'sim7600'; slots?: number; faults?: { fault?: string; from?: string; to?: string; ms?: number; reboot?: string }[] };
type RawMessage = { at: string; from: string; text?: string; buy?: { account: string; amount: number }; command?: string; replayOf?: number };

/** The OpenPAYGO value the simulator's tokens carry at most (standard, 9-digit tokens). */
const TOKEN_VALUE_MAX = 995;

/** The modem and the messages of a scenario, their texts made in time order: a token vended
 *  for each `buy` (each account's count carried on from its last), the next counter and its code
 *  under the configuration's SMS key for each `command`, an earlier message's text for each
 *  `replayOf`. Counters and counts start from 1, as a new unit's do (a unit booted from an
 *  --eeprom file that has taken codes or tokens already refuses these as replays). */
function parseSms(raw: RawModem | undefined, list: RawMessage[] | undefined, config: Config, start: number, end: number, span: string, errors: string[]): { modem: ModemSpec | null; messages: MessageSpec[] } {
  const msgs = list || [];
  if (!raw && !config.sms) {
    if (msgs.length) errors.push('scenario.messages: the unit has no modem: add a modem section (or an sms section to the configuration)');
    return { modem: null, messages: [] };
  }
  /** A time within the run (to: up to its end), or NaN with the error noted. */
  const time = (at: string, where: string, to = false): number => {
    const t = parseStamp(at);
    if (!(t >= 0)) errors.push(where + ': expected "YYYY-MM-DD HH:MM", got "' + at + '"');
    else if (t < start || (to ? t > end : t >= end)) errors.push(where + ': outside the run (' + span + ')');
    else return t;
    return NaN;
  };
  const modem: ModemSpec = { model: (raw && raw.model) || 'sim800', slots: (raw && raw.slots) || 10, faults: [], reboots: [] };
  ((raw && raw.faults) || []).forEach((f, k) => {
    const where = 'scenario.modem.faults[' + k + ']';
    if (f.reboot !== undefined && f.fault === undefined && f.from === undefined && f.to === undefined && f.ms === undefined) {
      modem.reboots.push(time(f.reboot, where + '.reboot'));
      return;
    }
    if (f.reboot !== undefined || f.fault === undefined || f.from === undefined || f.to === undefined) {
      errors.push(where + ': expected a fault window { "fault", "from", "to" } or a restart { "reboot" }');
      return;
    }
    const from = time(f.from, where + '.from');
    const to = time(f.to, where + '.to', true);
    if (to <= from) errors.push(where + '.to: not after from');
    if (f.ms !== undefined && f.fault !== 'slow') errors.push(where + '.ms: only a slow window has ms (the delay of every answer)');
    modem.faults.push({ fault: f.fault, from, to, ms: f.ms || 2500 });
  });
  modem.reboots.sort((a, b) => a - b);
  const head = config.sms.split('\n')[0].split(' ');
  const smsKey = head.length > 1 && head[1] !== '-' ? head[1] : '';
  const names: string[] = [];
  for (let i = 0; i < config.accounts.n; i++) names.push(nameAt(config.accounts.names, i));
  const out: MessageSpec[] = msgs.map((m, i) => ({ at: time(m.at, 'scenario.messages[' + i + '].at'), from: m.from, text: m.text || '', made: 'text' }));
  // in time order (the file's order among equal times): counters and counts rise as they are sent
  const order = out.map((_, i) => i).sort((a, b) => out[a].at - out[b].at || a - b);
  const counts = names.map(() => 1);
  let counter = 0;
  for (const i of order) {
    const m = msgs[i];
    const o = out[i];
    const where = 'scenario.messages[' + i + ']';
    if (!phoneNumber(m.from)) errors.push(where + '.from: a phone number is 3 to 20 digits, with a + in front when international, got "' + m.from + '"');
    const forms = ['text', 'buy', 'command', 'replayOf'].filter((k) => (m as { [k: string]: unknown })[k] !== undefined);
    if (forms.length !== 1) {
      errors.push(where + ': give one of text, buy, command or replayOf' + (forms.length ? ', not ' + forms.join(' and ') : ''));
      continue;
    }
    if (m.buy) {
      o.made = 'buy';
      const a = names.indexOf(m.buy.account);
      if (a < 0) {
        errors.push(where + '.buy.account: unknown account "' + m.buy.account + '"');
        continue;
      }
      const t = config.accounts;
      const unit = t.tokenUnit[a];
      if (!(t.flags[a] & HAS_TOKEN)) errors.push(where + '.buy.account: ' + m.buy.account + ' has no token key (config accounts[' + a + '].token)');
      else if (m.buy.amount % unit !== 0 || m.buy.amount / unit > TOKEN_VALUE_MAX) errors.push(where + '.buy.amount: a token carries whole units of ' + unit + ' (its account\'s token.unit), at most ' + TOKEN_VALUE_MAX + ' of them');
      else {
        const key = Uint8Array.from(t.tokenKey.slice(a * 16, a * 16 + 16));
        const v = vendToken({ key, startingCode: t.tokenStart[a], count: counts[a], type: 'add', value: m.buy.amount / unit });
        if (!v.ok) errors.push(where + '.buy: ' + v.error);
        else {
          counts[a] = v.count;
          o.text = 'BUY ' + m.buy.account + ' ' + v.token;
          o.account = m.buy.account;
          o.amount = m.buy.amount;
        }
      }
    } else if (m.command !== undefined) {
      o.made = 'command';
      const words = m.command.trim().split(/\s+/);
      if (CODE_VERBS.indexOf(words[0].toUpperCase()) < 0) errors.push(where + '.command: only ' + CODE_VERBS.join(', ') + ' carry a code (send any other message as text)');
      else if (!smsKey) errors.push(where + '.command: the configuration\'s sms section has no key to make its code with');
      else {
        const c = smsCommand(smsKey, ++counter, words);
        if (!c.ok) errors.push(where + '.command: ' + c.error);
        else o.text = c.text;
      }
    } else if (m.replayOf !== undefined) {
      o.made = 'replay';
      const j = m.replayOf;
      if (!(j < i)) errors.push(where + '.replayOf: names a message before this one in the list, got ' + j);
      else if (!(out[j].at <= o.at)) errors.push(where + '.replayOf: message ' + j + ' is sent later than this one');
      else o.text = out[j].text;
    }
  }
  return { modem, messages: order.map((i) => out[i]) };
}
