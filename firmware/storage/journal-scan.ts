// Reading the journal back (boot) and forgetting records (a configuration change): the rare
// work on the journal, kept out of the resident code (journal.ts keeps the commits).
import { u32At } from '../lib/crc32';
import { Journal, JournalScan, UNIT } from './journal';

/** Forgets everything: the region has just been erased. Returns what a scan would find. */
export function clearJournal(j: Journal): JournalScan {
  j.at = {};
  j.head = 0;
  j.seq = 0;
  j.ahead = 0;
  return { records: {}, versions: {}, batches: 0, corrupt: 0, lastSeq: 0 };
}

/** Scans the region, finds the newest complete copy of every record and the head. */
export function openJournal(j: Journal): JournalScan {
  const scan = clearJournal(j);
  const seqOf: { [name: string]: number } = {};
  let best = -1;
  let bestSpan = 0;
  let u = 0;
  while (u < j.units) {
    const b = j.batchAt(u, true);
    if (!b) {
      u++;
      continue;
    }
    const seq = u32At(b, 2);
    // (an integer, not Math.ceil's float: the units kept in j.at, journal.ts put)
    const n = ((b.length + UNIT - 1) / UNIT) | 0;
    const at = u;
    scan.batches++;
    j.each(b, function (name: string, data: Uint8Array) {
      if (seqOf[name] === undefined || seq > seqOf[name]) {
        seqOf[name] = seq;
        scan.records[name] = new Uint8Array(data);
        scan.versions[name] = b[1];
        j.at[name] = at;
      }
    });
    if (seq > scan.lastSeq || best < 0) {
      scan.lastSeq = seq;
      best = u;
      bestSpan = n;
    }
    u += n;
  }
  // A bad batch older than the newest copy of every record is old data partly written over
  // (the journal going round), not a loss; a newer one was torn by a cut or corrupted.
  let oldest = -1;
  for (const k in seqOf) if (oldest < 0 || seqOf[k] < oldest) oldest = seqOf[k];
  // Above the next sequence number it is no batch of ours at all (bytes that look like one).
  for (let i = 0; i < j.bad.length; i++) if (j.bad[i] > oldest && j.bad[i] <= scan.lastSeq + 1) scan.corrupt++;
  j.bad = [];
  j.seq = scan.lastSeq;
  j.head = best < 0 ? 0 : (best + bestSpan) % j.units;
  return scan;
}

/** Only these records stay live; the others' space is reused (accounts closed). */
export function retainRecords(j: Journal, names: string[]): void {
  for (const k in j.at) {
    if (names.indexOf(k) < 0) delete j.at[k];
  }
}
