import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { boardNames, buildBoard, imageOnLinux, loadBoard, sizeReport, terminateBareReturns, validateBoard } from '../../tools/build';
import { bootInStrippedContext, bootOnEspruino, checkBundle, espruinoBinary, espruinoWifiBinary, runOnEspruino, slowIfEmulated } from '../../tools/espruino-check';

const ROOT = path.resolve(__dirname, '../..');
// Accounts the WiFi image holds when it takes a configuration of IMPORTED accounts and then
// opens more from the console until it refuses (measured 2026-12-04: 62; 35 on 2026-12-03,
// opened one at a time beside the 4 factory accounts; goal: 64 with 64 meters). Opening
// rebuilds the configuration; since 2026-12-05 the `cfg` module also carries the changes made in
// place (`acct set`, `tariff set`) and the streamed configuration write: 60 and 61 with the
// first, 59 with both (a run varies by one); 58 before and 60 after the heap's small integers
// were kept as integers, not floats (2026-12-06, docs/memory.md row 25); 61 once the board deletes
// the built-in objects Espruino keeps in its root (row 26).
const IMPORTED = 50;
const ACCOUNTS_ON_WIFI = 60;
// One build of each board for the tests that only run its image (a build takes 10-20 s).
const images: { [name: string]: ReturnType<typeof buildBoard> } = {};
const imageOf = (name: string) => (images[name] = images[name] || buildBoard(name, { write: false, espruino: false }));
const pico = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'boards/pico.json'), 'utf8'));

describe('board files', () => {
  it('lists pico and wifi, and both are valid', () => {
    expect(boardNames()).toEqual(expect.arrayContaining(['pico', 'wifi']));
    for (const b of boardNames()) expect(validateBoard(JSON.parse(fs.readFileSync(path.join(ROOT, 'boards', b + '.json'), 'utf8')))).toEqual([]);
    expect(loadBoard('pico').variables).toBe(5100);
    expect(loadBoard('wifi').rs485.uart).not.toBe('Serial2'); // the ESP8266 owns Serial2 on the WiFi
  });

  it('names the field of a schema error', () => {
    const b = pico();
    b.rs485.de = 'Z9';
    delete b.rtc;
    b.relays[1].colour = 'red';
    b.watchdogSeconds = 60;
    const errors = validateBoard(b);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rs485\.de: must match pattern/),
        'rtc: missing',
        'relays[1]: unknown field "colour"',
        expect.stringMatching(/^watchdogSeconds: must be <= 26/),
      ])
    );
  });

  it('rejects a pin used twice and pulse pins the STM32 cannot watch together', () => {
    const b = pico();
    b.relays[0].pin = 'A1';
    b.pulseInputs = ['B13', 'A13'];
    expect(validateBoard(b)).toEqual([
      'relays[0].pin: pin A1 is already used by rs485.de',
      'pulseInputs[1]: A13 has the same pin number as B13 (the STM32 cannot watch both)',
    ]);
  });

  it('a code EEPROM: not at the data EEPROM\'s or the RTC\'s address, its modules not also compressed in flash', () => {
    const w = JSON.parse(fs.readFileSync(path.join(ROOT, 'boards/wifi-mqtt.json'), 'utf8'));
    expect(validateBoard(w)).toEqual([]);
    expect(w.codeEeprom).toMatchObject({ part: 'AT24C512', address: 0x54, size: 65536 });
    const with_ = (ce: object, extra: object = {}) => validateBoard({ ...w, ...extra, codeEeprom: { ...w.codeEeprom, ...ce } });
    expect(with_({ address: 0x51 })).toEqual(["codeEeprom.address: 0x51 is the data EEPROM's"]);
    expect(with_({ address: 0x68 })).toEqual(['codeEeprom.address: same I2C address as the RTC']);
    expect(with_({ size: 131072 })).toEqual([expect.stringMatching(/^codeEeprom\.size: must be <= 65536/)]);
    expect(with_({}, { compressedModules: ['tok'] })).toEqual(['codeEeprom.modules: "tok" is in compressedModules too (the code EEPROM keeps its modules compressed)']);
  });

  it('the boards carry an AT24CM01; a part above 64 KB needs a base address its address bits leave free', () => {
    for (const name of ['pico', 'wifi']) expect(loadBoard(name).eeprom).toEqual({ part: 'AT24CM01', address: 0x50, size: 131072, pageSize: 256, writeMs: 5 });
    const errorsWith = (eeprom: object, rtc = 0x68) => {
      const b = pico();
      b.eeprom = { ...b.eeprom, ...eeprom };
      b.rtc.address = rtc;
      return validateBoard(b);
    };
    expect(errorsWith({ address: 0x52 })).toEqual([]);
    expect(errorsWith({ address: 0x51 })).toEqual(['eeprom.address: 0x51 cannot be a 128 KB part\'s: it answers at 2 addresses, for address bits 16, from 0x50, 0x52, 0x54, 0x56']);
    expect(errorsWith({ part: 'AT24CM02', size: 262144, address: 0x54, writeMs: 10 })).toEqual([]);
    expect(errorsWith({ part: 'AT24CM02', size: 262144, address: 0x52, writeMs: 10 })).toEqual(['eeprom.address: 0x52 cannot be a 256 KB part\'s: it answers at 4 addresses, for address bits 16 and 17, from 0x50, 0x54']);
    expect(errorsWith({ part: 'AT24C256', size: 32768, pageSize: 64, address: 0x51 })).toEqual([]);
    expect(errorsWith({ size: 196608 })).toEqual(['eeprom.size: above 64 KB, 131072 (AT24CM01) or 262144 (AT24CM02)']);
    expect(errorsWith({ size: 524288 })).toEqual([expect.stringMatching(/^eeprom\.size: must be <= 262144/)]);
    // the RTC cannot sit at the upper half's address
    expect(errorsWith({}, 0x51)).toEqual(['rtc.address: same I2C address as the EEPROM']);
  });

  it('reports an unknown board with the known ones', () => {
    expect(() => loadBoard('nope')).toThrow(/unknown board "nope" \(known: .*pico.*wifi/);
  });
});

