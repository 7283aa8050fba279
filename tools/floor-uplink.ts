// The dormitory floor reporting to a head-end, on the 32-bit interpreter: the GPRS Pico's build
// (boards/pico-gprs.json) with the floor's meters on RS485 (a socat pty pair, sim/pty-meters.ts)
// and a virtual SIM800 behind its modem UART (a second pair, sim/pty-modem.ts) whose TCP goes to
// a real mosquitto on this machine, where the head-end (tools/headend) is subscribed; or the
// WiFi's (boards/wifi-mqtt.json), whose Espruino `net` sockets reach that mosquitto themselves
// once the rig's stand-in for the firmware's Wifi module has joined (tools/espruino-rig.ts). The unit
// boots shortly before an interval ends; sessions asked for at the console (`uplink now`) and the
// interval's own send its backlog, the interval's readings and its state; the head-end sends it a
// top-up, and an intruder a forged and a replayed command. What reached the head-end, what the
// console said, and the least free at any moment are what the tests gate.
import { RigResult } from './espruino-rig';
import { loadBoard } from './build';
import { FLOOR_UPLINK_ID, FLOOR_UPLINK_KEY, floorEeprom, floorRig, floorScenario, FloorShape, runFloorScript } from './floor-eeprom';
import { ptyPair } from './soak';
import { servePtyMeters } from '../sim/pty-meters';
import { servePtyModem } from '../sim/pty-modem';
import { startBroker } from '../sim/mosquitto';
import { Headend } from './headend/headend';
import { HeadendStore, UnitState } from './headend/store';
import { keyFromHex } from './openpaygo-encode';
import { sealMessage } from '../firmware/uplink/seal';
import mqtt from 'mqtt';

/** One step: the console line typed, what the head-end does as it is typed, the wait after. */
export interface FloorUplinkStep {
  line: string;
  /** A command the head-end sends (a console line: "topup R301 5"), or a message it publishes
   *  on the unit's command topic as it is ('forged' and 'replay' make one of the last command). */
  send?: string;
  publish?: 'forged' | 'replay';
  afterMs: number;
}

/** The script: log in, the uplink before its first session, a top-up sent by the head-end and a
 *  session asked for at the console (the unit's backlog goes up, the top-up comes down), the
 *  account after it; the interval's readings (taken about 50 s after boot) and the session at
 *  the next tick; a forged command (the top-up's seal on another number and amount) and a
 *  replay of the top-up, a session for them, the account and the uplink's status again. */
export function floorUplinkScript(): FloorUplinkStep[] {
  return [
    { line: 'login 3333', afterMs: 2000 },
    { line: 'uplink', afterMs: 1000 },
    { line: 'acct R301', afterMs: 1000, send: 'topup R301 5' },
    { line: 'uplink now', afterMs: 36000 },
    { line: 'acct R301', afterMs: 2000, publish: 'forged' },
    { line: 'uplink now', afterMs: 24000, publish: 'replay' },
    { line: 'acct R301', afterMs: 1000 },
    { line: 'uplink', afterMs: 1000 },
    { line: 'log n=5 kind=uplink', afterMs: 1000 },
  ];
}

export interface FloorUplinkOptions {
  binary: string;
  /** default 'pico-gprs'; a board whose uplink goes over WiFi has no modem in the run */
  board?: string;
  shape?: FloorShape;
  script?: FloorUplinkStep[];
  /** Poll interval, seconds (default 20: poll cycles run while the uplink sends). */
  pollS?: number;
  modemLog?: boolean;
  onOutput?: (line: string) => void;
  probe?: string;
}

/** The run, and the head-end's view at its end: the unit's state, what it stored, the commands. */
export interface FloorUplinkResult extends RigResult {
  unit: UnitState;
  readings: ReturnType<HeadendStore['readings']>;
  ledger: ReturnType<HeadendStore['ledger']>;
  events: ReturnType<HeadendStore['events']>;
  commands: RigResult['commands'];
  sent: ReturnType<HeadendStore['commands']>;
  /** Bytes the virtual modem carried each way over TCP (none over WiFi). */
  tcp: { up: number; down: number };
  modemLog: string[];
  /** What the head-end did, line by line (as `npm run headend -- serve` prints it). */
  headendLog: string[];
  /** UTC second of the first interval end after boot (its readings). */
  intervalEnd: number;
}

