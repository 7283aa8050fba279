// The dormitory floor answering text messages, on the 32-bit interpreter: the floor's meters on
// RS485 (a socat pty pair, sim/pty-meters.ts) and a virtual SIM800 behind the board's modem
// UART (a second pty pair, sim/pty-modem.ts), the technician's console opening SMS sessions with
// `sms now` while messages arrive: a tenant's and an administrator's inquiries, a token top-up,
// a supply switched off and back to the prepaid rules with codes, a forged code and a replay.
// What the unit texts back and the least free at any moment of it are what the tests gate and
// bench/memory.ts prints.
import { generateToken, keyFromHex } from './openpaygo-encode';
import { RigResult } from './espruino-rig';
import { FLOOR_SMS_KEY, FLOOR_SMS_PHONES, FLOOR_TOKEN_START, floorEeprom, floorRig, floorScenario, FloorShape, floorTokenKey, runFloorScript } from './floor-eeprom';
import { ptyPair } from './soak';
import { smsCommand } from './sms-code';
import { servePtyMeters } from '../sim/pty-meters';
import { SentSms, servePtyModem } from '../sim/pty-modem';

/** One step of the script: messages that arrive from the network as the console line is typed,
 *  then `afterMs` until the next step. */
export interface FloorSmsStep {
  line: string;
  sms?: { from: string; text: string }[];
  afterMs: number;
  /** What each message must be answered with (a pattern of its receipt), in the messages' order. */
  receipts?: RegExp[];
}

/** A message delivered during the run: when (ms after the modem was served) and at which step
 *  of the script (the console line typed last, from 0). */
export interface DeliveredSms {
  from: string;
  text: string;
  time: number;
  step: number;
}

/** An administrator's command with counter n and its code under the floor's SMS key. */
function coded(n: number, words: string): string {
  const c = smsCommand(FLOOR_SMS_KEY, n, words.split(' '));
  if (!c.ok) throw new Error('sms code: ' + c.error);
  return c.text;
}

/** A code for the words and counter that is not theirs (a forgery). */
function forged(n: number, words: string): string {
  const good = coded(n, words);
  const code = good.slice(-6) === '123456' ? '654321' : '123456';
  return good.slice(0, -6) + code;
}

/** The script: `sms now` every `gapMs` (a session two seconds after it is typed; typed on a
 *  board, it also ends a poll cycle under way, which would hold the session back). Messages are
 *  attached to the step they may come at (floorSms delivers a step's messages only once the SIM
 *  is empty, so the spare steps take up what comes late). Room 301 is the first account (its
 *  token key floorTokenKey(0), count 1: ten units), R302 the tenant's, R303 switched off and back
 *  to auto with counters 1 and 2, between them a forged code and a replay of counter 1. A change's
 *  receipt goes with the session after the one that read it (its command runs in between). */
export function floorSmsScript(gapMs = 12000): FloorSmsStep[] {
  const t = generateToken({ key: keyFromHex(floorTokenKey(0)) as Uint8Array, startingCode: FLOOR_TOKEN_START, count: 1, kind: 'add', value: 10 });
  if (!t.ok) throw new Error('token: ' + t.error);
  const admin = FLOOR_SMS_PHONES.admin;
  const user = FLOOR_SMS_PHONES.user;
  const off = coded(1, 'OFF R303');
  const bal = (acct: string, supply: string) => new RegExp('^OK BAL: ' + acct + ' balance -?\\d+\\.\\d{3}, supply ' + supply + '$');
  const now = (sms?: { from: string; text: string }[], receipts?: RegExp[]): FloorSmsStep => ({ line: 'sms now', sms, receipts, afterMs: gapMs });
  return [
    { line: 'login 3333', afterMs: 2000 },
    now([{ from: user, text: 'BAL' }, { from: admin, text: 'BAL R301' }], [bal(FLOOR_SMS_PHONES.userOf, 'on \\(auto\\)'), bal('R301', '(on|off) \\(auto\\)')]),
    // (groups of digits may be spaced)
    now([{ from: admin, text: 'BUY R301 ' + t.token.replace(/(\d{3})(?=\d)/g, '$1 ') }], [/^OK BUY: TOKEN R301 add 10\.000 count 2; .*R301 topup 10\.000 balance -?\d+\.\d{3} by token$/]),
    now(),
    now([{ from: admin, text: off }], [/^OK OFF: .*R303 relay off, mode off$/]),
    now(),
    now([{ from: admin, text: 'BAL R303' }, { from: admin, text: forged(2, 'OFF R303') }, { from: admin, text: off }], [bal('R303', 'off \\(off\\)'), /^ERR OFF: code$/, /^ERR OFF: replay$/]),
    now([{ from: admin, text: coded(2, 'AUTO R303') }], [/^OK AUTO: .*R303 relay on, mode auto$/]),
    now(),
    now([{ from: admin, text: 'BAL R303' }], [bal('R303', 'on \\(auto\\)')]),
    now(),
    { line: 'sms', afterMs: 2000 },
    { line: 'acct R303', afterMs: 2000 },
  ];
}

export interface FloorSmsOptions {
  board: string;
  binary: string;
  shape?: FloorShape;
  /** The script (default floorSmsScript()). */
  script?: FloorSmsStep[];
  /** Poll interval, seconds (default 20: cycles run while the messages are handled). */
  pollS?: number;
  /** Keep the modem's lines (PtyModem.log). */
  modemLog?: boolean;
  /** Every line of the interpreter's output as it comes. */
  onOutput?: (line: string) => void;
  /** Interpreter code run once after boot (RigOptions.probe). */
  probe?: string;
}

