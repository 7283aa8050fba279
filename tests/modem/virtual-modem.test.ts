// The virtual modem against transcripts in the manner of the SIM800/SIM7600 manuals: exact
// bytes out, start-up URCs, the SMS prompt, storage and the faults a field unit meets.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock';
import { ModemOptions, VirtualModem } from '../../sim/virtual-modem';

const SIM800_START = '\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n';
const SIM7600_START = '\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n';
const OK = '\r\nOK\r\n';

/** A modem on a virtual clock with everything it sends collected as text. */
function rig(o: ModemOptions = {}) {
  const clock = new VirtualClock();
  const m = new VirtualModem(clock, o);
  let out = '';
  const chunks: string[] = [];
  m.onData = (b: Uint8Array) => {
    const s = String.fromCharCode.apply(null, Array.from(b));
    chunks.push(s);
    out += s;
  };
  const r = {
    clock: clock,
    m: m,
    chunks: chunks,
    /** What the modem sent since the last take(). */
    take(): string {
      const s = out;
      out = '';
      chunks.length = 0;
      return s;
    },
    send(s: string): void {
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
      m.write(b);
    },
    /** Sends a command line (CR added) and returns all the modem says within ms. */
    at(cmd: string, ms = 100): string {
      r.send(cmd + '\r');
      clock.advance(ms);
      return r.take();
    },
    /** Powers on and runs start-up; returns the start-up URCs. */
    boot(): string {
      m.setPower(true);
      clock.advance(3000);
      return r.take();
    },
  };
  return r;
}

/** A booted SIM800 in text mode with echo off and numeric errors, as a driver sets it up. */
function ready(o: ModemOptions = {}) {
  const r = rig(o);
  r.boot();
  expect(r.at('ATE0')).toBe('ATE0\r' + OK);
  expect(r.at('AT+CMEE=1')).toBe(OK);
  expect(r.at('AT+CMGF=1')).toBe(OK);
  return r;
}

describe('start-up', () => {
  it('a SIM800 sends RDY, +CPIN: READY, Call Ready, SMS Ready and hears nothing before', () => {
    const r = rig();
    r.m.setPower(true);
    expect(r.m.powered).toBe(true);
    r.clock.advance(999);
    expect(r.take()).toBe('');
    r.send('AT\r'); // too early: lost, not even echoed
    r.clock.advance(1);
    expect(r.take()).toBe('\r\nRDY\r\n');
    r.send('AT\r');
    r.clock.advance(1499);
    expect(r.take()).toBe('\r\n+CPIN: READY\r\n\r\nCall Ready\r\n');
    expect(r.m.ready).toBe(false);
    r.clock.advance(1);
    expect(r.take()).toBe('\r\nSMS Ready\r\n');
    expect(r.m.ready).toBe(true);
    expect(r.at('AT')).toBe('AT\r' + OK);
  });

  it('a SIM7600 sends RDY, +CPIN: READY, SMS DONE, PB DONE and knows AT+CEREG', () => {
    const r = rig({ model: 'sim7600' });
    expect(r.boot()).toBe(SIM7600_START);
    expect(r.at('AT+CEREG?')).toBe('AT+CEREG?\r\r\n+CEREG: 0,1\r\n' + OK);
    expect(r.at('AT+CGMM')).toBe('AT+CGMM\r\r\nSIMCOM_SIM7600\r\n' + OK);
  });

  it('a SIM800 refuses AT+CEREG', () => {
    const r = rig();
    expect(r.boot()).toBe(SIM800_START);
    expect(r.at('AT+CEREG?')).toBe('AT+CEREG?\r\r\nERROR\r\n');
  });

  it('without a SIM start-up stops at +CPIN: NOT INSERTED', () => {
    const r = rig({ faults: { noSim: true } });
    expect(r.boot()).toBe('\r\nRDY\r\n\r\n+CPIN: NOT INSERTED\r\n');
    expect(r.m.ready).toBe(true);
  });

  it('starts off unless told otherwise, and on with the on option', () => {
    const clock = new VirtualClock();
    expect(new VirtualModem(clock).powered).toBe(false);
    const on = new VirtualModem(clock, { on: true, startupMs: 100 });
    clock.advance(100);
    expect(on.ready).toBe(true);
  });
});

