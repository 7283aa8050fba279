// Token entry, an on-demand module (firmware/modules.ts): decodes an OpenPAYGO token typed for
// an account, applies the credit it grants and commits the token's counters with that credit.
import { Decision, formatDecision } from '../core';
import { Answer, changed, fail } from '../console/answer';
import { formatMoney } from '../console/words';
import { timeText } from '../storage/history';
import type { Unit } from '../unit';
import { HAS_TOKEN, nameAt } from '../tables';
import { enterToken, freshTokenState, parseToken, useChainWalker, walkChain } from './openpaygo';
import { checkedWalker } from './walker-check';

/** The token module's entry: enters `digits` for account a and answers. */
export type TokenEntry = (u: Unit, a: number, digits: string) => Answer;

/** Account a's OpenPAYGO identity from the configuration, or null when it has none. */
function tokenSecret(u: Unit, a: number): { key: Uint8Array; startingCode: number; unit: number } | null {
  const t = u.cfg.accounts;
  if (!(t.flags[a] & HAS_TOKEN)) return null;
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) key[i] = t.tokenKey[a * 16 + i];
  return { key: key, startingCode: t.tokenStart[a], unit: t.tokenUnit[a] };
}

/** Enters a token for account a. */
export function enterTokenFor(u: Unit, a: number, digits: string): Answer {
  const core = u.core;
  const name = nameAt(u.cfg.accounts.names, a);
  const secret = tokenSecret(u, a);
  if (!secret) return fail('account ' + name + ' has no token identity (set its token key and start code)');
  const p = parseToken(digits);
  if (!p.ok) return fail(p.detail || 'token: ' + p.error);
  if (u.walker === undefined) {
    const nw = u.hal.nativeWalker;
    u.walker = nw ? checkedWalker(nw.marks, nw.mark, nw.make) : null;
  }
  const nat = u.walker;
  // -1 from the machine code: it cannot run where its string now lies; JavaScript walks.
  useChainWalker(
    nat
      ? function (st: Int32Array, steps: number): number {
          const n = nat(st, steps);
          return n >= 0 ? n : walkChain(st, steps);
        }
      : null,
  );
  const tokens = u.tokens;
  const before = tokens[name] || freshTokenState();
  const now = u.time();
  const r = enterToken(secret, before, p.value, now);
  const res = r.result;
  if (!res.ok) {
    tokens[name] = r.state;
    u.persist([], a); // a power cycle must not clear the lock-out
    u.log(a, 'token', 'token ' + res.error);
    if (res.error === 'locked') return fail('token entry locked for ' + res.waitSeconds + ' s after wrong tokens');
    if (res.error === 'used') return fail('token already used');
    const left = 2 - r.state.invalidCount;
    return fail('token invalid' + (left > 0 ? ' (' + left + ' more before a lock-out)' : left === 0 ? ' (the next wrong token locks entry)' : ', entry locked for ' + (r.state.lockedUntil - now) + ' s'));
  }
  const lines: string[] = [];
  let ds: Decision[] = [];
  // The token's new counters go into the same commit as the credit it grants.
  tokens[name] = r.state;
  if (res.kind === 'add' || res.kind === 'set') {
    const target = res.value * secret.unit;
    const diff = res.kind === 'add' ? target : target - core.balance[a];
    if (diff > 0) ds = u.handle({ t: 'topup', time: now, account: a, amountMilli: diff });
    else if (diff < 0) ds = u.handle({ t: 'refund', time: now, account: a, amountMilli: -diff });
    for (let i = 0; i < ds.length; i++) {
      if (ds[i].kind === 'refused') {
        tokens[name] = before;
        u.persist([], a);
        return fail('token refused: ' + ds[i].code + ' (the token stays unused)');
      }
    }
  } else if (res.kind === 'disable') ds = u.handle({ t: 'mode', time: now, account: a, mode: 1 });
  if (!ds.length) u.persist([], a);
  u.log(a, 'token', 'token ' + res.kind + ' ' + res.value + ' count ' + res.count);
  lines.push('TOKEN ' + name + ' ' + res.kind + (res.kind === 'add' || res.kind === 'set' ? ' ' + formatMoney(res.value * secret.unit) : '') + ' count ' + res.count);
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i];
    if (d.kind === 'ledger') lines.push('RECEIPT #' + d.seq + ' ' + timeText(now + core.cfg.calendar.utcOffsetS) + ' ' + name + ' ' + d.code + ' ' + formatMoney(d.value) + ' balance ' + formatMoney(d.balance) + ' by token');
    else lines.push(formatDecision(d));
  }
  return changed(lines, { account: name, kind: res.kind, value: res.value, count: res.count, balance: core.balance[a] });
}