/** The run, what the unit texted (receipts and its own texts), the messages delivered, and the
 *  messages left in the SIM or with the network at the end. */
export interface FloorSmsResult extends RigResult {
  sent: SentSms[];
  delivered: DeliveredSms[];
  modemLog: string[];
  simLeft: number;
}

/** A receipt (OK or ERR and the message's first word), not a text the unit sent on its own. */
export function isReceipt(text: string): boolean {
  return /^(OK|ERR) \S+: /.test(text);
}

/** The receipts texted to number n, in order, one sent in parts ("(1/2)", "(2/2)") as one. */
export function receiptsTo(sent: SentSms[], n: string): string[] {
  const out: string[] = [];
  let joining = false;
  for (const m of sent) {
    if (m.to !== n) continue;
    const k = / \((\d)\/(\d)\)$/.exec(m.text);
    const text = k ? m.text.slice(0, -k[0].length) : m.text;
    if (joining) out[out.length - 1] += ' ' + text;
    else if (isReceipt(text)) out.push(text);
    joining = !!k && k[1] !== k[2];
  }
  return out;
}

/** What is wrong with the receipts of a run of `script`: each number's receipts against the
 *  patterns of the messages it sent (in any order: a command's receipt goes a session later than
 *  an inquiry's), a receipt missing or one too many. Empty when every message got its receipt. */
export function receiptProblems(script: FloorSmsStep[], sent: SentSms[]): string[] {
  const want: { [n: string]: { text: string; re: RegExp }[] } = {};
  for (const st of script)
    (st.sms || []).forEach((m, i) => {
      const re = st.receipts && st.receipts[i];
      if (re) (want[m.from] = want[m.from] || []).push({ text: m.text, re });
    });
  const out: string[] = [];
  for (const n of Object.keys(want)) {
    const got = receiptsTo(sent, n);
    for (const w of want[n]) {
      const k = got.findIndex((g) => w.re.test(g));
      if (k < 0) out.push(n + ' "' + w.text + '": no receipt matching ' + w.re);
      else got.splice(k, 1);
    }
    for (const g of got) out.push(n + ': a receipt no message asked for: "' + g + '"');
  }
  return out;
}

/** Each console line of the run with the messages that arrived while it was the last one typed
 *  ("sms now [BAL R303, OFF R303 2 ...]"), for the figures of each step. */
export function stepLabels(r: FloorSmsResult): string[] {
  return r.commands.map((c, i) => {
    const m = r.delivered.filter((d) => d.step === i).map((d) => d.text.split(' ').slice(0, 2).join(' ') + (d.text.split(' ').length > 2 ? ' ...' : ''));
    return c.line + (m.length ? ' [' + m.join(', ') + ']' : '');
  });
}

/** Boots the floor (token identities and SMS phones) with its meters and modem answering and
 *  runs the script. A step's messages arrive as its console line is typed, or, when messages
 *  delivered before are still in the SIM (a command's message stays there until the command has
 *  run), as soon as the SIM is empty: a message never shares a session with the command before
 *  it, so an inquiry sees what that command did. */
export async function floorSms(o: FloorSmsOptions): Promise<FloorSmsResult> {
  const pollS = o.pollS || 20;
  const line = { baud: 115200 };
  const bus = { pollSeconds: pollS, dlt645: line, modbus: line };
  const shape: FloorShape = { tokens: true, sms: true, ...o.shape };
  const f = floorEeprom(1, bus, shape);
  const script = o.script || floorSmsScript();
  const ms = script.reduce((a, s) => a + s.afterMs, 0);
  const seconds = Math.ceil(ms / 1000) + 60;
  const busPty = await ptyPair(seconds + 180);
  const modemPty = await ptyPair(seconds + 180);
  const meters = await servePtyMeters(floorScenario(1, bus, shape), busPty.a, { replyDelayMs: 100 });
  // (the SMS centre's time stamps about the unit's time)
  const modem = await servePtyModem(modemPty.a, { model: 'sim800', log: o.modemLog, startS: f.rtcStart });
  const delivered: DeliveredSms[] = [];
  const groups: { step: number; sms: { from: string; text: string }[] }[] = [];
  script.forEach((s, i) => s.sms && s.sms.length && groups.push({ step: i, sms: s.sms }));
  let step = -1;
  const deliver = () => {
    const g = groups[0];
    if (!g || g.step > step || modem.modem.stored > 0 || modem.modem.waiting > 0) return;
    groups.shift();
    for (const m of g.sms) {
      modem.deliver(m.from, m.text);
      delivered.push({ from: m.from, text: m.text, time: modem.now(), step });
    }
  };
  const gate = setInterval(deliver, 200);
  try {
    const run = await runFloorScript(await floorRig(o.board, o.binary, f, busPty.b, modemPty.b), script, {
      timeoutMs: seconds * 1000 + 60000,
      probe: o.probe,
      onOutput: o.onOutput,
      onStep: (i) => {
        step = i;
        deliver();
      },
    });
    return { ...run, sent: modem.sent, delivered, modemLog: modem.log, simLeft: modem.modem.stored + modem.modem.waiting };
  } finally {
    clearInterval(gate);
    await modem.close();
    await meters.close();
    modemPty.stop();
    busPty.stop();
  }
}
