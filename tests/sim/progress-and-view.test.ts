// The progress bar (only on a terminal) and the simulator's one window into the unit.
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { progressBar, simTime } from '../../sim/progress';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';
import * as view from '../../sim/unit-view';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

/** A stream that says it is (or is not) a terminal and keeps what is written. */
function stream(tty: boolean): NodeJS.WriteStream & { text: string } {
  const s = new Writable({
    write(chunk, _enc, done) {
      (s as any).text += String(chunk);
      done();
    },
  }) as any;
  s.text = '';
  s.isTTY = tty;
  s.columns = 120;
  s.cursorTo = (_x: number, _y?: unknown, cb?: () => void) => (typeof cb === 'function' ? cb() : true);
  s.clearLine = (_d: number, cb?: () => void) => (typeof cb === 'function' ? cb() : true);
  s.moveCursor = (_x: number, _y: number, cb?: () => void) => (typeof cb === 'function' ? cb() : true);
  return s;
}

describe('progress bar', () => {
  it('on a terminal: simulated time, readings per second and time left; elsewhere nothing', () => {
    const tty = stream(true);
    const bar = progressBar(7 * 86400, true, tty);
    bar.update(2 * 86400 + 3600, 1234567);
    bar.stop();
    expect(tty.text).toMatch(/\d+% \| 2 d 01 h of 7 d 00 h simulated \| [\d,]+ readings\/s \| .* left/);
    const pipe = stream(false);
    const quiet = progressBar(86400, true, pipe);
    quiet.update(100, 10);
    quiet.stop();
    expect(pipe.text).toBe('');
    const off = stream(true);
    progressBar(86400, false, off).update(5, 5);
    expect(off.text).toBe('');
    expect(simTime(3 * 3600 + 20 * 60)).toBe('3 h 20 min');
  });
});

describe('unit view', () => {
  it('reads names, balances, relays, registers and limits as the run reports them', () => {
    const s = JSON.parse(JSON.stringify(example));
    s.durationHours = 6;
    const r = parseScenario(s);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const sim = new Simulation(r.value, () => undefined);
    const sum = sim.run();
    const u = sim.unit;
    expect(view.accountNames(u)).toEqual(sum.accounts.map((a) => a.name));
    expect(view.accountCount(u)).toBe(33);
    expect(view.meterCount(u)).toBe(34);
    expect(view.meterNames(u)[33]).toBe('M-HEAT');
    expect(view.meterAccount(u, 33)).toBe(view.accountIndex(u, 'COMMON'));
    expect(view.meterIndex(u, 'M-HEAT')).toBe(33);
    expect(view.accountIndex(u, 'nobody')).toBe(-1);
    sum.accounts.forEach((a, i) => {
      expect(view.balanceOf(u, i)).toBe(a.balanceMilli);
      expect(view.energyWhOf(u, i)).toBe(a.energyWh);
      expect(view.chargedOf(u, i)).toBe(a.chargedMilli);
      expect(view.periodWhOf(u, i).reduce((x, y) => x + y, 0)).toBe(a.energyWh);
    });
    expect(view.relayClosed(u, view.accountIndex(u, 'R332'))).toBe(false);
    expect(view.modeOf(u, view.accountIndex(u, 'R332'))).toBe('off');
    expect(view.modeOf(u, view.accountIndex(u, 'R316'))).toBe('on');
    expect(view.creditLimitOf(u, 0)).toBe(2000);
    expect(view.meterMaxPowerW(u, 0)).toBe(13800);
    expect(view.lastBilledWh(u, 0)).toBe(100000 + sum.accounts[0].energyWh);
    expect(view.utcOffsetS(u)).toBe(8 * 3600);
    expect(view.busStats(u)).toBeNull();
    expect(view.PERIOD_NAMES).toEqual(['sharp', 'peak', 'flat', 'valley', 'no-time']);
    // every event the core takes, once, however often it is asked to watch
    const seen: string[] = [];
    view.watchCoreEvents(u, (ev) => seen.push(ev.t));
    view.watchCoreEvents(u, (ev) => seen.push('twice ' + ev.t));
    u.handle({ t: 'tick', time: sim.now });
    expect(seen).toEqual(['tick']);
    const token = view.layoutToken(u);
    u.input('login 3333\nacct open R399 plan=flat\n');
    expect(view.layoutToken(u)).not.toBe(token);
    expect(view.accountIndex(u, 'R399')).toBe(33);
  });
});