describe('echo and result codes', () => {
  it('echoes the command line until ATE0, and again after ATE1', () => {
    const r = rig();
    r.boot();
    r.send('AT\r');
    r.clock.advance(0);
    expect(r.take()).toBe('AT\r'); // the echo at once
    r.clock.advance(19);
    expect(r.take()).toBe('');
    r.clock.advance(1);
    expect(r.take()).toBe(OK); // the answer after replyDelayMs
    expect(r.at('ATE0')).toBe('ATE0\r' + OK);
    expect(r.at('AT')).toBe(OK);
    expect(r.at('ATE1')).toBe(OK);
    expect(r.at('AT')).toBe('AT\r' + OK);
  });

  it('takes lower case, ignores lines that do not start with AT, refuses unknown commands', () => {
    const r = ready();
    expect(r.at('at')).toBe(OK);
    expect(r.at('hello')).toBe('');
    expect(r.at('AT+FOO')).toBe('\r\nERROR\r\n');
    expect(r.at('AT+CMGF=2')).toBe('\r\nERROR\r\n');
    expect(r.at('AT+CMGF=?')).toBe('\r\nERROR\r\n');
    expect(r.at('AT+CMGF?')).toBe('\r\n+CMGF: 1\r\n' + OK);
    expect(r.at('AT+CMEE?')).toBe('\r\n+CMEE: 1\r\n' + OK);
  });

  it('CPIN: READY with a SIM; ERROR, +CME ERROR: 10 or its text without', () => {
    const r = rig();
    r.boot();
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\n+CPIN: READY\r\n' + OK);
    r.m.faults.noSim = true;
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\nERROR\r\n');
    expect(r.at('AT+CMEE=1')).toBe('AT+CMEE=1\r' + OK);
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\n+CME ERROR: 10\r\n');
    expect(r.at('AT+CMEE=2')).toBe('AT+CMEE=2\r' + OK);
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\n+CME ERROR: SIM not inserted\r\n');
    expect(r.at('AT+CMGF=1')).toBe('AT+CMGF=1\r' + OK);
    expect(r.at('AT+CMGS="+15550001"')).toBe('AT+CMGS="+15550001"\r\r\n+CMS ERROR: SIM not inserted\r\n');
  });

  it('an answer is never overtaken by a later, quicker one', () => {
    const r = ready();
    r.m.faults.replyDelayMs = 500;
    r.send('AT+CSQ\r');
    r.m.faults.replyDelayMs = 0;
    r.m.receiveSms('+1', 'x'); // no CNMI yet: no URC
    r.clock.advance(499);
    expect(r.take()).toBe('');
    r.clock.advance(1);
    expect(r.take()).toBe('\r\n+CSQ: 20,99\r\n' + OK);
  });
});

describe('network', () => {
  it('CREG and CSQ: home, searching without network, roaming, not searching without SIM', () => {
    const r = ready();
    expect(r.at('AT+CREG?')).toBe('\r\n+CREG: 0,1\r\n' + OK);
    expect(r.at('AT+CSQ')).toBe('\r\n+CSQ: 20,99\r\n' + OK);
    r.m.faults.noNetwork = true;
    expect(r.at('AT+CREG?')).toBe('\r\n+CREG: 0,2\r\n' + OK);
    expect(r.at('AT+CSQ')).toBe('\r\n+CSQ: 99,99\r\n' + OK);
    r.m.faults.noNetwork = false;
    r.m.roaming = true;
    expect(r.at('AT+CREG?')).toBe('\r\n+CREG: 0,5\r\n' + OK);
    r.m.faults.noSim = true;
    expect(r.at('AT+CREG?')).toBe('\r\n+CREG: 0,0\r\n' + OK);
  });

  it('roaming and rssi options, AT+CREG=1 refused (no registration URCs), AT+CNUM', () => {
    const r = ready({ roaming: true, rssi: 7, ownNumber: '+8613800000001' });
    expect(r.at('AT+CREG?')).toBe('\r\n+CREG: 0,5\r\n' + OK);
    expect(r.at('AT+CSQ')).toBe('\r\n+CSQ: 7,99\r\n' + OK);
    expect(r.at('AT+CREG=0')).toBe(OK);
    expect(r.at('AT+CREG=1')).toBe('\r\nERROR\r\n');
    expect(r.at('AT+CNUM')).toBe('\r\n+CNUM: "","+8613800000001",145\r\n' + OK);
  });
});

