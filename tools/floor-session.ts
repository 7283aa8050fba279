// A technician's session on the dormitory floor, on the 32-bit interpreter with the floor's meters
// answering on RS485 (a socat pty pair, sim/pty-meters.ts, as in tools/soak.ts): every kind of
// console work a unit in service sees, typed while the unit polls its meters, among them a token
// top-up and a configuration change. The least free at any moment of it is what the board must
// have room for (the goal of docs/memory.md); bench/memory.ts prints it and the build tests gate it.
import { generateToken, keyFromHex } from './openpaygo-encode';
import { RigResult, runRig } from './espruino-rig';
import { FLOOR_TOKEN_START, floorEeprom, floorRig, floorScenario, FloorShape, floorTokenKey } from './floor-eeprom';
import { ptyPair } from './soak';
import { servePtyMeters } from '../sim/pty-meters';

/** The session: reading, the lists, the history, money, relays, a freeze, a meter read, a token
 *  for the first room (its first: count 1, ten units), a limit and a price changed (in place),
 *  the configuration exported. Room 301 is the first account, 302 and 303 the next ones. */
export function floorSessionLines(): string[] {
  const t = generateToken({ key: keyFromHex(floorTokenKey(0)) as Uint8Array, startingCode: FLOOR_TOKEN_START, count: 1, kind: 'add', value: 10 });
  if (!t.ok) throw new Error('token: ' + t.error);
  return [
    'status', 'login 3333', 'help', 'acct', 'meter', 'log n=5', 'acct R301', 'tariff', 'topup R302 5', 'refund R302 1',
    'relay R303 off', 'relay R303 auto', 'freeze day', 'meter read M301', 'token R301 ' + t.token,
    'acct set R301 limit=3', 'tariff set dorm peak=0.88', 'config export', 'logout', 'status',
  ];
}

export interface FloorSessionOptions {
  board: string;
  binary: string;
  shape?: FloorShape;
  /** Between commands, ms (default 3000: a command that waits for the bus is done by then). */
  gapMs?: number;
  /** Poll interval, seconds (default 20: cycles run while the technician works). */
  pollS?: number;
}

/** Boots the floor (with token identities) and runs the session with its meters answering. */
export async function floorSession(o: FloorSessionOptions): Promise<RigResult> {
  const pollS = o.pollS || 20;
  const line = { baud: 115200 };
  const bus = { pollSeconds: pollS, dlt645: line, modbus: line };
  const shape: FloorShape = { tokens: true, ...o.shape };
  const f = floorEeprom(1, bus, shape);
  const lines = floorSessionLines();
  const gap = o.gapMs || 3000;
  const seconds = Math.ceil(((lines.length + 2) * gap) / 1000) + 60;
  const pty = await ptyPair(seconds + 180);
  const meters = await servePtyMeters(floorScenario(1, bus, shape), pty.a, { replyDelayMs: 100 });
  try {
    return await runRig({
      ...(await floorRig(o.board, o.binary, f, pty.b)),
      commands: lines.map((l) => ({ line: l, afterMs: gap })),
      firstMs: 5000,
      settleMs: 3000,
      sampleMs: 500,
      timeoutMs: seconds * 1000 + 60000,
    });
  } finally {
    await meters.close();
    pty.stop();
  }
}
