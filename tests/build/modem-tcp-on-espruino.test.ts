// The modem's TCP link (hal/modem-tcp.ts) on espruino-pico: against a scripted SIM800
// (fixtures/modem-tcp-samples.ts) it writes the same AT dialogue and the same bytes, and hands
// over the same bytes, as in Node: every byte value through "+IPD" in slices, look-alikes of the
// module's words inside the data, data before the prompt, each failure closed once and the module
// closed after it. And the heap a connection takes on the board.
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { checkBundle, espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { hex, incoming, modemTcpRun } from './fixtures/modem-tcp-samples';

const OPEN = ['listen', 'power true', 'AT', 'ATE0', 'AT+CIPSHUT', 'AT+CIPMUX=0', 'AT+CIPHEAD=1', 'AT+CSTT="cmnet","u","p"', 'AT+CIICR', 'AT+CIFSR', 'AT+CIPSTART="TCP","example.org","1883"'];
const CLOSE = ['AT+CIPCLOSE=1', 'AT+CIPSHUT', 'unlisten', 'gone'];

describe('the modem\'s TCP link on espruino-pico', () => {
  it('speaks the dialogue and passes every byte as Node does', async () => {
    const run = modemTcpRun();
    // what the run must show, in Node first
    const all = incoming().substr(0, 256);
    let at = 0;
    const next = (want: string[]) => {
      expect(run.slice(at, at + want.length)).toEqual(want);
      at += want.length;
    };
    next(['open at 0'].concat(OPEN, ['AT+CIPSEND=258', 'data ' + hex(all + 'xy'), 'rx ' + hex(incoming() + '\r\n')]));
    next(['AT+CIPSEND=1', 'data 50', 'AT+CIPSEND=1', 'data 51', 'rx ' + hex('\r\n> \r\n> ')]);
    next(['AT+CIPCLOSE=1', 'closed at 705', 'AT+CIPSHUT', 'unlisten', 'gone']);
    // refused: after CONNECT FAIL
    next(['open at 900'].concat(OPEN, ['AT+CIPCLOSE=1', 'closed at 945', 'AT+CIPSHUT', 'unlisten', 'gone']));
    // SEND FAIL
    next(['open at 1400'].concat(OPEN, ['AT+CIPSEND=1', 'data 73', 'AT+CIPCLOSE=1', 'closed at 1910', 'AT+CIPSHUT', 'unlisten', 'gone']));
    // no prompt: 5 s
    next(['open at 2000'].concat(OPEN, ['write at 2500', 'AT+CIPSEND=1', 'AT+CIPCLOSE=1', 'closed at 7500', 'AT+CIPSHUT', 'unlisten', 'gone']));
    // closed by the unit: no closed()
    next(['open at 8500'].concat(OPEN, CLOSE));
    // silent: three AT 2 s apart, nothing to close
    next(['open at 9100', 'listen', 'power true', 'AT', 'AT', 'AT', 'unlisten', 'gone', 'closed at 15100', 'end at 16100, timers 0']);
    expect(at).toBe(run.length);

    const code = await bundleEntry('tests/build/fixtures/modem-tcp-main.ts', '');
    expect(checkBundle(code, { boot: false })).toEqual([]);
    const lines = runOnEspruino(code, espruinoBinary()!);
    const get = (k: string) => JSON.parse(lines.find((l) => l.startsWith(k + ' '))!.substr(k.length + 1));
    expect(get('RUN')).toEqual(run);
    const mem: { [at: string]: number } = {};
    for (const m of get('MEM') as string[]) mem[m.split(' ')[0]] = +m.split(' ')[1];
    // the link made and idle (127 variables measured; the code is in RAM in this run, and the
    // minifier puts the reader of the module's bytes inside the callback made for each link: 85
    // while the driver was a class); one connection up, nothing out (about 215, the run's own
    // callbacks and hand-made clock among them)
    console.log('modem TCP link on espruino-pico, variables: made', mem.made - mem.before, ', a connection up', mem.up - mem.before);
    expect(mem.made - mem.before).toBeLessThan(140);
    expect(mem.up - mem.before).toBeLessThan(240);
    // a run's link, once let go, is collected: on Espruino a chain of about seven method calls on
    // one object locks it for good (fifteen locks, the most a variable counts), and the driver
    // was such a chain until it was made a record and functions (765 variables were left, the
    // driver shown locked fifteen times)
    expect(get('LEFT')).toBeLessThan(10);
  }, 60000);
});