describe('sending SMS', () => {
  it('prompts, echoes the text and answers +CMGS: <mr> once the network took it', () => {
    const r = rig({ submitMs: 1500 });
    r.boot();
    expect(r.at('AT+CMGF=1')).toBe('AT+CMGF=1\r' + OK);
    r.send('AT+CMGS="+8613800000000"\r');
    r.clock.advance(20);
    expect(r.take()).toBe('AT+CMGS="+8613800000000"\r\r\n> ');
    r.send('Credit low: 12.50\x1a');
    r.clock.advance(1519);
    expect(r.take()).toBe('Credit low: 12.50\x1a');
    r.clock.advance(1);
    expect(r.take()).toBe('\r\n+CMGS: 1\r\n' + OK);
    expect(r.m.sent).toEqual([{ to: '+8613800000000', text: 'Credit low: 12.50', atMs: 4620 }]);
    r.send('AT+CMGS="+8613800000000",145\r');
    r.clock.advance(20);
    r.send('second\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('AT+CMGS="+8613800000000",145\r\r\n> second\x1a\r\n+CMGS: 2\r\n' + OK);
    expect(r.m.sent.length).toBe(2);
  });

  it('a CR in the text gives a new prompt and a line break', () => {
    const r = ready();
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    expect(r.take()).toBe('\r\n> ');
    r.send('line 1\r');
    r.clock.advance(0);
    expect(r.take()).toBe('\r\n> ');
    r.send('line 2\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n+CMGS: 1\r\n' + OK);
    expect(r.m.sent[0].text).toBe('line 1\nline 2');
  });

  it('ESC cancels: OK and nothing sent', () => {
    const r = ready();
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send('never mind\x1b');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> ' + OK);
    expect(r.m.sent).toEqual([]);
    expect(r.at('AT')).toBe(OK);
  });

  it('cmsError ends the next send with +CMS ERROR: <n>, once', () => {
    const r = ready();
    r.m.faults.cmsError = 500;
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send('a\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMS ERROR: 500\r\n');
    expect(r.m.faults.cmsError).toBe(0);
    expect(r.m.sent).toEqual([]);
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send('b\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMGS: 1\r\n' + OK);
  });

  it('without network the send ends with +CMS ERROR: 331', () => {
    const r = ready();
    r.m.faults.noNetwork = true;
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send('a\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMS ERROR: 331\r\n');
    expect(r.m.sent).toEqual([]);
  });

  it('160 characters go, 161 end with +CMS ERROR: 305', () => {
    const r = ready();
    const long = '0123456789'.repeat(16);
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send(long + '1\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMS ERROR: 305\r\n');
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send(long + '\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMGS: 1\r\n' + OK);
    expect(r.m.sent[0].text.length).toBe(160);
  });

  it('refuses PDU mode (304) and a number without quotes', () => {
    const r = ready();
    expect(r.at('AT+CMGF=0')).toBe(OK);
    expect(r.at('AT+CMGS="+1"')).toBe('\r\n+CMS ERROR: 304\r\n');
    expect(r.at('AT+CMGS=20')).toBe('\r\n+CMS ERROR: 304\r\n');
    expect(r.at('AT+CMGF=1')).toBe(OK);
    expect(r.at('AT+CMGS=+1')).toBe('\r\nERROR\r\n');
    expect(r.at('AT+CMGS')).toBe('\r\nERROR\r\n');
  });

  it('under AT+CSCS="UCS2" the number and text are hex', () => {
    const r = ready();
    expect(r.at('AT+CSCS="UCS2"')).toBe(OK);
    expect(r.at('AT+CSCS?')).toBe('\r\n+CSCS: "UCS2"\r\n' + OK);
    r.send('AT+CMGS="002B0031"\r');
    r.clock.advance(20);
    r.send('0048006920AC\x1a');
    r.clock.advance(2000);
    expect(r.take()).toBe('\r\n> \r\n+CMGS: 1\r\n' + OK);
    expect(r.m.sent[0]).toMatchObject({ to: '+1', text: 'Hi\u20ac' });
    r.m.receiveSms('+2', 'A\u00e9');
    expect(r.at('AT+CMGR=1')).toBe('\r\n+CMGR: "REC UNREAD","002B0032","","25/01/01,00:00:05+00"\r\n004100E9\r\n' + OK);
    expect(r.at('AT+CSCS="KOI8"')).toBe('\r\nERROR\r\n');
  });
});

describe('receiving SMS', () => {
  it('+CMTI only after AT+CNMI, then CMGR, CPMS, CMGL and CMGD', () => {
    const r = ready({ startS: Date.UTC(2025, 5, 30, 23, 59, 0) / 1000, zoneQuarters: 32 });
    r.m.receiveSms('+8613900000000', 'TOPUP 1234');
    r.clock.advance(100);
    expect(r.take()).toBe(''); // stored, not announced
    expect(r.m.stored).toBe(1);
    expect(r.at('AT+CNMI=2,1,0,0,0')).toBe(OK);
    expect(r.at('AT+CNMI?')).toBe('\r\n+CNMI: 2,1,0,0,0\r\n' + OK);
    r.m.receiveSms('+8613900000001', 'STATUS');
    r.clock.advance(0);
    expect(r.take()).toBe('\r\n+CMTI: "SM",2\r\n');
    expect(r.at('AT+CPMS?')).toBe('\r\n+CPMS: "SM",2,10,"SM",2,10,"SM",2,10\r\n' + OK);
    // 23:59:00 UTC + 3.3 s of boot and set-up, in UTC+8 (32 quarters)
    const head1 = '"+8613900000000","","25/07/01,07:59:03+32"';
    const head2 = '"+8613900000001","","25/07/01,07:59:03+32"';
    expect(r.at('AT+CMGR=1')).toBe('\r\n+CMGR: "REC UNREAD",' + head1 + '\r\nTOPUP 1234\r\n' + OK);
    expect(r.at('AT+CMGR=1')).toBe('\r\n+CMGR: "REC READ",' + head1 + '\r\nTOPUP 1234\r\n' + OK);
    expect(r.at('AT+CMGL="REC UNREAD"')).toBe('\r\n+CMGL: 2,"REC UNREAD",' + head2 + '\r\nSTATUS\r\n' + OK);
    expect(r.at('AT+CMGL="REC UNREAD"')).toBe(OK);
    expect(r.at('AT+CMGL="ALL"')).toBe(
      '\r\n+CMGL: 1,"REC READ",' + head1 + '\r\nTOPUP 1234\r\n+CMGL: 2,"REC READ",' + head2 + '\r\nSTATUS\r\n' + OK,
    );
    expect(r.at('AT+CMGD=1')).toBe(OK);
    expect(r.m.stored).toBe(1);
    expect(r.at('AT+CMGR=1')).toBe(OK); // an empty slot: OK alone
    expect(r.at('AT+CMGR=11')).toBe('\r\n+CMS ERROR: 321\r\n');
    expect(r.at('AT+CMGR=0')).toBe('\r\n+CMS ERROR: 321\r\n');
    expect(r.at('AT+CMGD=11')).toBe('\r\n+CMS ERROR: 321\r\n');
    r.m.receiveSms('+3', 'new');
    r.clock.advance(0);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n'); // the lowest free slot
    expect(r.at('AT+CMGD=1,4')).toBe(OK);
    expect(r.m.stored).toBe(0);
    expect(r.at('AT+CPMS="SM","SM","SM"')).toBe('\r\n+CPMS: 0,10,0,10,0,10\r\n' + OK);
    expect(r.at('AT+CPMS="ME"')).toBe('\r\n+CMS ERROR: 302\r\n');
  });

  it('CMGD flag 1 deletes the read ones only; CMGL with mode 1 leaves them unread', () => {
    const r = ready({ timeText: () => '24/12/31,23:00:00+00' });
    r.m.receiveSms('+1', 'a');
    r.m.receiveSms('+2', 'b');
    expect(r.at('AT+CMGR=1')).toContain('"REC UNREAD","+1","","24/12/31,23:00:00+00"\r\na\r\n');
    expect(r.at('AT+CMGL="ALL",1')).toBe(
      '\r\n+CMGL: 1,"REC READ","+1","","24/12/31,23:00:00+00"\r\na\r\n+CMGL: 2,"REC UNREAD","+2","","24/12/31,23:00:00+00"\r\nb\r\n' + OK,
    );
    expect(r.at('AT+CMGD=1,1')).toBe(OK);
    expect(r.at('AT+CMGL="ALL"')).toBe('\r\n+CMGL: 2,"REC UNREAD","+2","","24/12/31,23:00:00+00"\r\nb\r\n' + OK);
  });

  it('reading in PDU mode is refused (303), not answered with text', () => {
    const r = ready();
    r.m.receiveSms('+1', 'a');
    expect(r.at('AT+CMGF=0')).toBe(OK);
    expect(r.at('AT+CMGR=1')).toBe('\r\n+CMS ERROR: 303\r\n');
    expect(r.at('AT+CMGL="ALL"')).toBe('\r\n+CMS ERROR: 303\r\n');
  });

  it('a full SIM: the network holds the message and delivers it once a slot frees', () => {
    const r = ready({ slots: 2, retryMs: 1000 });
    expect(r.at('AT+CNMI=2,1,0,0,0')).toBe(OK);
    r.m.receiveSms('+1', 'one');
    r.m.receiveSms('+2', 'two');
    r.m.receiveSms('+3', 'three');
    r.clock.advance(5000);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n\r\n+CMTI: "SM",2\r\n');
    expect(r.m.stored).toBe(2);
    expect(r.m.waiting).toBe(1);
    expect(r.at('AT+CPMS?')).toBe('\r\n+CPMS: "SM",2,2,"SM",2,2,"SM",2,2\r\n' + OK);
    expect(r.at('AT+CMGD=1', 20)).toBe(OK);
    r.clock.advance(1000);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    expect(r.m.waiting).toBe(0);
    expect(r.at('AT+CMGR=1')).toContain('"+3"');
    expect(r.at('AT+CMGR=1')).toContain('\r\nthree\r\n');
  });

  it('without network a message waits, and arrives when the network returns', () => {
    const r = ready();
    expect(r.at('AT+CNMI=2,1,0,0,0')).toBe(OK);
    r.m.faults.noNetwork = true;
    r.m.receiveSms('+1', 'late');
    r.clock.advance(10000);
    expect(r.take()).toBe('');
    expect(r.m.stored).toBe(0);
    r.m.faults.noNetwork = false;
    r.clock.advance(1000);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    expect(r.m.stored).toBe(1);
  });

  it('a message sent while the module is off is delivered after start-up', () => {
    const r = rig();
    r.m.receiveSms('+1', 'while off');
    expect(r.m.waiting).toBe(1);
    r.boot();
    expect(r.m.stored).toBe(1);
    expect(r.m.waiting).toBe(0);
  });
});

describe('restarts and faults', () => {
  it('a reboot loses echo, CMEE, CMGF, CSCS and CNMI, keeps the SIM storage, and starts up again', () => {
    const r = ready();
    expect(r.at('AT+CSCS="GSM"')).toBe(OK);
    expect(r.at('AT+CNMI=2,1,0,0,0')).toBe(OK);
    r.m.receiveSms('+1', 'kept');
    r.clock.advance(0);
    expect(r.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    r.m.reboot();
    expect(r.at('AT')).toBe(''); // start-up under way: no answer
    r.clock.advance(2500);
    expect(r.take()).toBe(SIM800_START);
    expect(r.at('AT')).toBe('AT\r' + OK);
    expect(r.at('AT+CMGF?')).toBe('AT+CMGF?\r\r\n+CMGF: 0\r\n' + OK);
    expect(r.at('AT+CSCS?')).toBe('AT+CSCS?\r\r\n+CSCS: "IRA"\r\n' + OK);
    expect(r.at('AT+CNMI?')).toBe('AT+CNMI?\r\r\n+CNMI: 0,0,0,0,0\r\n' + OK);
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\n+CPIN: READY\r\n' + OK);
    r.m.faults.noSim = true;
    expect(r.at('AT+CPIN?')).toBe('AT+CPIN?\r\r\nERROR\r\n'); // CMEE back to 0
    r.m.faults.noSim = false;
    expect(r.m.stored).toBe(1);
    r.m.receiveSms('+2', 'silent');
    r.clock.advance(100);
    expect(r.take()).toBe(''); // no CNMI any more
    expect(r.m.stored).toBe(2);
  });

  it('a power cut in the middle of an answer: nothing more comes, and no timer is left', () => {
    const r = ready();
    r.send('AT+CSQ\r');
    r.m.setPower(false);
    r.clock.advance(100);
    expect(r.take()).toBe('');
    expect(r.m.powered).toBe(false);
    expect(r.clock.pending()).toBe(0);
    expect(r.at('AT')).toBe('');
  });

  it('a hung module answers nothing, URCs neither, until power-cycled', () => {
    const r = ready();
    expect(r.at('AT+CNMI=2,1,0,0,0')).toBe(OK);
    r.m.faults.hang = true;
    expect(r.at('AT', 5000)).toBe('');
    r.m.receiveSms('+1', 'held');
    r.clock.advance(5000);
    expect(r.take()).toBe('');
    expect(r.m.stored).toBe(0);
    r.m.setPower(false);
    r.m.setPower(true);
    expect(r.m.faults.hang).toBe(false);
    r.clock.advance(3000);
    expect(r.take()).toBe(SIM800_START);
    expect(r.m.stored).toBe(1); // the network delivered it after start-up (no CNMI: no URC)
    expect(r.at('AT')).toBe('AT\r' + OK);
  });

  it('a hang set while an answer is due swallows it', () => {
    const r = ready();
    r.send('AT\r');
    r.m.faults.hang = true;
    r.clock.advance(100);
    expect(r.take()).toBe('');
  });

  it('the SIM800 power key: a short press does nothing, >= 1 s switches off then on', () => {
    const r = ready();
    r.m.pressPowerKey(500);
    expect(r.at('AT')).toBe(OK);
    r.m.pressPowerKey(1200);
    r.clock.advance(0);
    expect(r.take()).toBe('\r\nNORMAL POWER DOWN\r\n');
    expect(r.m.powered).toBe(false);
    expect(r.at('AT')).toBe('');
    r.m.pressPowerKey(500);
    expect(r.m.powered).toBe(false);
    r.m.pressPowerKey(1000);
    expect(r.m.powered).toBe(true);
    r.clock.advance(2500);
    expect(r.take()).toBe(SIM800_START);
  });

  it('the power key releases a hung module', () => {
    const r = ready();
    r.m.faults.hang = true;
    r.m.pressPowerKey(1500);
    expect(r.m.powered).toBe(false);
    r.m.pressPowerKey(1500);
    r.clock.advance(2500);
    expect(r.take()).toBe(SIM800_START);
  });

  it('the SIM7600 power key: on at 0.5 s, off only at 2.5 s', () => {
    const r = rig({ model: 'sim7600' });
    r.m.pressPowerKey(500);
    r.clock.advance(3000);
    expect(r.take()).toBe(SIM7600_START);
    r.m.pressPowerKey(1500);
    expect(r.m.powered).toBe(true);
    r.m.pressPowerKey(2500);
    expect(r.m.powered).toBe(false);
  });
});

describe('bytes in slices', () => {
  it('assembles a command split over writes, each piece echoed as it comes', () => {
    const r = rig();
    r.boot();
    r.send('AT+CM');
    r.clock.advance(50);
    r.send('GF=');
    r.clock.advance(50);
    expect(r.take()).toBe('AT+CMGF=');
    r.send('1\r');
    r.clock.advance(20);
    expect(r.chunks).toEqual(['1\r', OK]);
    expect(r.take()).toBe('1\r' + OK);
    expect(r.at('AT+CMGF?')).toBe('AT+CMGF?\r\r\n+CMGF: 1\r\n' + OK);
  });

  it('a byte at a time, with a backspace, and a CR LF ending', () => {
    const r = ready();
    for (const c of 'AT+CSX\bQ\r\n') r.send(c);
    r.clock.advance(100);
    expect(r.take()).toBe('\r\n+CSQ: 20,99\r\n' + OK);
    expect(r.at('AT')).toBe(OK); // the LF after the CR was dropped while the command ran
  });

  it('message text split over writes, Ctrl-Z alone', () => {
    const r = ready();
    r.send('AT+CMGS="+1"\r');
    r.clock.advance(20);
    r.send('Bal');
    r.send('ance 5');
    r.send('\x1a');
    r.clock.advance(2000);
    expect(r.m.sent[0].text).toBe('Balance 5');
  });

  it('what comes while a command runs is lost: the unit must wait for the final result', () => {
    const r = ready();
    expect(r.at('AT\rAT+CSQ\r')).toBe(OK);
    r.send('AT+CMGS="+1"\r');
    r.send('too early\x1a'); // before the prompt
    r.clock.advance(20);
    expect(r.take()).toBe('\r\n> ');
    r.send('\x1b');
    r.clock.advance(100);
    expect(r.take()).toBe(OK);
    expect(r.m.sent).toEqual([]);
  });
});
