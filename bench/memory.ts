// The boards' heap, measured on the real 32-bit interpreters in ../shared/espruino/ (the Pico's
// 5,100 variables and the WiFi's 8,190) running each board's image from flash, with the EEPROM
// and RTC emulated and the console typed into:
//   - used and free after boot (the factory configuration: 4 accounts, 4 meters);
//   - the least free while each kind of work runs: a technician session running every command,
//     a configuration change, token entry;
//   - what one more account and one more meter cost, from accounts opened and meters added at
//     the console (free after each change, from `status`);
//   - the dormitory floor (33 accounts, 34 RS485 meters) booted from its EEPROM, and on the WiFi
//     the floor grown to its goal configuration (64 accounts, 64 meters); what an account and a
//     meter cost at rest, from the floor grown to 64 accounts, then to 64 meters;
//   - on those goal configurations, a technician's session with the meters answering on RS485
//     while the unit polls them: the least free while each command runs;
//   - the floor on the Pico answering text messages (a virtual SIM800 on its modem UART): the
//     least free at any moment, in the SMS sessions, and while each step runs.
// The runner's own variables (its stubs and the typed commands) are added back, so "free" is
// what a board would have. Figures are printed; the gates are in tests/build/build.test.ts.
//   npm run bench -- memory
import { buildBoard, imageOnLinux, loadBoard } from '../tools/build';
import { bootOnEspruino, emptyFree, espruinoBinary, espruinoWifiBinary, EspruinoRun } from '../tools/espruino-check';
import { bootFloor, floorEeprom, freeAtRest } from '../tools/floor-eeprom';
import { runRig } from '../tools/espruino-rig';
import { floorSession } from '../tools/floor-session';
import { floorSms, floorSmsScript, receiptProblems, stepLabels } from '../tools/floor-sms';
import { floorUplink, uplinkRest } from '../tools/floor-uplink';

const SESSION = [
  'status', 'login 1234', 'login 3333', 'help', 'help acct', 'json on', 'status', 'json off', 'time', 'acct', 'tariff', 'tariff flat',
  'topup A4 40', 'refund A4 5', 'log n=5', 'correct 2', 'relay A4 off', 'relay A4 auto', 'relay A4 on', 'relay A4 reset', 'acct A4',
  'freeze day', 'freeze month', 'meter', 'meter read M1', 'config export', 'acct set A4 limit=3', 'topup NOPE 5', 'logout', 'status',
];

