// The flasher: its settings parser, image loading, and a whole flashing session against the
// real Espruino interpreter's REPL (its Linux build, over its telnet console), whose Flash
// module writes a flash file and whose Storage lives in it.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { buildBoard, loadBoard, writeImage } from '../../tools/build';
import { espruinoBinary, interpreterCommand, slowIfEmulated } from '../../tools/espruino-check';
import { FlashConfig, FlashError, flashImage, LoadedImage, Link, loadImage, parseFlashConfig, Repl, verifyImage, versionNumber } from '../../tools/flash';
import { boardImage, CodeArea, crc32 } from '../../tools/image';

const config: FlashConfig = { port: '-', baud: 115200, chunkBytes: 256, replyTimeoutMs: 5000, eraseTimeoutMs: 10000 };

describe('flash settings and images', () => {
  it('reads flash.config.json and names every mistake', () => {
    const r = parseFlashConfig(fs.readFileSync(path.join(__dirname, '..', '..', 'flash.config.json'), 'utf8'));
    expect(r.ok).toBe(true);
    const bad = parseFlashConfig('{"port":"","baud":9600,"chunkBytes":510,"replyTimeoutMs":5000,"speed":1}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors).toContain('unknown setting "speed"');
      expect(bad.errors).toContain('eraseTimeoutMs: missing');
      expect(bad.errors.some((e) => e.startsWith('chunkBytes: must be multiple of 4'))).toBe(true);
      expect(bad.errors.some((e) => e.startsWith('port: must NOT have fewer than 1 characters'))).toBe(true);
    }
    expect(parseFlashConfig('{').ok).toBe(false);
  });

  it('compares Espruino versions', () => {
    expect(versionNumber('2v29')).toBeGreaterThan(versionNumber('2v26'));
    expect(versionNumber('2v26.12')).toBeGreaterThan(versionNumber('2v26'));
    expect(versionNumber('2v25.396')).toBeLessThan(versionNumber('2v26'));
    expect(versionNumber('junk')).toBeNaN();
  });

  it('reads the tagged answer, not an echo of the command', async () => {
    let cb: (s: string) => void = () => undefined;
    const echoing: Link = {
      write: (s) => {
        const tag = /"(@@\d+@)"/.exec(s);
        setTimeout(() => {
          cb(s.replace('\x10', '') + '\r\n'); // a console that echoes
          if (tag) cb('>' + tag[1] + (s.indexOf('boom') >= 0 ? '{"e":"Error: boom"}' : '{"v":[1,"x"]}') + '\r\n');
        }, 5);
      },
      onData: (f) => (cb = f),
      close: () => undefined,
    };
    const repl = new Repl(echoing);
    expect(await repl.eval('[1,"x"]', 1000)).toEqual([1, 'x']);
    await expect(repl.eval('boom()', 1000)).rejects.toThrow('the board says: Error: boom');
  });

  it('refuses an image whose files do not match its manifest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-'));
    expect(() => loadImage(dir)).toThrow(/image.json is missing: build first/);
    fs.writeFileSync(path.join(dir, 'image.json'), JSON.stringify({ area: { file: 'area.bin', address: '0x08004000', bytes: 3, crc32: 1, pageBytes: 16384 }, storage: null, bootcde: { file: 'bootcde.js', bytes: 1 } }));
    fs.writeFileSync(path.join(dir, 'area.bin'), 'abcd');
    fs.writeFileSync(path.join(dir, 'bootcde.js'), 'x');
    expect(() => loadImage(dir)).toThrow(/area.bin has 4 bytes, image.json says 3/);
    fs.writeFileSync(path.join(dir, 'area.bin'), 'abc');
    expect(() => loadImage(dir)).toThrow(/does not match its CRC-32/);
    fs.rmSync(dir, { recursive: true });
  });
});

