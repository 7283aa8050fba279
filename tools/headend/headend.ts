// The head-end at work (issue 13): its store (tools/headend/store.ts) and an MQTT.js client, in
// one object so that the CLI (`npm run headend -- serve`) and an in-process fleet of simulated
// units run the same code. It subscribes to every unit's up and state topics at QoS 1, stores
// what comes, and delivers commands reliably: a command stays pending until the unit answers
// it; the broker keeps it for the unit between the unit's sessions (its MQTT session is
// persistent), and it is published again, the same sealed text under the same number, when its
// unit comes online after a session that did not answer it, and every resendMs while the unit
// is online and it stays unanswered. A copy the unit has taken already is
// refused by its own number check and answered 'replay', which settles the command as taken.
import mqtt, { MqttClient } from 'mqtt';
import { CommandRow, HeadendStore, UnitKey } from './store';

/** How to start a head-end. */
export interface HeadendOptions {
  /** the broker, mqtt://host:port */
  broker: string;
  units: UnitKey[];
  /** the database file (made when absent); null: memory only */
  db: string | null;
  /** a pending command is published again this often while its unit is not offline */
  resendMs?: number;
  /** the database is written this often when something changed, and on stop */
  saveMs?: number;
  /** each thing done, as a line (as `serve` prints them) */
  log?: (line: string) => void;
  clientId?: string;
  /** A persistent session under this client id: the broker keeps the units' messages for the
   *  head-end while it is away (a restart of the head-end, of the broker with its persistence
   *  on), where a clean session would lose what the units sent meanwhile, acknowledged to them
   *  by the broker. */
  session?: string;
}

/** A command as a line: unit, number, status (the answer's text), times sent, payload. */
export function commandLine(c: CommandRow): string {
  const answer = c.answer !== null && c.status !== 'taken (answer lost)' ? ' ' + JSON.stringify(c.answer) : '';
  return 'command ' + c.unit + ' #' + c.seq + ' ' + c.status + answer + ', sent ' + c.sends + (c.sends === 1 ? ' time: ' : ' times: ') + c.payload;
}

/** The head-end connected to a broker. */
export class Headend {
  /** resolves once subscribed to the units' topics the first time */
  readonly ready: Promise<void>;
  private client: MqttClient;
  private timers: NodeJS.Timeout[] = [];
  private dirty = false;
  private stopped = false;
  private log: (line: string) => void;
  /** When each unit last came online (ms), as this process saw it. */
  private onlineAt = new Map<string, number>();

  private constructor(readonly store: HeadendStore, o: HeadendOptions) {
    this.log = o.log || (() => undefined);
    const resendMs = o.resendMs ?? 30000;
    const id = o.session || o.clientId || 'headend-' + process.pid + '-' + Math.random().toString(16).slice(2, 8);
    this.client = mqtt.connect(o.broker, { clientId: id, clean: !o.session, reconnectPeriod: 1000 });
    this.ready = new Promise((resolve, reject) => {
      this.client.on('connect', () => {
        // (a clean session: subscribed again on every connection)
        this.client.subscribe({ 'unit/+/up': { qos: 1 }, 'unit/+/state': { qos: 1 } }, (err) => {
          if (err) {
            this.log('error: subscribe: ' + err.message);
            return reject(err);
          }
          this.log('subscribed to ' + o.broker);
          resolve();
        });
      });
    });
    // (start() awaits it; a caller of open() may never look)
    this.ready.catch(() => undefined);
    this.client.on('error', (e) => this.log('error: broker: ' + e.message));
    this.client.on('message', (topic, buf) => this.message(topic, buf));
    this.timers.push(setInterval(() => this.resendDue(Date.now() - resendMs), Math.max(10, Math.min(resendMs, 1000))));
    this.timers.push(
      setInterval(() => {
        if (this.dirty) this.save();
      }, o.saveMs ?? 2000),
    );
  }

  /** Opens the store and starts connecting; `ready` says when it is subscribed. */
  static async open(o: HeadendOptions): Promise<Headend> {
    return new Headend(await HeadendStore.open(o.db, o.units), o);
  }