/** Free figures printed by `status` (BOARD ... vars free=N/T), in order. */
function statusFree(run: { lines: string[] }): number[] {
  return run.lines.map((l) => /^BOARD .* vars free=(\d+)\//.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => +m[1]);
}

function pct(free: number, total: number): string {
  return free + ' (' + Math.round((100 * free) / total) + '%)';
}

async function board(name: string): Promise<void> {
  const b = loadBoard(name);
  const bin = (b.variables === 8190 ? espruinoWifiBinary() : espruinoBinary())!;
  const r = await buildBoard(name, { write: false, espruino: false });
  const image = () => imageOnLinux(r.code, b, r.modules);
  const empty = emptyFree(bin);
  const total = b.variables;
  const run = bootOnEspruino(image(), bin, SESSION, 500, 120000);
  const runner = empty - run.freeBefore; // the runner's stubs and typed commands
  const onBoard = (free: number) => free + runner;
  console.log(name + ' (' + total + ' variables; this runner holds ' + runner + ', added back below)' + (run.findings.length ? '  PROBLEMS: ' + run.findings.map((f) => f.message).join('; ') : ''));
  console.log('  after boot        used ' + (empty - run.freeAfterBoot - runner) + ', free ' + pct(onBoard(run.freeAfterBoot), total));
  const at = (cmd: string) => run.freePerCommand[SESSION.indexOf(cmd)];
  const lowest = Math.min.apply(null, run.freePerCommand);
  const worst = SESSION[run.freePerCommand.indexOf(lowest)];
  console.log('  console session   lowest free ' + pct(onBoard(lowest), total) + ' (at "' + worst + '")');
  const change = run.lines.indexOf('account A4 changed') >= 0 ? 'applied' : 'refused for memory';
  console.log('  configuration     lowest free ' + pct(onBoard(at('acct set A4 limit=3')), total) + ' during "acct set A4 limit=3" (' + change + ')');
  console.log('  config export     lowest free ' + pct(onBoard(at('config export')), total));
  // Token entry needs an account with a token identity, set by a configuration change.
  const tok = bootOnEspruino(image(), bin, ['login 3333', 'config import', '{"plans":{"flat":{"price":600}},"accounts":[{"name":"A1","plan":"flat","relay":0,"token":{"key":"a29ab82edc5fbbc41ec9530f6dac86b1","start":123456789}}],"meters":[{"name":"M1","account":"A1"}]}', 'END CONFIG', 'token A1 123456789', 'status'], 500, 60000);
  const imported = tok.lines.indexOf('configuration imported') >= 0;
  const tokenLow = tok.freePerCommand[4];
  console.log('  token entry       ' + (tok.lines.some((l) => /token identity|RECEIPT|token/.test(l)) && tokenLow !== undefined ? 'lowest free ' + pct(onBoard(tokenLow), total) + (imported ? '' : ' (the identity could not be configured: ' + (tok.lines.find((l) => l.indexOf('error') === 0) || '?') + ')') : 'not measured'));
  // One account and one meter more: free after each change, from `status`.
  const k = b.variables === 8190 ? 8 : 2;
  const grow = ['login 3333', 'status'];
  for (let i = 0; i < k; i++) grow.push('acct open R' + (10 + i) + ' plan=flat', 'status');
  // RS485 meters (Modbus ids 20, 21, ...): a board has only a few pulse inputs
  for (let i = 0; i < k; i++) grow.push('meter add P' + i + ' acct=R10 proto=modbus addr=' + (20 + i) + ' profile=sdm120', 'status');
  // In the rig (EEPROM a file of this computer): the check runner's EEPROM, pages in Storage,
  // costs the heap more with every configuration written, which is not the firmware's.
  const g = await runRig({ binary: bin, board: b, image: image(), commands: grow.map((line) => ({ line, afterMs: 400 })), timeoutMs: 180000, sampleMs: 0 });
  const f = statusFree(g);
  const opened = g.lines.filter((l) => /^account R\d+ opened$/.test(l)).length;
  const added = g.lines.filter((l) => /^meter P\d+ added/.test(l)).length;
  const perAccount = opened ? (f[0] - f[opened]) / opened : NaN;
  // The first bus meter also wires the bus (its poller, relay control, buffers): counted apart.
  const perMeter = added > 1 ? (f[opened + 1] - f[opened + added]) / (added - 1) : NaN;
  const firstBus = added ? f[opened] - f[opened + 1] : NaN;
  console.log('  per account       ' + (opened ? Math.round(perAccount) + ' variables (' + opened + ' opened)' : 'not measured: ' + (g.lines.find((l) => l.indexOf('error') === 0) || 'no account opened')));
  const refused = g.lines.filter((l) => l.indexOf('error') === 0).pop();
  console.log('  per meter         ' + (added > 1 ? Math.round(perMeter) + ' variables (' + added + ' Modbus meters added; the first, which wires the bus, ' + firstBus + ')' : 'not measured: ' + (refused || 'no meter added')) + (added && added < k && refused ? '; then ' + refused : ''));
}

/** The dormitory floor (33 accounts, 34 RS485 meters) booted from its EEPROM: the WiFi on its
 *  own heap; the Pico's image on its own heap and on the WiFi's larger one (what it needs); the
 *  floor grown to 64 accounts and 64 meters on the WiFi. */
async function floor(): Promise<void> {
  const f = floorEeprom(1);
  const big = espruinoWifiBinary()!;
  const empty = emptyFree(big);
  const w = await bootFloor('wifi', big, f);
  const runner = empty - w.freeBeforeBoot;
  const on = (free: number) => free + runner;
  console.log('dormitory floor from its EEPROM (33 accounts, 34 RS485 meters; runner ' + runner + ' added back)');
  console.log('  wifi              free at rest ' + pct(on(freeAtRest(w)), 8190) + ', lowest in a session ' + pct(on(w.lowest), 8190) + ', lowest at boot ' + pct(on(w.lowestBoot), 8190) + (w.errors.length ? '  ERRORS: ' + w.errors.join('; ') : ''));
  const p = await bootFloor('pico', big, f);
  const own = await bootFloor('pico', espruinoBinary()!, f);
  const used = (free: number) => p.freeBeforeBoot - free;
  console.log('  pico image        uses ' + used(freeAtRest(p)) + ' at rest, ' + used(p.lowest) + ' at the lowest in a session, ' + used(p.lowestBoot) + ' at the boot peak (of 5,100; measured on the 8,190 heap)');
  console.log('  pico              ' + (own.errors.length ? 'does not boot the floor: ' + own.errors[0] : 'free at rest ' + pct(on(freeAtRest(own)), 5100) + ', lowest ' + pct(on(own.lowest), 5100)));
  // The WiFi's goal configuration: the floor grown to 64 rooms, 64 meters.
  const g = await bootFloor('wifi', big, floorEeprom(1, undefined, { accounts: 64, meters: 64 }));
  console.log('  wifi, 64 and 64   free at rest ' + pct(on(freeAtRest(g)), 8190) + ', lowest in a session ' + pct(on(g.lowest), 8190) + ', lowest at boot ' + pct(on(g.lowestBoot), 8190) + (g.errors.length ? '  ERRORS: ' + g.errors.join('; ') : ''));
  // What an account and a meter cost at rest, from the floor grown: 31 accounts more (the
  // rooms without meters), then their 30 meters.
  const rooms = floorEeprom(1, undefined, { accounts: 64, meters: 34 });
  const wa = await bootFloor('wifi', big, rooms);
  const pa = await bootFloor('pico', big, rooms);
  const pg = await bootFloor('pico', big, floorEeprom(1, undefined, { accounts: 64, meters: 64 }));
  const costs = (r33: number, r64: number, r6464: number) => Math.round((r33 - r64) / 31) + ' variables an account, ' + Math.round((r64 - r6464) / 30) + ' a meter';
  console.log('  at rest, wifi     ' + costs(freeAtRest(w), freeAtRest(wa), freeAtRest(g)) + ' (33 and 34 -> 64 and 34 -> 64 and 64)');
  console.log('  at rest, pico     ' + costs(freeAtRest(p), freeAtRest(pa), freeAtRest(pg)) + ' (the same, its image on the 8,190 heap)');
  // A technician's session on each goal configuration with the meters answering while the unit
  // polls them (tools/floor-session.ts): the least free while each command runs.
  console.log('technician session with the meters answering (every command, a token, a configuration change; runner added back)');
  for (const [name, bin, shape, total] of [['pico, floor', espruinoBinary()!, {}, 5100], ['wifi, 64 and 64', big, { accounts: 64, meters: 64 }, 8190], ['wifi-mqtt, 64 and 64', big, { accounts: 64, meters: 64 }, 8190]] as [string, string, object, number][]) {
    const r = await floorSession({ board: name.split(',')[0], binary: bin, shape });
    const change = r.lines.find((l) => l === 'account R301 changed' || /^error: not applied/.test(l)) || 'no answer';
    const token = r.lines.some((l) => /^TOKEN R301 add/.test(l)) ? 'token taken' : 'token NOT taken';
    console.log('  ' + (name + ' ').padEnd(18) + 'lowest ' + pct(on(r.lowest), total) + '; ' + token + '; acct set: ' + change.replace(/^error: /, '') + (r.errors.length ? '  ERRORS: ' + r.errors.join('; ') : ''));
    console.log('    ' + r.commands.map((c) => c.line.split(' ').slice(0, 2).join(' ') + ' ' + on(c.lowest)).join(', '));
  }
  // The floor answering text messages on the Pico (tools/floor-sms.ts): inquiries, a token, a relay
  // switched off and back with codes, a forged code and a replay, each step a session opened
  // with `sms now` while the unit polls; its own runner (with the modem's line) added back.
  console.log('SMS on the floor, the meters and a virtual SIM800 answering (pico; runner added back)');
  const script = floorSmsScript();
  const m = await floorSms({ board: 'pico', binary: espruinoBinary()!, script });
  const mr = emptyFree(espruinoBinary()!) - m.freeBeforeBoot;
  const bad = receiptProblems(script, m.sent);
  console.log('  pico, floor       lowest ' + pct(m.lowest + mr, 5100) + ', in SMS sessions ' + pct(m.lowestModem + mr, 5100) + ' (at the modem\'s writes); ' + m.delivered.length + ' messages, ' + (bad.length ? 'receipts wrong: ' + bad.join('; ') : 'each answered with its receipt') + (m.errors.length ? '  ERRORS: ' + m.errors.join('; ') : ''));
  console.log('    ' + stepLabels(m).map((l, i) => l + ' ' + (m.commands[i].lowest + mr)).join(', '));
  // The floor reporting to a head-end (tools/floor-uplink.ts) on the GPRS Pico's build.
  console.log('uplink on the floor, GPRS Pico build, the meters, a virtual SIM800 and mosquitto answering (pico; runner added back)');
  const up = await floorUplink({ binary: espruinoBinary()! });
  const ur = emptyFree(espruinoBinary()!) - up.freeBeforeBoot;
  const rest = uplinkRest(up, ur);
  console.log('  pico-gprs, floor  free at rest ' + pct(rest.before, 5100) + ' before the first session, ' + pct(rest.after, 5100) + ' after the last; lowest ' + pct(up.lowest + ur, 5100) + ', at the modem\'s writes ' + pct(up.lowestModem + ur, 5100) + '; at the head-end ' + up.unit.stored + ' messages, ' + up.readings.length + ' readings, ' + up.ledger.length + ' ledger entries, ' + up.events.length + ' events; commands ' + up.sent.map((c) => c.status).join(', ') + (up.errors.length ? '  ERRORS: ' + up.errors.join('; ') : ''));
  console.log('    ' + up.commands.map((c) => c.line + ' ' + (c.lowest + ur)).join(', '));
  // The same on the WiFi's build with its uplink over WiFi (boards/wifi-mqtt.json), its rarely
  // used modules read from its code EEPROM.
  console.log('uplink on the floor, WiFi build with its uplink over WiFi, the meters and mosquitto answering (wifi; runner added back)');
  const wb = espruinoWifiBinary()!;
  for (const [label, shape] of [['floor', {}], ['64 and 64', { accounts: 64, meters: 64 }]] as [string, object][]) {
    const wu = await floorUplink({ binary: wb, board: 'wifi-mqtt', shape });
    const wr = emptyFree(wb) - wu.freeBeforeBoot;
    const wrest = uplinkRest(wu, wr);
    console.log('  ' + ('wifi-mqtt, ' + label + ' ').padEnd(18) + 'free at rest ' + pct(wrest.before, 8190) + ' before the first session, ' + pct(wrest.after, 8190) + ' after the last; lowest ' + pct(wu.lowest + wr, 8190) + '; at the head-end ' + wu.unit.stored + ' messages, ' + wu.readings.length + ' readings, ' + wu.ledger.length + ' ledger entries, ' + wu.events.length + ' events; commands ' + wu.sent.map((c) => c.status).join(', ') + (wu.errors.length ? '  ERRORS: ' + wu.errors.join('; ') : ''));
    console.log('    ' + wu.commands.map((c) => c.line + ' ' + (c.lowest + wr)).join(', '));
  }
}

async function main(): Promise<void> {
  for (const name of ['pico', 'wifi', 'wifi-mqtt']) await board(name);
  await floor();
  console.log('goals (issue "The whole unit on a Pico"): at least 50% free at steady state and 15% at the lowest, with 33 accounts and 34 RS485 meters on the Pico, 64 and 64 on the WiFi');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