const found = espruinoBinary();
// The interop tests talk to the interpreter over its telnet console: a build without one
// (no TELNET library) cannot take part.
const helpCmd = found ? interpreterCommand(found, ['--help']) : [];
const help = found ? spawnSync(helpCmd[0], helpCmd.slice(1), { encoding: 'utf8', timeout: 5000 }) : null;
const binary = help && /--telnet/.test((help.stdout || '') + (help.stderr || '')) ? found : null;

/** Throws when something already listens on the telnet port (a test would talk to it). */
async function telnetPortFree(): Promise<void> {
  const listening = () =>
    new Promise<boolean>((res) => {
      const c = net.connect(2323, '127.0.0.1');
      c.on('connect', () => {
        c.destroy();
        res(true);
      });
      c.on('error', () => res(false));
    });
  // a stopped interpreter may take a moment to let go of the port
  let taken = await listening();
  for (let k = 0; k < 30 && taken; k++) {
    await new Promise((r) => setTimeout(r, 100));
    taken = await listening();
  }
  if (taken) throw new Error('port 2323 is taken: another Espruino interpreter (a stopped test?) still listens there');
}

/** The interpreter's REPL as a link, over its telnet console (port 2323): its stdin console is
 *  read by a second thread that races the main loop on the input queue and now and then
 *  breaks it (an ASSERT in jsdevices.c), which telnet, read by the main loop, does not. Its
 *  flash file lives in a scratch folder; what it prints before the link is up (at power-up)
 *  goes to stdout. */
