// Boot, an on-demand module (firmware/modules.ts): reads the EEPROM, picks the configuration
// (the committed one, else the factory one given), restores balances, registers and token
// counters, says what it found, wires the meters and brings every relay to the state the rules
// want. Runs once; its code leaves the heap afterwards.
import { parseConfig, RawConfig } from './config';
import { EMPTY_RAW, Unit } from './unit';

/** The boot module's entry: configures and starts a freshly made unit. */
export type BootEntry = (u: Unit, config: unknown) => void;

/** Boots unit u; `config` is the factory configuration, used when the EEPROM holds none. */
export function bootUnit(u: Unit, config: unknown): void {
  const hal = u.hal;
  const storage = u.storage;
  const b = storage ? storage.boot() : null;
  const report: string[] = b ? b.report.slice() : [];
  let raw = config as RawConfig;
  if (b && b.configText !== null) {
    try {
      raw = JSON.parse(b.configText);
    } catch (e) {
      report.push('saved configuration is not JSON: factory configuration used');
    }
  }
  let parsed = parseConfig(raw);
  if (!parsed.ok) {
    hal.print('ERROR config: ' + parsed.error + ' - starting with no accounts');
    raw = EMPTY_RAW;
    parsed = parseConfig(raw);
  }
  if (parsed.ok) u.core = u.newCore(parsed.value);
  u.raw = raw;
  const core = u.core;
  // Money entries a cut kept from the event log: found before anything is logged at this boot.
  let lost: string[] = [];
  if (storage && b) {
    const restored = storage.restore(core, u.tokens);
    lost = storage.unlogged();
    for (let i = 0; i < restored.length; i++) report.push(restored[i]);
    if (b.configText === null || b.formatted || storage.store.configGen === 0) {
      if (!storage.config(JSON.stringify(raw), core, [])) report.push('could not save the configuration: ' + storage.error);
    }
    const mig = storage.migrate(core, u.tokens);
    if (mig) report.push(mig);
  }
  u.log(-1, 'boot', 'boot');
  for (let i = 0; i < report.length; i++) {
    hal.print('STORAGE ' + report[i]);
    u.log(-1, 'boot', report[i]);
  }
  // Logged under the entry's own kind ("ledger #7 a0 topup ..."), so filters find it.
  for (let i = 0; i < lost.length; i++) u.log(-1, lost[i].split(' ')[3] || 'ledger', lost[i]);
  if (u.parts && u.parts.metering) {
    u.metering = u.parts.metering(u);
    u.metering.build();
  }
  const t = u.time();
  if (u.timeValid !== core.timeValid) u.carry(core.handle({ t: 'clock', time: t, valid: u.timeValid }));
  const ds = core.start(u.time());
  u.persist(ds, -1);
  u.carry(ds);
  u.freezeDue(u.time());
  if (u.metering) u.metering.emitPulses(); // the pulse registers' baseline
  hal.print(u.statusLine());
}
