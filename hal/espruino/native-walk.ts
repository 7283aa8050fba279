// The token hash chain in machine code (native/token-walk.c) on a Cortex-M board, called with
// E.nativeCall: about a hundred times faster than the interpreter, so a token at count 1000
// decodes in well under a second on a Pico. The first time a firmware runs it, the code is
// checked against the JavaScript walker with a flag in Storage around the check: if the check
// crashes the board, the next boot finds the flag and stays with JavaScript.
import type { ChainWalker } from '../../firmware/tokens/openpaygo';
import { tokenWalkThumb } from './token-walk-code';

/** The machine code and the walker's state share one flat string: [pad][code][state 56 bytes]. */
const STATE_BYTES = 56;

/** Where the code was placed: the native function, its state's address and a view of the state. */
export interface PlacedCode {
  fn: (at: number, steps: number) => number;
  /** Addresses of the code and of the state (both on a 4-byte boundary). */
  codeAt: number;
  at: number;
  state: Int32Array;
  /** The bytes as they lie in memory. */
  code: Uint8Array;
}

/** Puts machine code and a 14-word state in one flat string, both on a 4-byte boundary: Thumb
 *  code must start on an even address and reads its state with word loads, while a flat string
 *  starts wherever its block does. Null when no flat string can be had. */
export function placeCode(code: string): PlacedCode | null {
  const len = code.length;
  const flat = E.toFlatString(code + new Array(STATE_BYTES + 4).join('\0'));
  if (!flat) return null;
  const base = E.getAddressOf(flat, true);
  const pad = (4 - (base & 3)) & 3;
  const bytes = new Uint8Array(E.toArrayBuffer(flat));
  for (let i = len - 1; i >= 0; i--) bytes[pad + i] = code.charCodeAt(i);
  return {
    fn: E.nativeCall(pad + 1, 'int(int,int)', flat),
    codeAt: base + pad,
    at: base + pad + len,
    state: new Int32Array(E.toArrayBuffer(flat), pad + len, 14),
    code: new Uint8Array(E.toArrayBuffer(flat), pad, len),
  };
}

/** The walker that runs the token-walk code: copies the state in, calls, copies the code out;
 *  the entry of the board HAL's module `twk` (tools/build.ts), loaded at the first token entry;
 *  null when no flat string can be had. Not yet checked: the token module checks it against
 *  the JavaScript walker once per build (firmware/tokens/walker-check.ts). Should E.defrag()
 *  ever move the flat string (and so its alignment), it answers -1 (the caller walks in
 *  JavaScript) rather than jump into misaligned code. */
export function tokenWalker(): ChainWalker | null {
  const p = placeCode(tokenWalkThumb());
  if (!p) return null;
  return function (st: Int32Array, steps: number): number {
    if (E.getAddressOf(p.code, true) !== p.codeAt) return -1;
    for (let i = 0; i < 14; i++) p.state[i] = st[i];
    const n = p.fn(p.at, steps);
    st[8] = p.state[8];
    st[9] = p.state[9];
    return n;
  };
}
