// Shared fixtures for the token tests: the official vectors and a device/vendor pair.
import * as fs from 'fs';
import { enterToken, freshTokenState, parseToken, TokenKind, TokenResult, TokenSecret, TokenState } from '../../firmware/tokens/openpaygo';
import { generateToken, keyFromHex } from '../../tools/openpaygo-encode';

export interface Vector {
  serial_number: string;
  starting_code: number;
  key: string;
  count: number;
  token_type: 'ADD_TIME' | 'SET_TIME' | 'DISABLE_PAYG' | 'COUNTER_SYNC';
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
  new_count: number;
  token: string;
}

export const KINDS: Record<Vector['token_type'], TokenKind> = { ADD_TIME: 'add', SET_TIME: 'set', DISABLE_PAYG: 'disable', COUNTER_SYNC: 'sync' };

export const vectors: Vector[] = fs
  .readFileSync('/work/shared/protocols/openpaygo-token-vectors.jsonl', 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

export const SECRET: TokenSecret = { key: keyFromHex(vectors[0].key)!, startingCode: vectors[0].starting_code };

/** A vendor for one account: issues tokens in count order, as a back-end does. */
export class Vendor {
  count = 1;
  constructor(public secret: TokenSecret, public extended = false, public restricted = false) {}
  issue(kind: TokenKind, value = 0): string {
    const r = generateToken({ key: this.secret.key, startingCode: this.secret.startingCode, count: this.count, kind, value, extended: this.extended, restricted: this.restricted });
    if (!r.ok) throw new Error(r.error);
    this.count = r.count;
    return r.token;
  }
}

/** A device for one account: keeps the state the caller would store with the balance. */
export class Device {
  state: TokenState = freshTokenState();
  now = 1000;
  constructor(public secret: TokenSecret) {}
  enter(text: string): TokenResult {
    const p = parseToken(text);
    if (!p.ok) throw new Error(p.detail);
    const r = enterToken(this.secret, this.state, p.value, this.now);
    this.state = r.state;
    return r.result;
  }
}
