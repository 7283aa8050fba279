// The host's serial adapter (node-serialport under the firmware's MeterBus): a reply read before
// the OS reports the request drained must reach the bus after `done` (the bus listens from
// then on), and an echo of the request is not a reply. Seen in CI: pymodbus answered before the
// drain callback on a loaded machine and the answer was dropped as an echo (a retry each time).
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'events';
import { NodeSerialAdapter } from '../../sim/node-serial-port';

/** A stand-in for node-serialport: drain completes only when the test says so. */
class FakePort extends EventEmitter {
  written: Buffer[] = [];
  drains: (() => void)[] = [];
  isOpen = true;
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  drain(cb: () => void): void {
    this.drains.push(cb);
  }
  close(): void {
    this.isOpen = false;
  }
}

function rig() {
  const port = new FakePort();
  const log: string[] = [];
  const a = new NodeSerialAdapter(port as never, { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1, onData: (b) => log.push('rx ' + Array.from(b).join(',')) });
  return { port, log, a };
}

describe('NodeSerialAdapter', () => {
  it('hands bytes read while a write drains over after done, in order', () => {
    const { port, log, a } = rig();
    expect(a.write(new Uint8Array([1, 4, 0, 0]), () => log.push('done'))).toBe(true);
    expect(a.write(new Uint8Array([9]))).toBe(false); // one write at a time
    port.emit('data', Buffer.from([1, 0x84]));
    port.emit('data', Buffer.from([2, 0xc2, 0xc1]));
    expect(log).toEqual([]);
    port.drains[0]();
    expect(log).toEqual(['done', 'rx 1,132,2,194,193']);
    port.emit('data', Buffer.from([7]));
    expect(log[2]).toBe('rx 7');
    expect(a.rxBytes).toBe(6);
  });

  it('drops an echo of the request read while it drains, keeps what follows it', () => {
    const { port, log, a } = rig();
    a.write(new Uint8Array([1, 4, 0, 0]), () => log.push('done'));
    port.emit('data', Buffer.from([1, 4]));
    port.emit('data', Buffer.from([0, 0, 1, 0x84]));
    port.drains[0]();
    expect(log).toEqual(['done', 'rx 1,132']);
  });

  it('hands nothing over after close', () => {
    const { port, log, a } = rig();
    a.write(new Uint8Array([1]), () => log.push('done'));
    port.emit('data', Buffer.from([5]));
    a.close();
    port.drains[0]();
    expect(log).toEqual([]);
  });
});