  /** Opens the store, connects and resolves once subscribed. */
  static async start(o: HeadendOptions): Promise<Headend> {
    const h = await Headend.open(o);
    await h.ready;
    return h;
  }

  /** Sends payload to unit id as its next command: resolves with the command's number once the
   *  broker has it (it stays pending, and is sent again, until the unit answers). */
  send(id: string, payload: string): Promise<number> {
    if (this.stopped) return Promise.reject(new Error('stopped'));
    let text: string;
    try {
      text = this.store.command(id, payload, Date.now());
    } catch (e) {
      return Promise.reject(e);
    }
    this.dirty = true;
    const seq = Number(text.slice(0, text.indexOf(' ')));
    return new Promise((resolve, reject) => this.publish(id, text, (err) => (err ? reject(err) : resolve(seq))));
  }

  /** Writes the database now. */
  save(): void {
    this.dirty = false;
    this.store.save();
  }

  /** Disconnects, then writes and closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.forEach(clearInterval);
    // (a broker gone would keep a polite disconnect waiting: forced after 2 s)
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.client.end(true, {}, () => resolve()), 2000);
      this.client.end(false, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
    this.store.close();
  }

  private message(topic: string, buf: Buffer): void {
    const m = /^unit\/([^/]+)\/(up|state)$/.exec(topic);
    if (!m || this.stopped) return;
    const id = m[1];
    // (a character a byte, as the unit writes them: the MAC is over those characters)
    const text = buf.toString('latin1');
    const now = Date.now();
    try {
      this.dirty = true;
      if (m[2] === 'state') {
        this.store.state(id, text, now);
        this.log('state ' + id + ' ' + text);
        // A unit comes online for a session: the broker hands it what was sent since its last
        // one (its MQTT session is persistent); what was sent before that and is still not
        // answered went astray (a broker restarted without its persistence, an answer lost in a
        // power cut) and goes again. The first time this process sees the unit: all of it.
        if (text === 'online') {
          const prev = this.onlineAt.get(id);
          this.onlineAt.set(id, now);
          // (sent before that session came online: one sent again as it did is not)
          this.resend(this.store.pendingCommands(id, prev === undefined ? now : prev - 1), now);
        }
        return;
      }
      const r = this.store.ingest(id, text, now);
      if (!r.stored) return this.log('refused ' + id + ' ' + r.why);
      let line = 'stored ' + id + ' #' + r.seq;
      if (r.refused) line += ', refused ' + r.refused;
      else if (r.kind === 'b' && r.dropped) line += ', ' + r.dropped + (r.dropped === 1 ? ' duplicate dropped' : ' duplicates dropped');
      else if (r.kind === 's' && r.dropped) line += ', older than the state kept: ignored';
      this.log(line);
      if (r.answered) this.log(commandLine(r.answered));
    } catch (e) {
      // (one message the store cannot take must not stop the others)
      this.log('error: ' + topic + ': ' + (e as Error).message);
    }
  }

  /** Pending commands last sent at or before `before`, of units not offline, sent again. */
  private resendDue(before: number): void {
    // (MQTT.js queues what is published while the broker is away: no pile of copies meanwhile)
    if (!this.client.connected) return;
    const away = new Set(this.store.units().filter((u) => u.state === 'offline').map((u) => u.id));
    this.resend(this.store.pendingCommands(undefined, before).filter((c) => !away.has(c.unit)), Date.now());
  }

  private resend(cmds: { unit: string; seq: number; text: string }[], now: number): void {
    for (const c of cmds) {
      this.store.resent(c.unit, c.seq, now);
      this.dirty = true;
      this.publish(c.unit, c.text, (err) => this.log(err ? 'error: send again: ' + err.message : 'sent again ' + c.unit + ' #' + c.seq));
    }
  }

  private publish(id: string, text: string, done: (err?: Error) => void): void {
    this.client.publish('unit/' + id + '/cmd', Buffer.from(text, 'latin1'), { qos: 1 }, (err) => done(err));
  }
}
