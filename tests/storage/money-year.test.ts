// Issue 11, last item: the money log is sized for a year of a 32-room floor at realistic rates,
// on the part the boards carry (boards/*.json, the simulator's default part). A unit on a virtual
// EEPROM of that part takes a year of the dormitory's money entries (3.2 a day), among the events
// it logs (logins, commands, relay modes and switching, freezes): none is overwritten. At the busy
// rate (7.7 a day) the log reaches back as far as README.md and docs/storage.md say, and no further.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { DEFAULT_PART, PARTS, StorageRig } from '../../sim/storage-rig';
import { VirtualClock } from '../../sim/virtual-clock';
import { layoutFor } from '../../firmware/storage/store';
import { readLog } from '../../firmware/storage/history';

const ROOMS = 32;
const room = (i: number) => 'R' + String(101 + (i % ROOMS));
const CONFIG = {
  plans: { flat: { price: 600 } },
  accounts: Array.from({ length: ROOMS }, (_, i) => ({ name: room(i), plan: 'flat' })),
  meters: Array.from({ length: ROOMS }, (_, i) => ({ name: 'M' + (101 + i), account: room(i) })),
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};
const T0 = 1772352000; // 2026-03-01 08:00 UTC
const DAY = 86400;
/** The boards' part: the year has to fit what the boards carry. */
const BOARD_PART = JSON.parse(fs.readFileSync(path.join(__dirname, '../../boards/pico.json'), 'utf8')).eeprom;

/** A unit of the floor on a virtual EEPROM of `part`, its console, its clock (RTC time = T0 + ms). */
class Floor {
  readonly clock = new VirtualClock();
  readonly rig: StorageRig;
  unit: Unit;
  /** Money entries made so far. */
  entries = 0;
  private out: string[] = [];

  constructor(part: string) {
    this.rig = new StorageRig({ now: () => this.clock.now(), startEpoch: T0, part });
    this.unit = this.boot();
  }

  boot(): Unit {
    const r = new StorageRig({ now: () => this.clock.now(), chip: this.rig.chip, clock: this.rig.clock });
    return (this.unit = startUnit({ load: nodeModules, clock: this.clock, print: (l) => this.out.push(l), eeprom: r.eeprom, rtc: r.rtc }, CONFIG));
  }

  say(line: string): string[] {
    this.out.length = 0;
    this.unit.input(line + '\r\n');
    return this.out.slice();
  }

