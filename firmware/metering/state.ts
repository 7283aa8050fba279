// What the meter bus, its poller and relay control keep about each meter from one poll cycle to
// the next, held by the resident code in tables (one pack) while the code that reads the meters
// is loaded for a cycle, a relay operation or a `meter read` and released afterwards
// (firmware/metering/session.ts, docs/memory.md). The classes make tables of their own when they
// are built without one (tests).
import { F64, I32, I8, U32, U8, pack, table } from '../tables';

/** Unknown detail value. */
export const UNKNOWN = -2147483648;

/** Per-meter tables of the bus (statistics, back-off), the poller (details, lost) and relay
 *  control (wanted and confirmed state), and the few numbers that outlive a session. */
export interface MeterState {
  /** Bus statistics per meter: transactions, good replies, retries, timeouts, bad replies. */
  requests: number[];
  successes: number[];
  retries: number[];
  timeouts: number[];
  crcErrors: number[];
  /** Clock time of the end of the meter's back-off. */
  hold: number[];
  /** Failed transactions in a row (bus) and failed polls in a row (poller). */
  busFails: number[];
  pollFails: number[];
  /** Latest power (W), voltage (0.1 V), current (mA), status word 3 or relay register: UNKNOWN until read. */
  powerW: number[];
  voltageDv: number[];
  currentMa: number[];
  status: number[];
  /** 1: reported lost; 1: a DL/T 645 meter with no reverse register. */
  lost: number[];
  noExport: number[];
  /** Relay wanted (-1 none, 0 open, 1 closed), confirmed (-1 unknown), commands sent for it,
   *  and whether its alarm is raised. */
  want: number[];
  state: number[];
  tries: number[];
  alarmed: number[];
  /** Poll cycles started, the meter a cycle cut short stopped at (0: none), and when the line
   *  is quiet again after the last session. */
  cycle: number;
  resume: number;
  quietAt: number;
}

/** Empty state for n meters. */
export function meterTables(n: number): MeterState {
  const s: MeterState = {
    requests: table(U32, 0),
    successes: table(U32, 0),
    retries: table(U32, 0),
    timeouts: table(U32, 0),
    crcErrors: table(U32, 0),
    hold: table(F64, 0),
    busFails: table(U8, 0),
    pollFails: table(U8, 0),
    powerW: table(I32, 0),
    voltageDv: table(I32, 0),
    currentMa: table(I32, 0),
    status: table(I32, 0),
    lost: table(U8, 0),
    noExport: table(U8, 0),
    want: table(I8, 0),
    state: table(I8, 0),
    tries: table(U8, 0),
    alarmed: table(U8, 0),
    cycle: 0,
    resume: 0,
    quietAt: 0,
  };
  pack(s, n);
  for (let i = 0; i < n; i++) {
    s.powerW[i] = s.voltageDv[i] = s.currentMa[i] = s.status[i] = UNKNOWN;
    s.want[i] = s.state[i] = -1;
  }
  return s;
}
