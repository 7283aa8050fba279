// The dormitory floor (sim/scenarios/dormitory-floor-rs485.json: 33 accounts, 34 RS485 meters)
// as a board's EEPROM after a short run of the simulator: its configuration, balances, journal
// and event log, on the boards' part (boards/*.json: both carry an AT24CM01). A board image
// booted on the interpreter with this EEPROM is a unit of that floor after a power cut
// (bench/memory.ts, the build tests).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenario, Scenario } from '../sim/scenario';
import { Simulation } from '../sim/runner';
import { buildBoard, imageOnLinux, loadBoard } from './build';
import { RigOptions, RigResult, runRig } from './espruino-rig';

export const FLOOR_SCENARIO = path.resolve(__dirname, '..', 'sim', 'scenarios', 'dormitory-floor-rs485.json');

/** How floorEeprom shapes the floor: `accounts` and `meters` grow it to that many accounts and
 *  RS485 meters (the WiFi's goal: 64 and 64), the new rooms as room 301 is (half on DL/T 645,
 *  half on DDS238 Modbus meters), topped up at the start; `tokens` gives every account a token
 *  identity (floorTokenKey), as a floor sold with token top-ups has; `sms` gives the unit its SMS
 *  service (docs/sms.md): the key FLOOR_SMS_KEY, a session every minute, an administrator's phone
 *  and the phone of R302's tenant (FLOOR_SMS_PHONES); `uplink` gives it an uplink to the broker
 *  at host:port (docs/uplink.md): the name FLOOR_UPLINK_ID, the key FLOOR_UPLINK_KEY, readings
 *  every 5 minutes (the shortest interval), over the APN "internet". */
export interface FloorShape {
  accounts?: number;
  meters?: number;
  tokens?: boolean;
  sms?: boolean;
  uplink?: string;
  /** With uplink: the network of a board whose uplink goes over WiFi (FLOOR_WIFI). */
  wifi?: boolean;
}

/** The WiFi network the floor's uplink joins on a WiFi board. */
export const FLOOR_WIFI = { ssid: 'dorm-b-3', password: 'open-sesame-42' };

/** The floor's name at the head-end and its uplink key (32 hex digits). */
export const FLOOR_UPLINK_ID = 'floor3';
export const FLOOR_UPLINK_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** The floor's SMS key (32 hex digits, tools/sms-code.ts makes codes with it) and phones. */
export const FLOOR_SMS_KEY = '5ac3e1d0b2a4f6987c0e1f2d3b4a5968';
export const FLOOR_SMS_PHONES = { admin: '+8613800000001', user: '+8613900000302', userOf: 'R302' };

/** The token key of the floor's account number i (from 0) when it has token identities, and
 *  the starting code of all of them. */
export function floorTokenKey(i: number): string {
  return ('a29ab82edc5fbbc41ec9530f6dac' + (0x8600 + i).toString(16)).slice(-32);
}
export const FLOOR_TOKEN_START = 123456789;

/** The EEPROM after `hours` of the floor, and the UTC second the run ended (the RTC's time);
 *  `bus` replaces settings of the configuration's `bus` (poll interval, line settings); `shape`
 *  grows the floor or gives its accounts token identities (FloorShape). */