/** Boots the floor with an uplink to a broker started here and runs the script. */
export async function floorUplink(o: FloorUplinkOptions): Promise<FloorUplinkResult> {
  const pollS = o.pollS || 20;
  const line = { baud: 115200 };
  const bus = { pollSeconds: pollS, dlt645: line, modbus: line };
  const board = o.board || 'pico-gprs';
  const wifi = (loadBoard(board).uplink || { link: '' }).link === 'wifi';
  const broker = await startBroker();
  const shape: FloorShape = { tokens: true, uplink: '127.0.0.1:' + broker.port, wifi, ...o.shape };
  const script = o.script || floorUplinkScript();
  const ms = script.reduce((a, s) => a + s.afterMs, 0);
  const seconds = Math.ceil(ms / 1000) + 60;
  const log: string[] = [];
  const key = keyFromHex(FLOOR_UPLINK_KEY) as Uint8Array;
  const headend = await Headend.start({ broker: 'mqtt://127.0.0.1:' + broker.port, units: [{ id: FLOOR_UPLINK_ID, key }], db: null, resendMs: 20000, log: (l) => log.push(l) });
  const stops: (() => unknown)[] = [() => broker.stop(), () => headend.stop()];
  // (an intruder's client: what it publishes on the unit's command topic)
  const cmds = mqtt.connect('mqtt://127.0.0.1:' + broker.port, { clientId: 'intruder' });
  stops.push(() => new Promise<void>((r) => cmds.end(true, {}, () => r())));
  try {
    const f = floorEeprom(1, bus, shape);
    // (booted about 50 s before a 5-minute interval ends: the time moved on as over a power cut)
    const boot = f.rtcStart + ((300 - ((f.rtcStart + 50) % 300)) % 300);
    const busPty = await ptyPair(seconds + 180);
    stops.push(busPty.stop);
    const meters = await servePtyMeters(floorScenario(1, bus, shape), busPty.a, { replyDelayMs: 100 });
    stops.push(() => meters.close());
    let modemPath: string | undefined;
    let modem: Awaited<ReturnType<typeof servePtyModem>> | undefined;
    if (!wifi) {
      const modemPty = await ptyPair(seconds + 180);
      stops.push(modemPty.stop);
      modemPath = modemPty.b;
      const m = (modem = await servePtyModem(modemPty.a, { model: 'sim800', log: o.modemLog, startS: boot }));
      stops.push(() => m.close());
    }
    // the last command the head-end sent: its number and payload
    let last = { seq: 0, payload: '' };
    const act = async (s: FloorUplinkStep): Promise<void> => {
      if (s.send) last = { seq: await headend.send(FLOOR_UPLINK_ID, s.send), payload: s.send };
      if (s.publish) {
        // forged: the next number, the payload altered under the last command's seal; a replay:
        // the last command as it was sent
        const text = sealMessage(key, FLOOR_UPLINK_ID, last.seq, last.payload);
        const p = s.publish === 'forged' ? last.seq + 1 + text.substr(text.indexOf(' '), 18) + last.payload + '0' : text;
        await new Promise<void>((resolve) => cmds.publish('unit/' + FLOOR_UPLINK_ID + '/cmd', p, { qos: 1 }, () => resolve()));
      }
    };
    const run = await runFloorScript(await floorRig(board, o.binary, { eeprom: f.eeprom, rtcStart: boot }, busPty.b, modemPath), script, {
      timeoutMs: seconds * 1000 + 60000,
      probe: o.probe,
      onOutput: o.onOutput,
      // (a line the runner types beyond the script, none expected, has nothing to do)
      onStep: (i) => {
        if (script[i]) void act(script[i]);
      },
    });
    headend.save();
    const st = headend.store;
    return {
      ...run,
      unit: st.unitStates().find((u) => u.id === FLOOR_UPLINK_ID) as UnitState,
      readings: st.readings(FLOOR_UPLINK_ID),
      ledger: st.ledger(FLOOR_UPLINK_ID),
      events: st.events(FLOOR_UPLINK_ID),
      sent: st.commands(FLOOR_UPLINK_ID),
      tcp: modem ? { up: modem.modem.tcpSent, down: modem.modem.tcpReceived } : { up: 0, down: 0 },
      modemLog: modem ? modem.log : [],
      headendLog: log,
      intervalEnd: boot + 50,
    };
  } finally {
    for (const s of stops.reverse()) await s();
  }
}

/** Free at rest in a run of the script, the runner's variables added: the most free before the
 *  first session (the script's first 8 s) and in the run's last 25 s (its sessions over, a poll
 *  interval and more: a moment between two poll cycles, each of which takes about 1,300). */
export function uplinkRest(r: RigResult, runner: number): { before: number; after: number } {
  const end = r.samples[r.samples.length - 1][0];
  const most = (from: number, to: number) => Math.max.apply(null, r.samples.filter((x) => x[0] >= from && x[0] < to).map((x) => x[1])) + runner;
  return { before: most(0, 8000), after: most(end - 25000, end + 1) };
}