describe('the real interpreters', () => {
  it('are in ../shared/espruino/ with the boards\' heaps (Pico 5,100, WiFi 8,190 variables)', () => {
    for (const [bin, total] of [[espruinoBinary(), 5100], [espruinoWifiBinary(), 8190]] as [string | null, number][]) {
      expect(bin, 'the interpreter with a ' + total + '-variable heap').not.toBeNull();
      expect(runOnEspruino('print("TOTAL " + process.memory().total);', bin!)).toContain('TOTAL ' + total);
    }
  });
});

describe('firmware build for each board', () => {
  for (const name of ['pico', 'wifi']) {
    it(name + ': builds, passes the Espruino check and boots in the stripped context', async () => {
      // (the Pico's as `npm run build` makes it, booted on the Linux interpreter too; the WiFi's as
      // the other tests build it, from the build cache: one build fewer in CI)
      const r = name === 'pico' ? await buildBoard(name, { write: false }) : await imageOf(name);
      expect(r.findings).toEqual([]);
      expect(r.bytes).toBeGreaterThan(1000);
      expect(sizeReport(r)[0]).toMatch(/bytes/);
      // the check again, independently of the build
      expect(checkBundle(r.code, { modules: r.modules })).toEqual([]);
      const boot = bootInStrippedContext(r.code, { modules: r.modules });
      expect(boot.findings).toEqual([]);
      expect(boot.lines.some((l) => /^STATUS accounts=\d+ /.test(l))).toBe(true);
      // production build: the REPL is moved off the field ports, the watchdog runs and is kicked
      expect(boot.calls).toContain('LoopbackA.setConsole true');
      expect(boot.calls.some((c) => /^E\.enableWatchdog 10 false$/.test(c))).toBe(true);
      expect(boot.calls.filter((c) => c === 'E.kickWatchdog').length).toBeGreaterThan(5);
      // statements stay separate (no giant sequence): many lines, none huge
      const lines = r.code.split('\n');
      expect(lines.length).toBeGreaterThan(100);
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(4000);
      // the technician console answers on the board's console port
      const answer = boot.type!('login 3333\r');
      expect(answer).toContain('signed in as technician');
    }, slowIfEmulated(180000));
  }

  it('its image boots on the real interpreter (Espruino Linux build, Pico-sized heap) from flash', async () => {
    const r = await imageOf('pico');
    // A working session on the board: the EEPROM (emulated in the runner) is formatted at
    // boot, then a top-up is committed, the log and the freeze records are read back.
    const run = bootOnEspruino(imageOnLinux(r.code, loadBoard('pico'), r.modules), espruinoBinary()!, ['login 3333', 'status', 'topup A1 12.5', 'acct A1', 'log n=5', 'freeze day', 'time set 2026-01-02 00:01', 'acct set A2 limit=2', 'status']);
    expect(run.findings).toEqual([]);
    expect(run.lines.some((l) => l.indexOf('STATUS ') === 0)).toBe(true);
    expect(run.lines).toContain('STORAGE EEPROM blank: formatted, starting from factory defaults');
    expect(run.lines).toContain('signed in as technician');
    expect(run.lines.some((l) => /^RECEIPT #1 .* A1 topup 12\.500 balance 12\.500/.test(l))).toBe(true);
    expect(run.lines.some((l) => /ledger #1 A1 topup 12\.500 balance 12\.500/.test(l))).toBe(true);
    // The factory configuration's accounts are few: the change, made in place, is taken.
    const refusal = /^error: not applied: too little memory for this (configuration|change) \(needs about \d+ variables, \d+ free\)$/;
    expect(run.lines).toContain('account A2 changed');
    expect(run.lines.filter((l) => l.indexOf('error') === 0 && !refusal.test(l))).toEqual([]);
    // Room left to work in, on the 32-bit interpreter with a Pico's heap (the lowest free is
    // sampled at every line printed and every EEPROM write, so a module's peak counts). Gates at
    // what the code reaches, tightened as the memory redesign lands (docs/memory.md): measured
    // 2026-12-03 with meter reading built in, about 1,240 free after boot (this runner's own
    // variables included) and about 190 at the lowest, with the configuration module loaded;
    // tables packed into shared buffers: about 1,340 after boot.
    expect(run.freeAfterBoot).toBeGreaterThan(1250);
    expect(run.minFreeInSession).toBeGreaterThan(150);
  }, slowIfEmulated(180000));

  it('the WiFi build reads meters on the real interpreter with a WiFi-sized heap', async () => {
    const r = await imageOf('wifi');
    const run = bootOnEspruino(
      imageOnLinux(r.code, loadBoard('wifi'), r.modules),
      espruinoWifiBinary()!,
      ['login 3333', 'meter add D1 acct=A2 proto=dlt645 addr=000000000001', 'meter add P1 acct=A3 proto=pulse addr=0', 'meter', 'acct set A1 limit=2', 'status', 'meter read D1'],
      6000,
    );
    expect(run.findings).toEqual([]);
    expect(run.lines).toContain('meter D1 added to A2');
    expect(run.lines).toContain('meter P1 added to A3');
    expect(run.lines.some((l) => /^D1\s+A2\s+dlt645\s+000000000001/.test(l))).toBe(true);
    expect(run.lines).toContain('account A1 changed');
    // nothing answers on the emulated bus: the read times out after its retries
    expect(run.lines).toContain('error: meter D1 did not answer: timeout');
    expect(run.minFreeInSession).toBeGreaterThan(1000);
  }, slowIfEmulated(180000));

  it('the WiFi build opens accounts from the console until its heap is full, then refuses whole', async () => {
    const r = await imageOf('wifi');
    // A configuration of IMPORTED accounts at once (typing them one by one takes minutes under
    // emulation), then accounts opened one at a time until the unit refuses.
    const accounts: string[] = [];
    for (let i = 1; i <= IMPORTED; i++) accounts.push('{"name":"R' + i + '","plan":"flat"}');
    const text = '{"plans":{"flat":{"price":600}},"accounts":[' + accounts.join(',') + '],"meters":[{"name":"M1","account":"R1"}]}';
    const paste: string[] = [];
    for (let i = 0; i < text.length; i += 200) paste.push(text.substr(i, 200));
    const opens: string[] = [];
    for (let i = IMPORTED + 1; i <= IMPORTED + 24; i++) opens.push('acct open R' + i + ' plan=flat');
    const run = bootOnEspruino(imageOnLinux(r.code, loadBoard('wifi'), r.modules), espruinoWifiBinary()!, ['login 3333', 'config import'].concat(paste, ['END CONFIG'], opens, ['acct', 'status']), 2000, 240000);
    // never out of memory: every change either lands or is refused before anything changes
    expect(run.findings).toEqual([]);
    expect(run.lines).toContain('configuration imported');
    const opened = run.lines.filter((l) => /^account R\d+ opened$/.test(l)).length;
    const refused = run.lines.filter((l) => /^error: not applied: too little memory for this configuration \(needs about \d+ variables, \d+ free\)$/.test(l)).length;
    expect(opened + refused).toBe(opens.length);
    expect(refused).toBeGreaterThan(0);
    // the account list holds exactly the imported and opened ones, and the unit still answers
    console.log('WiFi image: ' + IMPORTED + ' accounts imported, ' + opened + ' opened, then ' + refused + ' refused');
    const listed = run.lines.filter((l) => /^R\d+\s/.test(l)).length;
    expect(listed).toBe(IMPORTED + opened);
    expect(run.lines.some((l) => l.indexOf('time ') === 0)).toBe(true);
    // Gate at what the code reaches (docs/memory.md); the goal is 64 accounts and 64 meters.
    expect(IMPORTED + opened).toBeGreaterThanOrEqual(ACCOUNTS_ON_WIFI);
  }, slowIfEmulated(300000));

  it('every console command runs on the Pico image on the real interpreter', async () => {
    const r = await imageOf('pico');
    const typed = [
      'status', 'login 1234', 'login 3333', 'help', 'help acct', 'json on', 'status', 'json off', 'time', 'acct',
      'acct open R9 plan=flat alarms=30,20,10 limit=2 reconnect=5 max=500', 'acct set A4 alarms=30,20,10 limit=3 reconnect=5 max=500', 'tariff', 'tariff flat',
      'topup A4 40', 'refund A4 5', 'log n=5', 'correct 2', 'relay A4 off', 'relay A4 auto', 'relay A4 on', 'relay A4 reset', 'acct A4',
      'token A4 123456789', 'freeze day', 'meter', 'config export', 'acct close A4', 'acct close A4', 'topup NOPE 5', 'logout', 'status',
    ];
    const run = bootOnEspruino(imageOnLinux(r.code, loadBoard('pico'), r.modules), espruinoBinary()!, typed, 300);
    expect(run.findings).toEqual([]);
    const has = (re: RegExp) => expect(run.lines.some((l) => re.test(l)), String(re)).toBe(true);
    has(/^error: status needs the read role, sign in with: login <pin>$/);
    has(/^error: wrong PIN \(4 tries left before a lock-out\)$/);
    has(/^factory-reset yes$/);
    has(/^acct: list; acct R1: details; acct open R1 plan=P/);
    has(/^\{"ok":true,"cmd":"status",.*"accounts":4,/);
    // A fifth account fits (refused whole for memory before 2026-12-04).
    has(/^account R9 opened$/);
    // A change of the 4 factory accounts is taken (refused for memory before 2026-12-04).
    has(/^account A4 changed$/);
    has(/^plan flat, alarms 30\.000,20\.000,10\.000, limit 3\.000, reconnect 5\.000, max 500\.000$/);
    has(/^flat \{"price":600\}$/);
    has(/^RECEIPT #2 .* A4 refund -5\.000 balance 35\.000 by technician$/);
    has(/^RECEIPT #3 .* A4 correction 5\.000 balance 40\.000 by technician$/);
    has(/^A4 relay off, mode off$/);
    has(/^A4 relay on, mode auto$/);
    has(/^error: account A4 has no token identity/);
    has(/^BEGIN CONFIG$/);
    has(/^END CONFIG$/);
    // closing an account is a configuration change too: done whole (refund, closing record)
    has(/^account A4 closed$/);
    has(/^RECEIPT #4 .* A4 refund -40\.000 balance 0\.000 by technician$/);
    has(/^error: no account "A4" \(see: acct\)$/);
    has(/^signed out$/);
    // Gate at what the code reaches (measured 2026-12-04: 323, sampled, at a change's peak;
    // the changes' estimate keeps a fifth of their need spare).
    expect(run.minFreeInSession).toBeGreaterThan(250);
  }, slowIfEmulated(180000));

  it('a development build keeps the REPL on USB', async () => {
    const r = await buildBoard('pico', { write: false, production: false, espruino: false });
    const boot = bootInStrippedContext(r.code, { modules: r.modules });
    expect(boot.ok).toBe(true);
    expect(boot.calls).toContain('USB.setConsole true');
    expect(boot.calls).not.toContain('LoopbackA.setConsole true');
  }, slowIfEmulated(180000));
});

describe('bare returns', () => {
  it('every bare return gets its semicolon (Espruino would return the next line)', () => {
    expect(terminateBareReturns('function f(s){if(s)return\ng()\nreturn 9}')).toBe('function f(s){if(s)return;\ng()\nreturn 9}');
    expect(terminateBareReturns('function h(){return}')).toBe('function h(){return;}');
    expect(terminateBareReturns('function k(){return;}')).toBe('function k(){return;}');
  });
});
