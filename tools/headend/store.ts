// The head-end's database (issue 13): SQLite (sql.js, SQLite compiled to WebAssembly: no native
// build on the operator's machine), kept in one file. Every uplink message is opened with its
// unit's key (firmware/uplink/seal.ts): a genuine one is stored once, under its sequence number,
// even when it comes after a later one (a batch sent again after a reconnection); a forged or
// altered one, or one whose number is stored already (a replay, or the broker's second delivery
// of a QoS 1 message), is refused, counted by unit and reason, and stored nowhere else. The head-end's
// own commands get the next sequence number of their unit, sealed with its key.
//
// A genuine message's payload (tools/headend/payload.ts) is then taken apart: a batch's
// readings, ledger entries and events go to their tables under the unit's ring numbers, so an
// item the unit sends again under a new message number (after a power cut or a reconnection)
// is dropped and counted; a meter list maps a configuration generation's meter indexes to
// names; a state message keeps the newest balances and relays; an answer settles a command.
// A payload not of these forms keeps its message row and is counted as refused 'payload'.
import * as fs from 'fs';
import initSqlJs, { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { openMessage, sealMessage } from '../../firmware/uplink/seal';
import { AccountState, EventItem, LedgerItem, Payload, parsePayload } from './payload';

/** A unit the head-end knows: its name (the topic's <id>) and 16-byte key. */
export interface UnitKey {
  id: string;
  key: Uint8Array;
}

/** A command's state: 'pending' until its answer comes. */
export type CommandStatus = 'pending' | 'ok' | 'failed' | 'taken (answer lost)';

/** A command sent to a unit. */
export interface CommandRow {
  unit: string;
  seq: number;
  payload: string;
  status: CommandStatus;
  /** the unit's answer text; null while pending */
  answer: string | null;
  /** ms */
  sentAt: number;
  answeredAt: number | null;
  /** times published: 1, and one more for each time sent again */
  sends: number;
}

/** What ingest did with a message. Stored: `kind` the payload's kind, or null when it was not
 *  understood (`refused` then says why, as it does for an answer to no command); `dropped` the
 *  batch items already stored, or 1 for a state older than the newest; `answered` the command an
 *  answer settled. */
export type Ingested =
  | { stored: true; seq: number; kind: Payload['k'] | null; dropped: number; refused?: string; answered?: CommandRow }
  | { stored: false; why: string };

/** An account's newest balance (milli-units) and relay, as of t (the unit's UTC seconds). */
export interface Balance extends AccountState {
  unit: string;
  t: number;
}

/** Item counts by kind. */
export interface Counts {
  readings: number;
  ledger: number;
  events: number;
}

/** A unit as the head-end sees it. */
export interface UnitState {
  id: string;
  /** 'online', 'offline' (its will) or 'unknown' (never heard on its state topic) */
  state: string;
  /** ms when state was seen; 0 never */
  stateAt: number;
  /** the last message number taken, and when the newest message came (ms; null none) */
  lastUp: number;
  lastAt: number | null;
  stored: number;
  /** items the unit has not sent yet, its EEPROM's backlog in hours and the state's time: null
   *  until a state message */
  waiting: Counts | null;
  backlogHours: number | null;
  stateT: number | null;
  /** items already stored that came again, and older state messages ignored */
  dropped: Counts & { state: number };
  refused: number;
  refusals: Record<string, number>;
}

/** A reading stored: meter idx of generation gen, with its name and account when the meter list
 *  of that generation came; wh null: the unit had no reading of that meter. */
export interface ReadingRow {
  rseq: number;
  t: number;
  gen: number;
  idx: number;
  wh: number | null;
  meter: string | null;
  account: string | null;
}

/** What csv() exports. */
export type CsvKind = 'messages' | 'readings' | 'ledger' | 'events' | 'balances';
export const CSV_KINDS: CsvKind[] = ['messages', 'readings', 'ledger', 'events', 'balances'];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS units (id TEXT PRIMARY KEY, last_up INTEGER NOT NULL DEFAULT 0, last_down INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'unknown', state_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages (unit TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (unit, seq));
CREATE TABLE IF NOT EXISTS refused (unit TEXT NOT NULL, why TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (unit, why));
CREATE TABLE IF NOT EXISTS commands (unit TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (unit, seq));
CREATE TABLE IF NOT EXISTS readings (unit TEXT NOT NULL, rseq INTEGER NOT NULL, idx INTEGER NOT NULL, t INTEGER NOT NULL, gen INTEGER NOT NULL, wh INTEGER, PRIMARY KEY (unit, rseq, idx, t));
CREATE TABLE IF NOT EXISTS ledger (unit TEXT NOT NULL, mseq INTEGER NOT NULL, t INTEGER NOT NULL, kind TEXT NOT NULL, entry INTEGER NOT NULL, amount INTEGER NOT NULL, balance INTEGER NOT NULL, ref INTEGER NOT NULL, account TEXT NOT NULL, PRIMARY KEY (unit, mseq, t));
CREATE TABLE IF NOT EXISTS events (unit TEXT NOT NULL, eseq INTEGER NOT NULL, t INTEGER NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (unit, eseq, t));
CREATE TABLE IF NOT EXISTS meters (unit TEXT NOT NULL, gen INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, account TEXT NOT NULL, PRIMARY KEY (unit, gen, idx));
CREATE TABLE IF NOT EXISTS accounts (unit TEXT NOT NULL, account TEXT NOT NULL, balance INTEGER NOT NULL, relay INTEGER NOT NULL, mode TEXT NOT NULL, charged INTEGER NOT NULL, topped_up INTEGER NOT NULL, t INTEGER NOT NULL, PRIMARY KEY (unit, account));
CREATE TABLE IF NOT EXISTS dropped (unit TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (unit, kind));
`;

// Columns added after the first step's tables: added to a database made before them. A command
// of such a database counts as pending, so it is sent again and its answer settles it.
const COLUMNS: [string, string, string][] = [
  ['units', 'wait_r', 'INTEGER'],
  ['units', 'wait_m', 'INTEGER'],
  ['units', 'wait_e', 'INTEGER'],
  ['units', 'backlog_h', 'INTEGER'],
  ['units', 'state_t', 'INTEGER'],
  ['commands', 'status', "TEXT NOT NULL DEFAULT 'pending'"],
  ['commands', 'answer', 'TEXT'],
  ['commands', 'answered_at', 'INTEGER'],
  ['commands', 'sends', 'INTEGER NOT NULL DEFAULT 1'],
  ['commands', 'last_sent_at', 'INTEGER'],
];

let sql: SqlJsStatic | null = null;

type Row = SqlValue[];

/** A field of a CSV line, quoted as RFC 4180 says when it holds a quote, comma or line break. */
function field(v: SqlValue): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** A unit's time (UTC seconds) as ISO text; a number no date can hold stays a number. */
function isoSeconds(t: number): string {
  const d = new Date(t * 1000);
  return isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/\.000Z$/, 'Z');
}

/** The head-end's store, in memory, written to `file` by save(). */
export class HeadendStore {
  private stmts = new Map<string, Statement>();

  private constructor(private db: Database, private file: string | null, private keys: Map<string, Uint8Array>) {}

  /** Opens the store in `file` (made when absent; null: memory only) for the units given. */
  static async open(file: string | null, units: UnitKey[]): Promise<HeadendStore> {
    if (!sql) sql = await initSqlJs();
    const db = file && fs.existsSync(file) ? new sql.Database(fs.readFileSync(file)) : new sql.Database();
    db.run(SCHEMA);
    for (const [table, col, type] of COLUMNS) {
      const have = db.exec('PRAGMA table_info(' + table + ')')[0].values.some((r) => r[1] === col);
      if (!have) db.run('ALTER TABLE ' + table + ' ADD COLUMN ' + col + ' ' + type);
    }
    db.run('UPDATE commands SET last_sent_at = sent_at WHERE last_sent_at IS NULL');
    const keys = new Map<string, Uint8Array>();
    for (const u of units) {
      keys.set(u.id, u.key);
      db.run('INSERT OR IGNORE INTO units (id) VALUES (?)', [u.id]);
    }
    return new HeadendStore(db, file, keys);
  }

  /** A message from unit `id`'s up topic, received at `now` (ms). */
  ingest(id: string, text: string, now: number): Ingested {
    const key = this.keys.get(id);
    if (!key) return this.refuse(id, 'unknown unit');
    // (every number is looked up, not only those above the last: a late one is stored too)
    const r = openMessage(key, id, 0, text);
    if (!r.ok) return this.refuse(id, r.error);
    const seq = r.value.seq;
    if (this.num('SELECT COUNT(*) FROM messages WHERE unit = ? AND seq = ?', [id, seq])) return this.refuse(id, 'replay');
    // (checked whole first: a message is stored with all its items or, refused, with none)
    const p = parsePayload(r.value.payload);
    this.db.run('BEGIN');
    try {
      this.run('INSERT INTO messages (unit, seq, payload, received_at) VALUES (?, ?, ?, ?)', [id, seq, r.value.payload, now]);
      this.run('UPDATE units SET last_up = MAX(last_up, ?) WHERE id = ?', [seq, id]);
      let out: Ingested;
      if (!p) {
        this.bump('refused', id, 'payload');
        out = { stored: true, seq, kind: null, dropped: 0, refused: 'payload' };
      } else out = { stored: true, seq, kind: p.k, ...this.take(id, p, now) };
      this.db.run('COMMIT');
      return out;
    } catch (e) {
      this.db.run('ROLLBACK');
      throw e;
    }
  }

  /** The unit's state topic: 'online', or its will 'offline'. */
  state(id: string, text: string, now: number): void {
    if (!this.keys.has(id)) return;
    this.db.run('UPDATE units SET state = ?, state_at = ? WHERE id = ?', [text === 'online' ? 'online' : 'offline', now, id]);
  }

  /** A command for unit id, sealed with the next number: the text to publish on its cmd topic.
   *  It stays pending until the unit's answer comes (pendingCommands gives it to send again). */
  command(id: string, payload: string, now: number): string {
    const key = this.keys.get(id);
    if (!key) throw new Error('no unit ' + id);
    const seq = this.num('SELECT last_down FROM units WHERE id = ?', [id]) + 1;
    this.db.run('UPDATE units SET last_down = ? WHERE id = ?', [seq, id]);
    this.db.run("INSERT INTO commands (unit, seq, payload, sent_at, status, sends, last_sent_at) VALUES (?, ?, ?, ?, 'pending', 1, ?)", [id, seq, payload, now, now]);
    return sealMessage(key, id, seq, payload);
  }

  /** The pending commands (of unit, or of every unit) last sent at or before `before` (ms),
   *  oldest first, each with the text first published (the same number, the same seal). */
  pendingCommands(unit?: string, before = Number.MAX_SAFE_INTEGER): { unit: string; seq: number; text: string }[] {
    const q = "SELECT unit, seq, payload FROM commands WHERE status = 'pending' AND last_sent_at <= ?" + (unit === undefined ? '' : ' AND unit = ?') + ' ORDER BY unit, seq';
    return this.rows(q, unit === undefined ? [before] : [before, unit]).flatMap(([u, s, p]) => {
      const key = this.keys.get(String(u));
      // (a unit taken out of the units file gets nothing)
      return key ? [{ unit: String(u), seq: Number(s), text: sealMessage(key, String(u), Number(s), String(p)) }] : [];
    });
  }

  /** Notes that command seq of unit id was published again at now (ms). */
  resent(id: string, seq: number, now: number): void {
    this.run('UPDATE commands SET sends = sends + 1, last_sent_at = ? WHERE unit = ? AND seq = ?', [now, id, seq]);
  }

  /** The commands sent (to unit, or to every unit), in order. */
  commands(unit?: string): CommandRow[] {
    const q = 'SELECT unit, seq, payload, status, answer, sent_at, answered_at, sends FROM commands' + (unit === undefined ? '' : ' WHERE unit = ?') + ' ORDER BY unit, seq';
    return this.rows(q, unit === undefined ? [] : [unit]).map(commandRow);
  }

  /** Each unit: its state, the last number taken from it, messages stored and refused. */
  units(): { id: string; state: string; lastUp: number; stored: number; refused: number }[] {
    const q = 'SELECT id, state, last_up, (SELECT COUNT(*) FROM messages m WHERE m.unit = u.id), (SELECT COALESCE(SUM(count), 0) FROM refused r WHERE r.unit = u.id) FROM units u ORDER BY id';
    return this.rows(q).map(([id, state, lastUp, stored, refused]) => ({ id: String(id), state: String(state), lastUp: Number(lastUp), stored: Number(stored), refused: Number(refused) }));
  }

  /** Each unit in full: online or not, its last message, what it still has to send, the
   *  duplicates dropped and the refusals. */
  unitStates(): UnitState[] {
    const q =
      'SELECT id, state, state_at, last_up, (SELECT MAX(received_at) FROM messages m WHERE m.unit = u.id), (SELECT COUNT(*) FROM messages m WHERE m.unit = u.id), wait_r, wait_m, wait_e, backlog_h, state_t FROM units u ORDER BY id';
    const dropped = new Map<string, number>();
    for (const [u, k, c] of this.rows('SELECT unit, kind, count FROM dropped')) dropped.set(u + ' ' + k, Number(c));
    const refusals = this.refusals();
    return this.rows(q).map(([id, state, stateAt, lastUp, lastAt, stored, wr, wm, we, h, st]) => {
      const mine = refusals.filter((r) => r.unit === id);
      const d = (k: string) => dropped.get(id + ' ' + k) || 0;
      return {
        id: String(id),
        state: String(state),
        stateAt: Number(stateAt),
        lastUp: Number(lastUp),
        lastAt: lastAt === null ? null : Number(lastAt),
        stored: Number(stored),
        waiting: wr === null ? null : { readings: Number(wr), ledger: Number(wm), events: Number(we) },
        backlogHours: h === null ? null : Number(h),
        stateT: st === null ? null : Number(st),
        dropped: { readings: d('readings'), ledger: d('ledger'), events: d('events'), state: d('state') },
        refused: mine.reduce((a, r) => a + r.count, 0),
        refusals: Object.fromEntries(mine.map((r) => [r.why, r.count])),
      };
    });
  }

  /** Each account's newest balance and relay (of unit, or of every unit). */
  balances(unit?: string): Balance[] {
    const q = 'SELECT unit, account, balance, relay, mode, charged, topped_up, t FROM accounts' + (unit === undefined ? '' : ' WHERE unit = ?') + ' ORDER BY unit, account';
    return this.rows(q, unit === undefined ? [] : [unit]).map(([u, a, b, r, m, c, tu, t]) => ({
      unit: String(u),
      account: String(a),
      balance: Number(b),
      relay: r === 1,
      mode: String(m),
      charged: Number(c),
      toppedUp: Number(tu),
      t: Number(t),
    }));
  }

  /** Unit id's readings in the unit's order (ring number, then meter). */
  readings(id: string): ReadingRow[] {
    const q = 'SELECT r.rseq, r.t, r.gen, r.idx, r.wh, mt.name, mt.account FROM readings r LEFT JOIN meters mt ON mt.unit = r.unit AND mt.gen = r.gen AND mt.idx = r.idx WHERE r.unit = ? ORDER BY r.rseq, r.idx';
    return this.rows(q, [id]).map(([rseq, t, gen, idx, wh, name, account]) => ({
      rseq: Number(rseq),
      t: Number(t),
      gen: Number(gen),
      idx: Number(idx),
      wh: wh === null ? null : Number(wh),
      meter: name === null ? null : String(name),
      account: account === null ? null : String(account),
    }));
  }

  /** Unit id's ledger entries in the unit's order. */
  ledger(id: string): LedgerItem[] {
    return this.rows('SELECT mseq, t, kind, entry, amount, balance, ref, account FROM ledger WHERE unit = ? ORDER BY mseq', [id]).map(([mseq, t, kind, entry, amount, balance, ref, account]) => ({
      mseq: Number(mseq),
      t: Number(t),
      kind: String(kind),
      entry: Number(entry),
      amount: Number(amount),
      balance: Number(balance),
      ref: Number(ref),
      account: String(account),
    }));
  }

  /** Unit id's events in the unit's order. */
  events(id: string): EventItem[] {
    return this.rows('SELECT eseq, t, account, kind, text FROM events WHERE unit = ? ORDER BY eseq', [id]).map(([eseq, t, account, kind, text]) => ({
      eseq: Number(eseq),
      t: Number(t),
      account: String(account),
      kind: String(kind),
      text: String(text),
    }));
  }

  /** Refusals by unit and reason. */
  refusals(): { unit: string; why: string; count: number }[] {
    return this.rows('SELECT unit, why, count FROM refused ORDER BY unit, why').map(([unit, why, count]) => ({ unit: String(unit), why: String(why), count: Number(count) }));
  }

  /** A unit's stored messages in order: [seq, payload]. */
  messages(id: string): [number, string][] {
    return this.rows('SELECT seq, payload FROM messages WHERE unit = ? ORDER BY seq', [id]).map(([s, p]) => [Number(s), String(p)]);
  }

  /** The stored messages as CSV (unit, seq, received_at as ISO time, payload), quoted as RFC 4180 says. */
  messagesCsv(): string {
    return this.csv('messages');
  }

  /** One kind as CSV, every unit's rows in the unit's order, quoted as RFC 4180 says; times as
   *  ISO text, money in milli-units and energy in Wh as the unit sent them (integers), a
   *  missing value (a meter with no reading, a name not known) an empty field. */
  csv(kind: CsvKind): string {
    let head: string;
    let rows: Row[];
    switch (kind) {
      case 'messages':
        head = 'unit,seq,received_at,payload';
        rows = this.rows('SELECT unit, seq, received_at, payload FROM messages ORDER BY unit, seq').map(([u, s, t, p]) => [u, s, new Date(Number(t)).toISOString(), p]);
        break;
      case 'readings':
        head = 'unit,rseq,time,gen,idx,meter,account,wh';
        rows = this.rows(
          'SELECT r.unit, r.rseq, r.t, r.gen, r.idx, mt.name, mt.account, r.wh FROM readings r LEFT JOIN meters mt ON mt.unit = r.unit AND mt.gen = r.gen AND mt.idx = r.idx ORDER BY r.unit, r.rseq, r.idx',
        ).map((r) => [r[0], r[1], isoSeconds(Number(r[2])), ...r.slice(3)]);
        break;
      case 'ledger':
        head = 'unit,mseq,time,kind,entry,amount_milli,balance_milli,ref,account';
        rows = this.rows('SELECT unit, mseq, t, kind, entry, amount, balance, ref, account FROM ledger ORDER BY unit, mseq').map((r) => [r[0], r[1], isoSeconds(Number(r[2])), ...r.slice(3)]);
        break;
      case 'events':
        head = 'unit,eseq,time,account,kind,text';
        rows = this.rows('SELECT unit, eseq, t, account, kind, text FROM events ORDER BY unit, eseq').map((r) => [r[0], r[1], isoSeconds(Number(r[2])), ...r.slice(3)]);
        break;
      case 'balances':
        head = 'unit,account,balance_milli,relay,mode,charged_milli,topped_up_milli,time';
        rows = this.balances().map((b) => [b.unit, b.account, b.balance, b.relay ? 'on' : 'off', b.mode, b.charged, b.toppedUp, isoSeconds(b.t)]);
        break;
    }
    return [head, ...rows.map((r) => r.map(field).join(','))].join('\r\n') + '\r\n';
  }

  /** Writes the database to its file (whole, then renamed: a crash leaves the old one). */
  save(): void {
    if (!this.file) return;
    fs.writeFileSync(this.file + '.tmp', Buffer.from(this.db.export()));
    fs.renameSync(this.file + '.tmp', this.file);
  }

  close(): void {
    this.save();
    for (const st of this.stmts.values()) st.free();
    this.stmts.clear();
    this.db.close();
  }

  /** A payload understood: its items stored, the newest state kept, an answer settling its command. */
  private take(id: string, p: Payload, now: number): { dropped: number; refused?: string; answered?: CommandRow } {
    switch (p.k) {
      case 'b': {
        let dropped = 0;
        const count = (kind: string, n: number) => {
          if (n) this.bump('dropped', id, kind, n);
          dropped += n;
        };
        let n = 0;
        for (const r of p.r) {
          let added = 0;
          r.wh.forEach((wh, i) => (added += this.run('INSERT OR IGNORE INTO readings (unit, rseq, idx, t, gen, wh) VALUES (?, ?, ?, ?, ?, ?)', [id, r.rseq, r.first + i, r.t, r.gen, wh])));
          if (r.wh.length && !added) n++;
        }
        count('readings', n);
        n = 0;
        for (const m of p.m)
          if (!this.run('INSERT OR IGNORE INTO ledger (unit, mseq, t, kind, entry, amount, balance, ref, account) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [id, m.mseq, m.t, m.kind, m.entry, m.amount, m.balance, m.ref, m.account])) n++;
        count('ledger', n);
        n = 0;
        for (const e of p.e) if (!this.run('INSERT OR IGNORE INTO events (unit, eseq, t, account, kind, text) VALUES (?, ?, ?, ?, ?, ?)', [id, e.eseq, e.t, e.account, e.kind, e.text])) n++;
        count('events', n);
        return { dropped };
      }
      case 'c':
        // (a generation's list is whole: one sent again replaces it, never leaves a longer one's tail)
        this.run('DELETE FROM meters WHERE unit = ? AND gen = ?', [id, p.gen]);
        p.meters.forEach((name, i) => this.run('INSERT INTO meters (unit, gen, idx, name, account) VALUES (?, ?, ?, ?, ?)', [id, p.gen, i, name, p.accounts[i]]));
        return { dropped: 0 };
      case 's': {
        // (only the newest state counts: one the unit sent earlier and that comes late is dropped)
        if (this.num('SELECT COUNT(*) FROM units WHERE id = ? AND state_t > ?', [id, p.t])) {
          this.bump('dropped', id, 'state');
          return { dropped: 1 };
        }
        this.run('UPDATE units SET wait_r = ?, wait_m = ?, wait_e = ?, backlog_h = ?, state_t = ? WHERE id = ?', [...p.waiting, p.hours, p.t, id]);
        for (const a of p.accounts)
          this.run(
            'INSERT INTO accounts (unit, account, balance, relay, mode, charged, topped_up, t) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit, account) DO UPDATE SET balance = excluded.balance, relay = excluded.relay, mode = excluded.mode, charged = excluded.charged, topped_up = excluded.topped_up, t = excluded.t WHERE excluded.t >= accounts.t',
            [id, a.account, a.balance, a.relay ? 1 : 0, a.mode, a.charged, a.toppedUp, p.t],
          );
        return { dropped: 0 };
      }
      case 'a': {
        const c = this.rows('SELECT status, sends FROM commands WHERE unit = ? AND seq = ?', [id, p.cmd]);
        if (!c.length) {
          this.bump('refused', id, 'no such command');
          return { dropped: 0, refused: 'no such command' };
        }
        const [status, sends] = c[0];
        let next: CommandStatus | null = null;
        if (!p.ok && p.text === 'replay') {
          // the unit took this number before: from a command sent again, it took the first copy
          // and its answer was lost; from one sent once, the number was not new (a failure)
          if (status === 'pending') next = Number(sends) > 1 ? 'taken (answer lost)' : 'failed';
        } else if (status === 'pending' || status === 'taken (answer lost)') next = p.ok ? 'ok' : 'failed';
        if (next) this.run('UPDATE commands SET status = ?, answer = ?, answered_at = ? WHERE unit = ? AND seq = ?', [next, p.text, now, id, p.cmd]);
        return { dropped: 0, answered: this.commands(id).find((x) => x.seq === p.cmd) };
      }
    }
  }

  private refuse(id: string, why: string): Ingested {
    this.bump('refused', id, why);
    return { stored: false, why };
  }

  /** Adds n to a count of refused or dropped (by unit and reason or kind). */
  private bump(table: 'refused' | 'dropped', id: string, what: string, n = 1): void {
    const col = table === 'refused' ? 'why' : 'kind';
    this.run('INSERT INTO ' + table + ' (unit, ' + col + ', count) VALUES (?, ?, ?) ON CONFLICT (unit, ' + col + ') DO UPDATE SET count = count + excluded.count', [id, what, n]);
  }

  /** Runs a statement (prepared once: a batch runs the same few many times); rows changed. */
  private run(q: string, p: SqlValue[]): number {
    let st = this.stmts.get(q);
    if (!st) this.stmts.set(q, (st = this.db.prepare(q)));
    st.run(p);
    return this.db.getRowsModified();
  }

  private num(q: string, p: SqlValue[]): number {
    const r = this.rows(q, p);
    return r.length ? Number(r[0][0]) : 0;
  }

  private rows(q: string, p: SqlValue[] = []): Row[] {
    const st = this.db.prepare(q);
    st.bind(p);
    const out: Row[] = [];
    while (st.step()) out.push(st.get());
    st.free();
    return out;
  }
}

function commandRow([unit, seq, payload, status, answer, sentAt, answeredAt, sends]: Row): CommandRow {
  return {
    unit: String(unit),
    seq: Number(seq),
    payload: String(payload),
    status: String(status) as CommandStatus,
    answer: answer === null ? null : String(answer),
    sentAt: Number(sentAt),
    answeredAt: answeredAt === null ? null : Number(answeredAt),
    sends: Number(sends),
  };
}

/** The units file: {"units": [{"id": "floor3", "key": "<32 hex digits>"}, ...]}; a value or a
 *  message naming what is wrong. */
export function parseUnits(text: string): { ok: true; units: UnitKey[] } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: 'not JSON: ' + (e as Error).message };
  }
  const list = raw && typeof raw === 'object' ? (raw as { units?: unknown }).units : undefined;
  if (!Array.isArray(list)) return { ok: false, error: 'units: expected a list' };
  const units: UnitKey[] = [];
  for (let i = 0; i < list.length; i++) {
    const u = (list[i] || {}) as { id?: unknown; key?: unknown };
    if (typeof u.id !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(u.id)) return { ok: false, error: 'units[' + i + '].id: expected 1 to 32 letters, digits, _ or -' };
    if (typeof u.key !== 'string' || !/^[0-9a-fA-F]{32}$/.test(u.key)) return { ok: false, error: 'units[' + i + '].key: expected 32 hexadecimal digits' };
    if (units.some((x) => x.id === u.id)) return { ok: false, error: 'units[' + i + '].id: ' + u.id + ' listed twice' };
    units.push({ id: u.id, key: Uint8Array.from(Buffer.from(u.key, 'hex')) });
  }
  return { ok: true, units };
}