  /** `perDay` money entries a day for `days` days, round the rooms (every 16th a refund), each at
   *  its own login, with a room's relay switched off and back to automatic after three entries of
   *  four: with the command and alarm events of each top-up, about 17 events a day at the
   *  dormitory's rate, as on that floor. */
  run(perDay: number, days: number): void {
    const until = this.entries + Math.round(perDay * days);
    const step = (DAY * 1000) / perDay;
    while (this.entries < until) {
      this.clock.advanceTo(Math.round(this.entries * step));
      const k = this.entries++;
      this.say('login 2000');
      // (a refund goes to the room that topped up just before)
      const r = this.say(k % 16 === 15 ? 'refund ' + room(k - 1) + ' 1' : 'topup ' + room(k) + ' ' + (20 + (k % 7)));
      expect(r[0], r.join('\n')).toMatch(/^RECEIPT #\d+ /);
      if (k % 4) {
        this.say('relay ' + room(k + 5) + ' off');
        this.say('relay ' + room(k + 5) + ' auto');
      }
      this.say('logout');
    }
  }

  /** The money log's count of entries written over, as `log` ends. */
  overwritten(acct: string): { money: number; events: number; lines: string[] } {
    this.say('login 1000');
    const lines = this.say('log acct=' + acct + ' n=1000');
    const m = lines.map((l) => /^\(older entries overwritten: money log (\d+), event log (\d+)\)$/.exec(l)).find((x) => x);
    expect(m, lines.join('\n')).toBeTruthy();
    return { money: +m![1], events: +m![2], lines };
  }
}

describe('a year of money entries on the boards\' part (issue 11)', () => {
  it('the boards carry the AT24CM01, and the simulator gives a unit the same part', () => {
    expect(BOARD_PART.part).toBe('AT24CM01');
    expect(DEFAULT_PART).toBe(BOARD_PART.part);
    expect([PARTS[DEFAULT_PART].size, PARTS[DEFAULT_PART].pageSize]).toEqual([BOARD_PART.size, BOARD_PART.pageSize]);
    // the figure README.md and docs/storage.md state
    expect(layoutFor(BOARD_PART.size, BOARD_PART.pageSize).moneySlots).toBe(1529);
  });

  it('at the dormitory\'s 3.2 a day, a year (1,168 entries among about 6,000 events): nothing overwritten, the first top-up still listed, after a reboot too', () => {
    const f = new Floor(BOARD_PART.part);
    expect(f.unit.storage!.store.money.slots).toBe(1529);
    f.run(3.2, 365);
    expect(f.entries).toBe(1168);
    const events = f.unit.storage!.store.events.seq;
    expect(events / 365).toBeGreaterThan(16);
    expect(events / 365).toBeLessThan(20);
    for (const reboot of [false, true]) {
      if (reboot) f.boot();
      const o = f.overwritten(room(0));
      expect(o.money).toBe(0);
      // the event log, 102 slots, went round many times meanwhile
      expect(o.events).toBeGreaterThan(5000);
      const topups = o.lines.filter((l) => / ledger #\d+ R101 topup /.test(l));
      expect(topups.length).toBe(Math.ceil(1168 / ROOMS));
      expect(topups[topups.length - 1]).toBe('2026-03-01 08:00:00 ledger #1 R101 topup 20.000 balance 20.000');
      expect(f.unit.storage!.store.money.seq).toBe(1168);
    }
  }, 120000);

  it('the same year on a 64 KB part (AT24C512, 306 entries) keeps only its last 3 months', () => {
    const f = new Floor('AT24C512');
    f.run(3.2, 365);
    const o = f.overwritten(room(0));
    expect(o.money).toBe(1168 - 306);
    expect(o.lines.some((l) => / ledger #1 R101 topup /.test(l))).toBe(false);
  }, 120000);

  it('at the busy 7.7 a day, the log reaches back 6 months and not 7 (1,529 entries)', () => {
    const f = new Floor(BOARD_PART.part);
    // 6 months (182 days): 1,401 entries, none overwritten
    f.run(7.7, 182);
    expect(f.entries).toBe(1401);
    let o = f.overwritten(room(0));
    expect(o.money).toBe(0);
    expect(o.lines.some((l) => / ledger #1 R101 topup /.test(l))).toBe(true);
    // 7 months (213 days): the oldest are gone, each counted
    f.run(7.7, 213 - 182);
    expect(f.entries).toBe(1640);
    o = f.overwritten(room(0));
    expect(o.money).toBe(1640 - 1529);
    expect(o.lines.some((l) => / ledger #1 R101 topup /.test(l))).toBe(false);
    // what is left reaches back 1,529 entries, 198 days at 7.7 a day: entries #112 to #1640
    // (`log` lists 1,000 at most: the rings are read here as it reads them)
    const st = f.unit.storage!.store;
    const kept: [number, number][] = [];
    readLog(st.events, st.money, { account: '', kind: '', from: 0, to: 1e12 }, 100000, (t, a, k, x) => {
      if (k === 'topup' || k === 'refund') kept.push([t, +/^ledger #(\d+) /.exec(x)![1]]);
    });
    expect(kept.length).toBe(1529);
    expect([kept[kept.length - 1][1], kept[0][1]]).toEqual([1640 - 1529 + 1, 1640]);
    const days = (kept[0][0] - kept[kept.length - 1][0]) / DAY;
    expect(days).toBeGreaterThan(196);
    expect(days).toBeLessThan(201);
  }, 120000);
});
