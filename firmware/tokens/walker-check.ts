// A faster token-chain walker (machine code on the board) is taken only once it has been seen
// to agree with the JavaScript one, and never again after it failed or crashed the board: a
// file in the board's Storage says 'try' while the check runs, then 'ok' or 'bad'.
import { ChainWalker, walkChain } from './openpaygo';
import { sipKey } from './siphash';

/** A file store: Espruino's Storage, or a test's. */
export interface MarkStore {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}

/** A faster walker the platform offers: how to make it, and where its check's outcome is kept. */
export interface NativeWalker {
  make: () => ChainWalker | null;
  marks: MarkStore;
  mark: string;
}

/**
 * The walker `make` builds, checked against the JavaScript walker the first time (file `mark`
 * says 'try' during the check, then 'ok' or 'bad'); null when the check failed, or crashed the
 * board (the file still says 'try' at the next boot).
 */
export function checkedWalker(store: MarkStore, mark: string, make: () => ChainWalker | null): ChainWalker | null {
  const seen = store.read(mark);
  if (seen === 'try') store.write(mark, 'bad');
  if (seen === 'try' || seen === 'bad') return null;
  const walk = make();
  if (!walk) return null;
  if (seen !== 'ok') {
    store.write(mark, 'try');
    let good = false;
    try {
      good = sameWalk(walk);
    } catch (e) {
      good = false;
    }
    store.write(mark, good ? 'ok' : 'bad');
    if (!good) return null;
  }
  return walk;
}

/** Both chains a few links from a fixed key: the same codes from the walker as from JavaScript. */
export function sameWalk(walk: ChainWalker): boolean {
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) key[i] = i * 17 + 1;
  for (let ext = 0; ext < 2; ext++) {
    const a = new Int32Array(14);
    sipKey(key, a);
    a[8] = 516959010;
    a[9] = ext;
    a[12] = 1;
    a[13] = ext;
    const b = new Int32Array(a);
    if (walk(a, 3) !== 3 || walkChain(b, 3) !== 3 || a[8] !== b[8] || a[9] !== b[9]) return false;
  }
  return true;
}
