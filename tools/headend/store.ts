// The head-end's database (issue 13): SQLite (sql.js, SQLite compiled to WebAssembly: no native
// build on the operator's machine), kept in one file. Every uplink message is opened with its
// unit's key (firmware/uplink/seal.ts): a genuine one is stored once, under its sequence number,
// even when it comes after a later one (a batch sent again after a reconnection); a forged or
// altered one, or one whose number is stored already (a replay, or the broker's second delivery
// of a QoS 1 message), is refused, counted by unit and reason, and stored nowhere else. The head-end's
// own commands get the next sequence number of their unit, sealed with its key.
import * as fs from 'fs';
import initSqlJs, { Database, SqlJsStatic } from 'sql.js';
import { openMessage, sealMessage } from '../../firmware/uplink/seal';

/** A unit the head-end knows: its name (the topic's <id>) and 16-byte key. */
export interface UnitKey {
  id: string;
  key: Uint8Array;
}

/** What ingest did with a message. */
export type Ingested = { stored: true; seq: number } | { stored: false; why: string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS units (id TEXT PRIMARY KEY, last_up INTEGER NOT NULL DEFAULT 0, last_down INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'unknown', state_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages (unit TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (unit, seq));
CREATE TABLE IF NOT EXISTS refused (unit TEXT NOT NULL, why TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (unit, why));
CREATE TABLE IF NOT EXISTS commands (unit TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (unit, seq));
`;

let sql: SqlJsStatic | null = null;

/** The head-end's store, in memory, written to `file` by save(). */
export class HeadendStore {
  private constructor(private db: Database, private file: string | null, private keys: Map<string, Uint8Array>) {}

  /** Opens the store in `file` (made when absent; null: memory only) for the units given. */
  static async open(file: string | null, units: UnitKey[]): Promise<HeadendStore> {
    if (!sql) sql = await initSqlJs();
    const db = file && fs.existsSync(file) ? new sql.Database(fs.readFileSync(file)) : new sql.Database();
    db.run(SCHEMA);
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
    if (this.num('SELECT COUNT(*) FROM messages WHERE unit = ? AND seq = ?', [id, r.value.seq])) return this.refuse(id, 'replay');
    this.db.run('INSERT INTO messages (unit, seq, payload, received_at) VALUES (?, ?, ?, ?)', [id, r.value.seq, r.value.payload, now]);
    this.db.run('UPDATE units SET last_up = MAX(last_up, ?) WHERE id = ?', [r.value.seq, id]);
    return { stored: true, seq: r.value.seq };
  }

  /** The unit's state topic: 'online', or its will 'offline'. */
  state(id: string, text: string, now: number): void {
    if (!this.keys.has(id)) return;
    this.db.run('UPDATE units SET state = ?, state_at = ? WHERE id = ?', [text === 'online' ? 'online' : 'offline', now, id]);
  }

  /** A command for unit id, sealed with the next number: the text to publish on its cmd topic. */
  command(id: string, payload: string, now: number): string {
    const key = this.keys.get(id);
    if (!key) throw new Error('no unit ' + id);
    const seq = this.num('SELECT last_down FROM units WHERE id = ?', [id]) + 1;
    this.db.run('UPDATE units SET last_down = ? WHERE id = ?', [seq, id]);
    this.db.run('INSERT INTO commands (unit, seq, payload, sent_at) VALUES (?, ?, ?, ?)', [id, seq, payload, now]);
    return sealMessage(key, id, seq, payload);
  }

  /** Each unit: its state, the last number taken from it, messages stored and refused. */
  units(): { id: string; state: string; lastUp: number; stored: number; refused: number }[] {
    const q = 'SELECT id, state, last_up, (SELECT COUNT(*) FROM messages m WHERE m.unit = u.id), (SELECT COALESCE(SUM(count), 0) FROM refused r WHERE r.unit = u.id) FROM units u ORDER BY id';
    return this.rows(q).map(([id, state, lastUp, stored, refused]) => ({ id: String(id), state: String(state), lastUp: Number(lastUp), stored: Number(stored), refused: Number(refused) }));
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
    const q = (v: string) => (/[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
    const lines = ['unit,seq,received_at,payload'];
    for (const [u, s, t, p] of this.rows('SELECT unit, seq, received_at, payload FROM messages ORDER BY unit, seq')) lines.push([q(String(u)), String(s), new Date(Number(t)).toISOString(), q(String(p))].join(','));
    return lines.join('\r\n') + '\r\n';
  }

  /** Writes the database to its file (whole, then renamed: a crash leaves the old one). */
  save(): void {
    if (!this.file) return;
    fs.writeFileSync(this.file + '.tmp', Buffer.from(this.db.export()));
    fs.renameSync(this.file + '.tmp', this.file);
  }

  close(): void {
    this.save();
    this.db.close();
  }

  private refuse(id: string, why: string): Ingested {
    this.db.run('INSERT INTO refused (unit, why, count) VALUES (?, ?, 1) ON CONFLICT (unit, why) DO UPDATE SET count = count + 1', [id, why]);
    return { stored: false, why };
  }

  private num(q: string, p: (string | number)[]): number {
    const r = this.rows(q, p);
    return r.length ? Number(r[0][0]) : 0;
  }

  private rows(q: string, p: (string | number)[] = []): (string | number | null)[][] {
    const st = this.db.prepare(q);
    st.bind(p);
    const out: (string | number | null)[][] = [];
    while (st.step()) out.push(st.get() as (string | number | null)[]);
    st.free();
    return out;
  }
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
  const list = (raw as { units?: unknown }).units;
  if (!Array.isArray(list)) return { ok: false, error: 'units: expected a list' };
  const units: UnitKey[] = [];
  for (let i = 0; i < list.length; i++) {
    const u = list[i] as { id?: unknown; key?: unknown };
    if (typeof u.id !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(u.id)) return { ok: false, error: 'units[' + i + '].id: expected 1 to 32 letters, digits, _ or -' };
    if (typeof u.key !== 'string' || !/^[0-9a-fA-F]{32}$/.test(u.key)) return { ok: false, error: 'units[' + i + '].key: expected 32 hexadecimal digits' };
    if (units.some((x) => x.id === u.id)) return { ok: false, error: 'units[' + i + '].id: ' + u.id + ' listed twice' };
    units.push({ id: u.id, key: Uint8Array.from(Buffer.from(u.key, 'hex')) });
  }
  return { ok: true, units };
}
