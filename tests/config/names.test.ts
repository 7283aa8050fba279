// Account and meter names are kept in one string each (firmware/tables.ts): nameAt and
// nameIndex must answer as an array of the names would, for any names a configuration accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameAt, nameIndex, nameList } from '../../firmware/tables';

// Printable ASCII without spaces, as config.ts accepts them.
const nameArb = fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 16 });

describe('names kept in one string', () => {
  it('nameAt, nameIndex and nameList agree with an array of the names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(nameArb, { maxLength: 40 }), nameArb, (names, other) => {
        const s = names.map((n) => n + ' ').join('');
        expect(nameList(s)).toEqual(names);
        for (let i = 0; i < names.length; i++) {
          expect(nameAt(s, i)).toBe(names[i]);
          expect(nameIndex(s, names[i])).toBe(i);
        }
        expect(nameIndex(s, other)).toBe(names.indexOf(other));
        for (const i of [-1, names.length, names.length + 3, NaN]) expect(nameAt(s, i)).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  it('a part of a name, two names or an empty name are not names', () => {
    const s = 'R101 R102 Shop-1 ';
    expect(nameIndex(s, 'R10')).toBe(-1);
    expect(nameIndex(s, '101')).toBe(-1);
    expect(nameIndex(s, 'R101 R102')).toBe(-1);
    expect(nameIndex(s, '')).toBe(-1);
    expect(nameIndex(s, 'Shop-1')).toBe(2);
    expect(nameIndex('', 'R1')).toBe(-1);
    expect(nameAt('', 0)).toBe('');
  });
});
