// The AT channel (hal/at.ts) against transcripts in the style of the modules' manuals (SIM800
// series AT command manual, SIM7600 and Quectel EC2x manuals): echo on, unsolicited result codes
// between a command and its answer, lines split across reads, +CME/+CMS errors, the CMGS prompt,
// a message's text that looks like a result code, timeouts.
import { describe, expect, it } from 'vitest';
import { AtChannel, atFields } from '../../hal/at';
import { VirtualClock } from '../../sim/virtual-clock';

function rig() {
  const clock = new VirtualClock();
  const out: string[] = [];
  const urc: string[] = [];
  const at = new AtChannel(clock, (s) => out.push(s), (l) => urc.push(l));
  const done: { err: string | null; lines: string[] }[] = [];
  const cb = (err: string | null, lines: string[]) => done.push({ err, lines });
  return { clock, out, urc, at, done, cb };
}

describe('AtChannel', () => {
  it('drops the echo of the command line and collects the information lines until OK', () => {
    const r = rig();
    r.at.send('AT+CREG?', '+CREG:', 1000, r.cb);
    expect(r.out).toEqual(['AT+CREG?\r']);
    r.at.feed('AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n');
    expect(r.done).toEqual([{ err: null, lines: ['+CREG: 0,1'] }]);
    expect(r.urc).toEqual([]);
    expect(atFields('+CREG: 0,1')).toEqual(['0', '1']);
  });

  it('takes bytes in any slices', () => {
    const r = rig();
    r.at.send('AT+CSQ', '+CSQ:', 1000, r.cb);
    for (const c of '\r\n+CSQ: 18,99\r\n\r\nOK\r\n') r.at.feed(c);
    expect(r.done).toEqual([{ err: null, lines: ['+CSQ: 18,99'] }]);
  });

  it('passes on URCs that come between a command and its answer, and when idle', () => {
    const r = rig();
    r.at.feed('\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n');
    r.at.send('AT+CSQ', '+CSQ:', 1000, r.cb);
    r.at.feed('\r\n+CMTI: "SM",3\r\n\r\n+CSQ: 21,0\r\nRING\r\n\r\nOK\r\n');
    expect(r.urc).toEqual(['RDY', '+CPIN: READY', 'Call Ready', 'SMS Ready', '+CMTI: "SM",3', 'RING']);
    expect(r.done).toEqual([{ err: null, lines: ['+CSQ: 21,0'] }]);
  });

  it('a line with the command\'s own prefix is its answer, not a URC (+CPIN: READY to AT+CPIN?)', () => {
    const r = rig();
    r.at.send('AT+CPIN?', '+CPIN:', 1000, r.cb);
    r.at.feed('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    expect(r.done[0]).toEqual({ err: null, lines: ['+CPIN: READY'] });
    expect(r.urc).toEqual([]);
  });

  it('ends on ERROR, +CME ERROR and +CMS ERROR with their codes', () => {
    const r = rig();
    r.at.send('AT+CPIN?', '+CPIN:', 1000, r.cb);
    r.at.send('AT+CMGR=40', '+CMGR:', 1000, r.cb);
    r.at.send('AT+XYZ', '', 1000, r.cb);
    expect(r.out).toEqual(['AT+CPIN?\r']); // one at a time
    r.at.feed('\r\n+CME ERROR: 10\r\n');
    expect(r.out[1]).toBe('AT+CMGR=40\r');
    r.at.feed('\r\n+CMS ERROR: 321\r\n');
    r.at.feed('\r\nERROR\r\n');
    expect(r.done.map((d) => d.err)).toEqual(['CME 10', 'CMS 321', 'ERROR']);
  });

  it('reads a message whose text looks like a result code or a URC', () => {
    const r = rig();
    r.at.send('AT+CMGR=1', '+CMGR:', 5000, r.cb);
    r.at.feed('\r\n+CMGR: "REC UNREAD","+8613912345678","","26/12/05,10:00:00+32"\r\nOK\r\n\r\nOK\r\n');
    r.at.send('AT+CMGR=2', '+CMGR:', 5000, r.cb);
    r.at.feed('\r\n+CMGR: "REC READ","+8613912345678","","26/12/05,10:01:00+32"\r\n+CMTI: "SM",9\r\n\r\nOK\r\n');
    // (the empty line before the final OK is kept with the text: a text may hold empty lines)
    expect(r.done).toEqual([
      { err: null, lines: ['+CMGR: "REC UNREAD","+8613912345678","","26/12/05,10:00:00+32"', 'OK', ''] },
      { err: null, lines: ['+CMGR: "REC READ","+8613912345678","","26/12/05,10:01:00+32"', '+CMTI: "SM",9', ''] },
    ]);
    expect(r.urc).toEqual([]);
    expect(atFields(r.done[0].lines[0])).toEqual(['REC UNREAD', '+8613912345678', '', '26/12/05,10:00:00+32']);
  });

  it('lists messages: a header and its text each', () => {
    const r = rig();
    r.at.send('AT+CMGL="ALL"', '+CMGL:', 5000, r.cb);
    r.at.feed('\r\n+CMGL: 1,"REC READ","+861","","26/12/05,10:00:00+32"\r\nbal R301\r\n+CMGL: 4,"REC UNREAD","+862","","26/12/05,10:02:00+32"\r\n\r\n\r\nOK\r\n');
    expect(r.done[0].lines).toEqual(['+CMGL: 1,"REC READ","+861","","26/12/05,10:00:00+32"', 'bal R301', '+CMGL: 4,"REC UNREAD","+862","","26/12/05,10:02:00+32"', '', '']);
  });

  it('a message of several lines is text to the end, lines that look like URCs too', () => {
    const r = rig();
    r.at.send('AT+CMGR=3', '+CMGR:', 5000, r.cb);
    r.at.feed('\r\n+CMGR: "REC UNREAD","+861","","26/12/05,10:00:00+32"\r\nBAL R301\r\n+86 call me\r\nRING\r\n\r\nOK\r\n');
    expect(r.done[0].lines).toEqual(['+CMGR: "REC UNREAD","+861","","26/12/05,10:00:00+32"', 'BAL R301', '+86 call me', 'RING', '']);
    expect(r.urc).toEqual([]);
  });

  it('answers the CMGS prompt with the text and Ctrl-Z, then takes +CMGS', () => {
    const r = rig();
    r.at.send('AT+CMGS="+8613912345678"', '+CMGS:', 60000, r.cb, 'R301 balance 12.50');
    r.at.feed('\r\n> ');
    expect(r.out).toEqual(['AT+CMGS="+8613912345678"\r', 'R301 balance 12.50\x1a']);
    r.at.feed('\r\n+CMGS: 47\r\n\r\nOK\r\n');
    expect(r.done).toEqual([{ err: null, lines: ['+CMGS: 47'] }]);
  });

  it('a command with no answer times out, and a prompt left open is cancelled with ESC', () => {
    const r = rig();
    r.at.send('AT+CMGS="+861"', '+CMGS:', 60000, r.cb, 'hello');
    r.at.send('AT', '', 1000, r.cb);
    r.clock.advance(59999);
    expect(r.done).toEqual([]);
    r.clock.advance(1);
    expect(r.done[0].err).toBe('timeout');
    expect(r.out).toEqual(['AT+CMGS="+861"\r', '\x1b', 'AT\r']);
    r.at.feed('\r\nOK\r\n');
    expect(r.done[1]).toEqual({ err: null, lines: [] });
    expect(r.at.idle()).toBe(true);
  });

  it('reset answers every command queued with "reset" and sends nothing more', () => {
    const r = rig();
    r.at.send('AT', '', 1000, r.cb);
    r.at.send('ATE0', '', 1000, r.cb);
    r.at.reset();
    expect(r.done.map((d) => d.err)).toEqual(['reset', 'reset']);
    r.clock.advance(5000);
    expect(r.out).toEqual(['AT\r']);
    expect(r.at.idle()).toBe(true);
    // a late OK of the dropped command is no one's
    r.at.feed('\r\nOK\r\n');
    expect(r.urc).toEqual(['OK']);
  });

  it('noise with no line end is dropped, not kept growing; the next line is read', () => {
    const r = rig();
    r.at.feed('\x55'.repeat(5000));
    r.at.send('AT', '', 1000, r.cb);
    r.at.feed('\r\nOK\r\n');
    expect(r.done[0].err).toBeNull();
    // (what was left of the noise ends with the answer's line end: a line of at most 400)
    expect(r.done[0].lines.every((l) => l.length <= 400)).toBe(true);
  });

  it('fields keep commas inside quotes', () => {
    expect(atFields('+CMGL: 4,"REC UNREAD","+862","","26/12/05,10:02:00+32"')).toEqual(['4', 'REC UNREAD', '+862', '', '26/12/05,10:02:00+32']);
    expect(atFields('+CPMS: "SM",3,10,"SM",3,10,"SM",3,10')).toEqual(['SM', '3', '10', 'SM', '3', '10', 'SM', '3', '10']);
  });
});
