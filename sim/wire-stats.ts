// What a virtual meter saw and did on its RS485 bus, counted for the simulator's reports:
// requests addressed to it (a repeat of the same request within a few seconds is the
// master's retry), and how it answered them given its faults. The unit's own counters are
// not reachable from the simulator today (sim/unit-view.ts busStats); these are the wire's.
import { MeterFaults } from './meter-faults';

/** A repeat of the same request within this time is a retry (the master's attempts are at
 *  most about 1 s apart; its next poll of the same value comes a poll interval later). */
const RETRY_WINDOW_MS = 5000;

/** Counters of one meter, since it was built. */
export class WireStats {
  /** Requests addressed to the meter (every attempt). */
  requests = 0;
  /** Requests that repeated the previous one within the retry window. */
  retries = 0;
  /** Replies sent whole and correct. */
  good = 0;
  /** Replies sent with a wrong checksum / CRC, another meter's address or garbage in front. */
  corrupt = 0;
  /** Requests left unanswered (silent) or answered after the master gave up (slow). */
  unanswered = 0;
  private last: Uint8Array | null = null;
  private lastMs = -Infinity;

  /** A request addressed to the meter arrived at nowMs; the faults in force say how it fares.
   *  `answers` is false when the meter has no reply for it at all (a broadcast, an exception
   *  it does not send). `garbageBreaks` says whether garbage before a reply breaks it. */
  request(req: Uint8Array, nowMs: number, f: MeterFaults, answers: boolean, garbageBreaks: boolean): void {
    this.requests++;
    if (this.last && nowMs - this.lastMs <= RETRY_WINDOW_MS && sameBytes(this.last, req)) this.retries++;
    this.last = req.slice();
    this.lastMs = nowMs;
    if (!answers) return;
    if (f.silent || f.slowMs > 0) this.unanswered++;
    else if (f.badChecksum || f.wrongAddress || (garbageBreaks && f.garbageBefore.length > 0)) this.corrupt++;
    else this.good++;
  }

  /** The counters as plain numbers. */
  snapshot(): WireCounts {
    return { requests: this.requests, retries: this.retries, good: this.good, corrupt: this.corrupt, unanswered: this.unanswered };
  }
}

/** Plain counters (differences of two snapshots give a day's figures). */
export interface WireCounts {
  requests: number;
  retries: number;
  good: number;
  corrupt: number;
  unanswered: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