async function interpreter(dir: string): Promise<{ link: Link; output: () => string; stop: () => void }> {
  await telnetPortFree();
  const tc = interpreterCommand(binary!, ['--telnet']);
  const p = spawn(tc[0], tc.slice(1), { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const listeners: ((s: string) => void)[] = [];
  p.stdout.on('data', (b: Buffer) => {
    out += b.toString('latin1');
  });
  let sock: net.Socket | null = null;
  for (let k = 0; k < 50 && !sock; k++) {
    sock = await new Promise<net.Socket | null>((res) => {
      const c = net.connect(2323, '127.0.0.1');
      c.on('connect', () => res(c));
      c.on('error', () => res(null));
    });
    if (!sock) await new Promise((r) => setTimeout(r, 100));
  }
  if (!sock) {
    p.kill('SIGKILL');
    throw new Error('the interpreter\'s telnet console did not open');
  }
  const s = sock;
  s.on('error', () => undefined);
  s.on('data', (b: Buffer) => {
    const t = b.toString('latin1');
    out += t;
    for (const l of listeners) l(t);
  });
  return {
    link: { write: (t) => s.write(Buffer.from(t, 'latin1')), onData: (cb) => listeners.push(cb), close: () => undefined },
    output: () => out,
    stop: () => {
      s.destroy();
      p.kill('SIGKILL');
    },
  };
}

// The Linux build's flash: 256 KB from 0x10000000, all of it Storage, which fills from the
// bottom; the test's code area is its top 64 KB. Its flash is a file, not memory: the loader
// reads the area with Flash.read instead of E.memoryArea.
const LINUX_AREA: CodeArea = { address: 0x10030000, length: 4096, pageBytes: 1024 };

function testImage(code: string): LoadedImage {
  const img = boardImage(code, LINUX_AREA, { readArea: (o, l) => 'E.toString(require("Flash").read(' + l + ',' + LINUX_AREA.address + '+' + o + '))' });
  return {
    manifest: {
      board: 'test',
      espruinoBoard: 'LINUX',
      minEspruino: '2v26',
      area: { file: 'area.bin', address: '0x' + LINUX_AREA.address.toString(16), bytes: img.area.length, crc32: img.areaCrc, pageBytes: LINUX_AREA.pageBytes },
      storage: img.storage ? { file: 'storage.bin', name: 'firmware', bytes: img.storage.length, crc32: img.storageCrc } : null,
      bootcde: { file: 'bootcde.js', bytes: img.loader.length },
    },
    area: img.area,
    storage: img.storage,
    bootcde: img.loader,
  };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('flashing the Espruino interpreter through its REPL', () => {
  it('writes area, Storage and loader, reads each back; the code runs now and at the next power-up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flash-'));
    // Each session is a fresh interpreter on the same flash file: a power cycle.
    const session = async (img: LoadedImage, opts: { anyBoard?: boolean } = { anyBoard: true }) => {
      const e = await interpreter(dir);
      const log: string[] = [];
      try {
        await new Promise((r) => setTimeout(r, 500));
        const booted = e.output();
        await flashImage(new Repl(e.link), img, { config, log: (l) => log.push(l), ...opts });
        await new Promise((r) => setTimeout(r, 700));
        return { booted, out: e.output(), log: log.join('\n') };
      } catch (x) {
        if (process.env.FLASH_DEBUG) fs.writeFileSync('/tmp/flash-out.txt', e.output());
        throw x;
      } finally {
        e.stop();
      }
    };
    try {
      // pieces big enough to fill the 4 KB area and spill into Storage, with strings and
      // integers that pretokenise to bytes 0, 10 and above 127
      const fns: string[] = [];
      for (let i = 0; i < 40; i++) fns.push('function f' + i + '(){return ' + i * 131 + '+"' + 'abcdefghij'.repeat(12) + '".length}');
      const code = fns.join('\n') + '\nvar sum=0;for(var i=0;i<40;i++)sum+=this["f"+i]();\nprint("FLASHED-CODE-RAN "+sum);';
      const img = testImage(code);
      expect(img.area.length).toBeGreaterThan(3000);
      expect(img.storage.length).toBeGreaterThan(1000);
      let want = 0;
      for (let i = 0; i < 40; i++) want += i * 131 + 120;

      const first = await session(img);
      expect(first.log).toMatch(/code area written and read back/);
      expect(first.log).toMatch(/Storage file written and read back/);
      expect(first.out).toContain('FLASHED-CODE-RAN ' + want);
      expect(first.out).not.toMatch(/Uncaught/);

      // Power-up: the loader runs the flashed code before anyone types.
      const e = await interpreter(dir);
      try {
        await waitFor(() => e.output().indexOf('FLASHED-CODE-RAN') >= 0, 3000);
        expect(e.output()).toContain('FLASHED-CODE-RAN ' + want);
        // The board holds this build, and --verify says so without writing.
        const repl = new Repl(e.link);
        const quiet = { config, log: () => undefined, anyBoard: true };
        expect(await verifyImage(repl, img, quiet)).toEqual([]);
        expect(await verifyImage(repl, testImage('print(1)'), quiet)).toEqual(['the code area at 0x10030000 (first difference in the KB at 0x10030000)', 'the .bootcde loader']);
        // Someone replaces the Storage part: verify names it, and at the next power-up the
        // loader refuses it.
        await repl.run('require("Storage").write("firmware","print(\\"NOT-THIS-BUILD\\")")', config.replyTimeoutMs);
        expect(await verifyImage(repl, img, quiet)).toEqual(['the Storage file firmware']);
      } finally {
        e.stop();
      }
      const e2 = await interpreter(dir);
      try {
        await waitFor(() => e2.output().indexOf('FIRMWARE') >= 0, 3000);
        expect(e2.output()).toContain('FIRMWARE the Storage file firmware does not hold this build');
        expect(e2.output()).not.toContain('NOT-THIS-BUILD');
        expect(e2.output()).not.toContain('FLASHED-CODE-RAN');
      } finally {
        e2.stop();
      }

      // A new build replaces it.
      const second = await session(testImage('print("SECOND-BUILD")'));
      expect(second.out).toContain('SECOND-BUILD');

      const img2 = testImage('print("SECOND-BUILD")');
      const far = { ...img2, manifest: { ...img2.manifest, area: { ...img2.manifest.area!, address: '0x20000000' } } };
      await expect(session(far)).rejects.toThrow(/does not list 0x20000000.* as free flash/);
      const wrongBoard = { ...img2, manifest: { ...img2.manifest, espruinoBoard: 'PICO_R1_3' } };
      await expect(session(wrongBoard, {})).rejects.toThrow(/this image is for PICO_R1_3, the board is LINUX/);
      await expect(session({ ...img2, manifest: { ...img2.manifest, minEspruino: '9v99' } })).rejects.toThrow(/needs Espruino 9v99 or later/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, slowIfEmulated(90000));

  it('writes a code EEPROM over the board\'s I2C, reads it back; the loader checks it at every power-up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flash-ee-'));
    // The interpreter's I2C reaches no chip: a code EEPROM at 0x54 as a file of the scratch folder,
    // set up from .boot0 (which Espruino runs at each power-up before .bootcde) and, since reset()
    // forgets it, again before the flasher's first command after its reset().
    const chip = path.join(dir, 'cee.bin');
    fs.writeFileSync(chip, Buffer.alloc(8192, 0xff));
    const stub = 'var __f=E.openFile(' + JSON.stringify(chip) + ',"r+"),__p=0;I2C1={setup:function(){},writeTo:function(a,d,e){if(a!=84)return;__p=d[0]<<8|d[1];if(e){__f.seek(__p);__f.write(E.toString(e));}},readFrom:function(a,n){__f.seek(__p);var s=__f.read(n);__p+=n;return E.toUint8Array(s);}};';
    const ee = { bus: 'I2C1', scl: 'B8', sda: 'B9', bitrate: 100000, address: 84, size: 8192 };
    const mods = [
      { name: 'hi', code: '(function(){return "FROM-THE-CODE-EEPROM "+"' + 'xyz'.repeat(300) + '".length})', eeprom: true },
      { name: 'lo', code: '(function(){return 7})', eeprom: true },
    ];
    const code = 'var at=MODULES.split(" hi:")[1].split(" ")[0].split(",");print((0,eval)(__piece(+at[0]&13,+at[1],+at[2]))());';
    const made = boardImage(code, LINUX_AREA, { readArea: (o, l) => 'E.toString(require("Flash").read(' + l + ',' + LINUX_AREA.address + '+' + o + '))', eeprom: ee }, mods);
    const base = testImage(code);
    const img: LoadedImage = {
      manifest: {
        ...base.manifest,
        area: { ...base.manifest.area!, bytes: made.area.length, crc32: made.areaCrc },
        storage: made.storage ? { file: 'storage.bin', name: 'firmware', bytes: made.storage.length, crc32: made.storageCrc } : null,
        eeprom: { file: 'eeprom.bin', bytes: made.eeprom.length, crc32: crc32(made.eeprom), part: 'AT24C64', bus: 'I2C1', scl: 'B8', sda: 'B9', address: 84, pageSize: 32, writeMs: 5 },
        bootcde: { file: 'bootcde.js', bytes: made.loader.length },
      },
      area: made.area,
      storage: made.storage,
      eeprom: made.eeprom,
      bootcde: made.loader,
    };
    expect(made.eeprom.length).toBeGreaterThan(40);
    const start = async () => {
      const e = await interpreter(dir);
      await new Promise((r) => setTimeout(r, 500));
      return e;
    };
    try {
      const e = await start();
      const log: string[] = [];
      try {
        let reset = false;
        const link: Link = {
          write: (t) => {
            if (reset) e.link.write('\x10eval(require("Storage").read(".boot0"))\n');
            reset = t.indexOf('reset()') >= 0;
            e.link.write(t);
          },
          onData: e.link.onData,
          close: e.link.close,
        };
        const repl = new Repl(link);
        await repl.wake(config.replyTimeoutMs);
        await repl.run('require("Storage").write(".boot0",' + JSON.stringify(stub) + ')', config.replyTimeoutMs);
        await flashImage(repl, img, { config, log: (l) => log.push(l), anyBoard: true });
        await waitFor(() => e.output().indexOf('FROM-THE-CODE-EEPROM') >= 0, 3000);
      } finally {
        e.stop();
      }
      expect(log.join('\n')).toMatch(/writing the code EEPROM \(AT24C64 at 0x54, \d+ bytes\)\ncode EEPROM written and read back/);
      expect(e.output()).toContain('FROM-THE-CODE-EEPROM 900');
      expect(fs.readFileSync(chip).subarray(0, made.eeprom.length).toString('latin1')).toBe(made.eeprom);

      // Power-up: checked, loaded; --verify finds it as written, then a byte gone bad.
      const e2 = await start();
      try {
        await waitFor(() => e2.output().indexOf('FROM-THE-CODE-EEPROM') >= 0, 3000);
        expect(e2.output()).toContain('FROM-THE-CODE-EEPROM 900');
        const repl = new Repl(e2.link);
        const quiet = { config, log: () => undefined, anyBoard: true };
        expect(await verifyImage(repl, img, quiet)).toEqual([]);
        // (written through the stand-in's bus: the interpreter holds the file open)
        const at = made.modules.lo[1];
        await repl.run('I2C1.writeTo(84,[0,' + at + '],String.fromCharCode(' + (made.eeprom.charCodeAt(at) ^ 1) + '))', config.replyTimeoutMs);
        expect(await verifyImage(repl, img, quiet)).toEqual(['the code EEPROM at 0x54 (first difference in the KB at 0)']);
      } finally {
        e2.stop();
      }
      // The next power-up refuses to run anything.
      const e3 = await start();
      try {
        await waitFor(() => e3.output().indexOf('FIRMWARE') >= 0, 3000);
        expect(e3.output()).toContain('FIRMWARE the code EEPROM at 0x54 does not hold this build');
        expect(e3.output()).not.toContain('FROM-THE-CODE-EEPROM');
      } finally {
        e3.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, slowIfEmulated(90000));

  it('a silent port gets a message about production builds', async () => {
    const silent: Link = { write: () => undefined, onData: () => undefined, close: () => undefined };
    const img = testImage('print(1)');
    await expect(flashImage(new Repl(silent), img, { config: { ...config, replyTimeoutMs: 300 }, log: () => undefined, anyBoard: true })).rejects.toThrow(/no JavaScript REPL answers/);
  });
});

const socat = spawnSync('which', ['socat']).status === 0;

describe.skipIf(!socat)('npm run flash on a serial port', () => {
  it('opens the port, finds the REPL behind it and refuses a board the image is not for', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flash-cli-'));
    const tty = path.join(dir, 'tty');
    const img = path.join(dir, 'image');
    const r = await buildBoard('pico', { write: false, espruino: false });
    fs.mkdirSync(img);
    writeImage(img, r.image, loadBoard('pico'));
    // The interpreter's console on a pseudo-terminal, as a board's USB serial port appears.
    await telnetPortFree();
    const tc = interpreterCommand(binary!, ['--telnet']);
    const p = spawn(tc[0], tc.slice(1), { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let booted = '';
    p.stdout!.on('data', (b: Buffer) => (booted += b.toString()));
    let bridge: ReturnType<typeof spawn> | null = null;
    try {
      await waitFor(() => booted.indexOf('espruino.com') >= 0, 5000);
      await new Promise((res) => setTimeout(res, 300));
      bridge = spawn('socat', ['PTY,link=' + tty + ',raw,echo=0', 'TCP:127.0.0.1:2323'], { stdio: 'ignore' });
      await waitFor(() => fs.existsSync(tty), 3000);
      const cli = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
        const c = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), path.join(__dirname, '..', '..', 'tools', 'flash.ts'), '--board', 'pico', '--port', tty, '--image', img]);
        let out = '';
        let err = '';
        c.stdout.on('data', (b: Buffer) => (out += b));
        c.stderr.on('data', (b: Buffer) => (err += b));
        c.on('close', (status) => res({ status, stdout: out, stderr: err }));
      });
      expect(cli.stdout).toContain('Espruino Pico image, Espruino 2v26 or later:');
      expect(cli.stdout).toContain('board LINUX, Espruino 2v');
      expect(cli.stderr).toContain('flash: this image is for PICO_R1_3, the board is LINUX');
      expect(cli.status).toBe(1);
    } finally {
      if (bridge) bridge.kill('SIGKILL');
      p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, slowIfEmulated(120000));
});
