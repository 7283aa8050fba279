// Live console sessions (issue 11): every TCP client signs in on its own and sees only its own
// answers; idle sign-out and the PIN lock-out run on real time, whatever the speed of the
// virtual clock; a session that ends says so.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { SerialPort } from 'serialport';
import { runLive } from '../../sim/live';
import { exampleScenario } from './example';


const hasSocat = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One console client on TCP: what it received, line by line. */
class Client {
  text = '';
  closed = false;
  private constructor(private sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (this.text += d));
    sock.on('close', () => (this.closed = true));
  }

  static async open(port: number): Promise<Client> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((ok) => sock.on('connect', ok));
    const c = new Client(sock);
    await c.until(() => c.text.indexOf('type help') >= 0);
    return c;
  }

  lines(from = 0): string[] {
    return this.text.slice(from).split(/\r?\n/).filter((l) => l !== '');
  }

  async until(pred: () => boolean, ms = 10000): Promise<void> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error('timed out; the client got:\n' + this.text.slice(-2000));
      await sleep(10);
    }
  }

  /** Sends a line; the answer is every line until the client goes quiet. */
  async ask(line: string): Promise<string[]> {
    const from = this.text.length;
    this.sock.write(line + '\r');
    await this.until(() => this.text.length > from);
    let last = -1;
    while (this.text.length !== last) {
      last = this.text.length;
      await sleep(80);
    }
    return this.lines(from);
  }

  close(): void {
    this.sock.destroy();
  }
}

let stops: (() => void)[] = [];
const clients: Client[] = [];

/** A live unit on a free TCP port. */
async function live(opts: { hours: number; speed: number; idleMs?: number; ptyPath?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    stops.push(runLive(exampleScenario(opts.hours), { speed: opts.speed, terminal: false, echo: false, tcpPort: 0, idleMs: opts.idleMs, ptyPath: opts.ptyPath, onReady: resolve, onError: reject }));
  });
}

async function client(port: number): Promise<Client> {
  const c = await Client.open(port);
  clients.push(c);
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of stops.splice(0)) s();
});

describe('live console sessions', () => {
  it('each TCP client has its own sign-in and sees only its own answers', async () => {
    const port = await live({ hours: 24, speed: 60 });
    const a = await client(port);
    const b = await client(port);
    const bFrom = b.text.length;
    expect(await a.ask('login 3333')).toEqual(['signed in as technician']);
    expect((await a.ask('acct R301'))[0]).not.toMatch(/^error/);
    expect(await b.ask('acct R301')).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
    // b saw none of a's lines, a none of b's
    expect(b.lines(bFrom)).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
    expect(a.text).not.toMatch(/needs the read role/);
    expect(await b.ask('login 1111')).toEqual(['signed in as read']);
    expect(await b.ask('logout')).toEqual(['signed out']);
    expect((await a.ask('acct R301'))[0]).not.toMatch(/^error/); // a is still signed in
  });

  it('idle sign-out runs on real time, and the client is told when its session ends', async () => {
    // x600: the old virtual-time idle limit of 5 minutes passed after half a real second
    const port = await live({ hours: 24 * 30, speed: 600, idleMs: 3000 });
    const a = await client(port);
    expect(await a.ask('login 3333')).toEqual(['signed in as technician']);
    const t0 = Date.now();
    await sleep(1200); // 12 virtual minutes
    expect((await a.ask('acct R301'))[0]).not.toMatch(/^error/);
    const from = a.text.length;
    await a.until(() => a.text.length > from, 6000);
    await sleep(100);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    expect(a.lines(from)).toEqual(['session ended: signed out after 3 s without a command; sign in again with: login <pin>']);
    expect(await a.ask('acct R301')).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
  });

  it('the PIN lock-out runs on real time and holds for every client', async () => {
    const port = await live({ hours: 24 * 30, speed: 600 });
    const a = await client(port);
    const b = await client(port);
    for (let i = 4; i >= 1; i--) expect(await b.ask('login 9999')).toEqual(['error: wrong PIN (' + i + (i === 1 ? ' try' : ' tries') + ' left before a lock-out)']);
    expect(await b.ask('login 9999')).toEqual(['error: wrong PIN; console locked for 30 s']);
    await sleep(500); // 5 virtual minutes: far past 30 virtual seconds
    expect((await b.ask('login 3333'))[0]).toMatch(/^error: locked after wrong PINs, try again in (29|30) s$/);
    // a new connection does not start a fresh count
    expect((await a.ask('login 3333'))[0]).toMatch(/^error: locked after wrong PINs, try again in (29|30) s$/);
    const c = await client(port);
    expect((await c.ask('login 3333'))[0]).toMatch(/^error: locked after wrong PINs, try again in (29|30) s$/);
  });

  it('when the scenario ends or the simulator stops, every client is told so before the console closes', async () => {
    let port = await live({ hours: 1, speed: 3600 }); // one real second
    let a = await client(port);
    await a.until(() => a.closed, 15000);
    expect(a.lines().slice(-1)).toEqual(['the scenario has ended (1 h simulated): the console closes']);
    port = await live({ hours: 24 * 30, speed: 600 });
    a = await client(port);
    stops.pop()!();
    await a.until(() => a.closed);
    expect(a.lines().slice(-1)).toEqual(['the simulator is stopping: the console closes']);
  });

  it.skipIf(!hasSocat)('the pty is a session of its own too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-pty-'));
    const ptyPath = path.join(dir, 'console');
    const port = await live({ hours: 24, speed: 60, ptyPath });
    const tcp = await client(port);
    const pty = new SerialPort({ path: ptyPath, baudRate: 115200 });
    let got = '';
    pty.setEncoding('utf8');
    pty.on('data', (d: string) => (got += d));
    await new Promise((ok) => pty.on('open', ok));
    try {
      pty.write('login 2222\r');
      await tcp.until(() => got.indexOf('signed in as operator') >= 0);
      expect(await tcp.ask('acct R301')).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
      expect(tcp.text).not.toMatch(/signed in as operator/);
      expect(got).not.toMatch(/needs the read role/);
    } finally {
      await new Promise((ok) => pty.close(ok));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
