import { describe, expect, it } from 'vitest';
import { matchToken } from '../../firmware/tokens/openpaygo';
import { mulberry32 } from '../../sim/prng';
import { SECRET } from './helpers';

// A guess matches a given count when its upper six digits equal that count's code: about one
// chance in 10^6 per count searched above the last count.
describe('brute force against a fresh device', () => {
  it('random 9-digit tokens are accepted at about (counts in reach) / 10^6', () => {
    const TRIES = 100000;
    const last = 1;
    const rnd = mulberry32(20240607);
    let accepted = 0;
    let used = 0;
    // Lock-out left out on purpose (matchToken has none): this measures the code space.
    for (let i = 0; i < TRIES; i++) {
      const code = Math.floor(rnd() * 1e9);
      const m = matchToken(SECRET, { code, extended: false }, last, 0);
      if (m.ok) accepted++;
      else if (m.error === 'used') used++;
    }
    const reach = 64; // counts 2..65 are above the last count (a sync value reaches 101)
    const expected = (TRIES * reach) / 1e6;
    console.log('brute force: ' + accepted + ' of ' + TRIES + ' random tokens accepted (expected about ' + expected.toFixed(1) + '), ' + used + ' hit a used count');
    expect(accepted).toBeLessThanOrEqual(3 * expected + 5);

    // Under the lock-out every wrong guess after the 11th costs 512 minutes.
    const p = reach / 1e6;
    const guesses = 1 / p;
    const minutes = (guesses - 11) * 512 + (2 + 4 + 8 + 16 + 32 + 64 + 128 + 256 + 512);
    const years = minutes / 60 / 24 / 365.25;
    console.log('expected time to guess a valid 9-digit token under the lock-out: ' + Math.round(guesses) + ' guesses, about ' + years.toFixed(1) + ' years');
    // Codes from 10^9 up fold onto 926258175..999999998, so those upper digits come up twice
    // as often: an attacker guessing only there needs half the guesses.
    console.log('(an attacker guessing only in the folded range 926258xxx..999999xxx: about ' + (years / 2).toFixed(1) + ' years)');
    expect(years).toBeGreaterThan(10);
  });
});
