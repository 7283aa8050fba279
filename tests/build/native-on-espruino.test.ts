// The token-walk machine code placed the way the board places it, on the real Espruino
// interpreter (its Linux build): a native function over a flat string holding the exact bytes,
// code and state on 4-byte boundaries at the addresses handed to the code, and words written at
// any byte offset of a flat string landing byte for byte. The code itself runs in
// tests/tokens/native-walk.test.ts on an emulated Cortex-M core: Linux is not one.
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { espruinoBinary, runOnEspruino } from '../../tools/espruino-check';

const binary = espruinoBinary();

describe('token-walk code placed on the Espruino interpreter', () => {
  it('places the code and its state', async () => {
    const lines = runOnEspruino(await bundleEntry('hal/espruino/native-check-main.ts', ''), binary!);
    const place = lines.filter((l) => l.startsWith('PLACE '));
    expect(place.length, lines.join('\n')).toBe(4);
    for (const l of place) expect(l).toMatch(/^PLACE function [0-3] 0 412 code-at state-at same 44332211 -1$/);
    expect(lines.filter((l) => l.startsWith('SKEW '))).toEqual(['SKEW 1 004433221100000000000000', 'SKEW 2 000044332211000000000000', 'SKEW 3 000000443322110000000000']);
  });
});
