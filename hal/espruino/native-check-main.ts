// Entry of a build test (tests/build/native-on-espruino.test.ts), not of the firmware: places
// the token-walk machine code the way the board does and prints what the real interpreter made
// of it. It does not call the code: the Linux interpreter is not a Cortex-M.
import { placeCode } from './native-walk';
import { tokenWalkThumb } from './token-walk-code';

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

const code = tokenWalkThumb();
// Four times, each after a 1..4-byte flat string, so that the code lands on different boundaries.
const keep: any[] = [];
for (let k = 0; k < 4; k++) {
  keep.push(E.toFlatString(new Array(k + 2).join('x')));
  const p = placeCode(code);
  if (!p) {
    console.log('PLACE none');
    continue;
  }
  keep.push(p);
  p.state[0] = 0x11223344;
  p.state[13] = -1;
  const next = new Uint8Array(p.code.buffer, p.code.byteOffset + p.code.length, 4);
  console.log(
    'PLACE ' +
      [
        typeof p.fn,
        E.getAddressOf(p.code.buffer, true) & 3,
        p.codeAt & 3,
        p.at - p.codeAt,
        E.getAddressOf(p.code, true) === p.codeAt ? 'code-at' : 'code-elsewhere',
        E.getAddressOf(p.state, true) === p.at ? 'state-at' : 'state-elsewhere',
        hex(p.code) === hex(new Uint8Array(E.toArrayBuffer(code))) ? 'same' : 'differs',
        hex(next),
        p.state[13],
      ].join(' '),
  );
}
// On the board a flat string may start on any byte, so placeCode views its state at offsets that
// are not multiples of 4 from the string's start: words there must land byte for byte.
for (let off = 1; off < 4; off++) {
  const ab = E.toArrayBuffer(E.toFlatString(new Array(13).join('\0')) as string);
  new Int32Array(ab, off, 1)[0] = 0x11223344;
  console.log('SKEW ' + off + ' ' + hex(new Uint8Array(ab)));
}