export function floorEeprom(hours = 1, bus?: { [k: string]: unknown }, shape: FloorShape = {}): { eeprom: Buffer; rtcStart: number } {
  const sc = floorScenario(hours, bus, shape);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floor-eeprom-'));
  const file = path.join(dir, 'eeprom.bin');
  try {
    const sim = new Simulation(sc, () => undefined, undefined, { eepromFile: file });
    sim.run();
    return { eeprom: fs.readFileSync(file), rtcStart: sc.start + hours * 3600 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor's scenario as floorEeprom runs it (the same arguments). */
export function floorScenario(hours = 1, bus?: { [k: string]: unknown }, shape: FloorShape = {}): Scenario {
  const raw = JSON.parse(fs.readFileSync(FLOOR_SCENARIO, 'utf8'));
  raw.durationHours = hours;
  for (const k in bus) raw.config.bus[k] = bus[k];
  if (shape.accounts || shape.meters) growFloor(raw, shape.accounts || raw.config.accounts.length, shape.meters || raw.config.meters.length);
  if (shape.tokens) raw.config.accounts.forEach((a: { token?: object }, i: number) => (a.token = { key: floorTokenKey(i), start: FLOOR_TOKEN_START }));
  // (the shortest interval the configuration takes: `sms now` at the console opens one sooner)
  // (the simulator's parser knows the GSM bearer's words; a WiFi board reads the same words after
  // the broker as its network's name and password: FLOOR_WIFI)
  if (shape.uplink) raw.config.uplink = { id: FLOOR_UPLINK_ID, key: FLOOR_UPLINK_KEY, intervalMinutes: 5, keepAliveSeconds: 60, broker: shape.uplink, ...(shape.wifi ? { apn: FLOOR_WIFI.ssid, apnUser: FLOOR_WIFI.password } : { apn: 'internet' }) };
  if (shape.sms) raw.config.sms = { key: FLOOR_SMS_KEY, everySeconds: 60, phones: [{ number: FLOOR_SMS_PHONES.admin, admin: true }, { number: FLOOR_SMS_PHONES.user, accounts: [FLOOR_SMS_PHONES.userOf] }] };
  // The boards' part: the rig copies the image into an EEPROM of the board's size, so one image
  // serves both boards only while they carry the same part.
  const part = loadBoard('pico').eeprom;
  if (loadBoard('wifi').eeprom.size !== part.size) throw new Error('the boards carry EEPROMs of different sizes: one floor image does not fit both');
  raw.eeprom = part.part;
  const p = parseScenario(raw);
  if (!p.ok) throw new Error(p.errors.join('; '));
  return p.value;
}

/** Adds rooms R401, R402, ... (as R301) to the floor scenario until it has `accounts` accounts,
 *  each with a meter M401, ... until it has `meters` meters: DL/T 645 addresses 000000000401 on,
 *  then Modbus DDS238 ids after the floor's own. */
function growFloor(raw: any, accounts: number, meters: number): void {
  const c = raw.config;
  const room = c.accounts.find((a: { name: string }) => a.name === 'R301');
  let id = 0;
  for (const m of c.meters) if (m.proto === 'modbus') id = Math.max(id, +m.addr);
  const extra = accounts - c.accounts.length;
  for (let i = 0; c.accounts.length < accounts; i++) {
    const n = String(401 + i);
    c.accounts.push({ ...room, name: 'R' + n });
    raw.topups.push({ at: raw.start, account: 'R' + n, amount: 30000 });
    if (c.meters.length >= meters) continue;
    const m = i < extra / 2 ? { proto: 'dlt645', addr: '000000000' + n } : { proto: 'modbus', addr: String(++id), profile: 'dds238' };
    c.meters.push({ name: 'M' + n, account: 'R' + n, maxPowerW: 13800, ...m });
    raw.loads['M' + n] = { ...raw.loads.M301 };
  }
  if (c.accounts.length !== accounts || c.meters.length !== meters) throw new Error('the floor grows by one room with one meter at a time: ' + accounts + ' accounts and ' + meters + ' meters cannot be made from it');
}

/** A technician's look at the floor after the boot: status, accounts, meters, the log. */
export const FLOOR_COMMANDS = ['status', 'login 3333', 'acct', 'meter', 'log n=5', 'status'];

/** Boots a board's image with the floor's EEPROM on an interpreter (`binary`: the board's own,
 *  or a larger heap to measure what an image needs) and looks around at the console. */
export async function bootFloor(board: string, binary: string, f: { eeprom: Buffer; rtcStart: number }, lines: string[] = FLOOR_COMMANDS): Promise<RigResult> {
  const commands = lines.map((line) => ({ line, afterMs: 700 }));
  return runRig({ ...(await floorRig(board, binary, f)), commands, timeoutMs: 90000, sampleMs: 500 });
}

/** The rig's options that boot a board's image (built as the tests build it) on `binary` with
 *  the floor's EEPROM and time, its RS485 line on `busPath` and its modem's UART on `modemPath`
 *  when given. */
export async function floorRig(board: string, binary: string, f: { eeprom: Buffer; rtcStart: number }, busPath?: string, modemPath?: string): Promise<Pick<RigOptions, 'binary' | 'board' | 'image' | 'eeprom' | 'rtcStart' | 'busPath' | 'modemPath'>> {
  const b = loadBoard(board);
  const r = await buildBoard(board, { write: false, espruino: false });
  return { binary, board: b, image: imageOnLinux(r.code, b, r.modules), eeprom: f.eeprom, rtcStart: f.rtcStart, busPath, modemPath };
}

/** Runs a script of console lines on a floor's rig (floorRig's options): each typed `afterMs`
 *  after the one before, the first 5 s after boot, the heap sampled every 250 ms; onStep(i) as
 *  line i is typed (the runner prints "CMD <line>" as it types one). */
export function runFloorScript(rig: Awaited<ReturnType<typeof floorRig>>, lines: { line: string; afterMs: number }[], o: { timeoutMs: number; probe?: string; onOutput?: (line: string) => void; onStep: (i: number) => void }): Promise<RigResult> {
  let step = -1;
  return runRig({
    ...rig,
    commands: lines.map((s) => ({ line: s.line, afterMs: s.afterMs })),
    firstMs: 5000,
    settleMs: 3000,
    sampleMs: 250,
    timeoutMs: o.timeoutMs,
    probe: o.probe,
    onOutput: (l) => {
      if (l.indexOf('CMD ') === 0) o.onStep(++step);
      if (o.onOutput) o.onOutput(l);
    },
  });
}

/** Free variables at rest at the end of a run (the least of the last samples). */
export function freeAtRest(run: RigResult): number {
  return Math.min.apply(null, run.samples.slice(-3).map((s) => s[1]));
}
