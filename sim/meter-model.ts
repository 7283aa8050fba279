// The physics inside a virtual meter, shared by the DL/T 645 and Modbus meters: energy
// registers that integrate a load exactly between any two instants, instantaneous values,
// the load relay (open = load cut), and optional imp/kWh pulses at their exact times.
import { Clock } from '../hal/clock';
import { Load } from './load-profile';

/** How a meter's registers start and what drives them. */
export interface MeterModelOptions {
  /** A load to integrate; without one the power is whatever setPowerW() says (default 0). */
  load?: Load;
  /** Seconds between load steps (default 1). */
  stepS?: number;
  /** Local second of day at a clock time (default: clock ms / 1000 mod 86400). */
  secOfDay?: (ms: number) => number;
  /** Tariff register (0..3) that takes import energy at a clock time (default 0). */
  tariffAt?: (ms: number) => number;
  voltageV?: number;
  frequencyHz?: number;
  importCkwh?: number;
  exportCkwh?: number;
  /** Pulses per kWh for onPulse (0 = none). */
  impPerKwh?: number;
  /** Called at the clock time of every pulse. */
  onPulse?: (ms: number) => void;
}

const J_PER_CKWH = 36000; // 0.01 kWh in joules

/** Registers and instantaneous values of one virtual meter. */
export class MeterModel {
  /** Import (forward) energy in 0.01 kWh, split over tariff registers 1..4. */
  tariffCkwh = [0, 0, 0, 0];
  exportCkwh = 0;
  voltageV: number;
  frequencyHz: number;
  /** When set, the current reported instead of power / voltage (for exact vectors). */
  currentOverrideA: number | null = null;
  relayOpen = false;
  /** Register resets seen (meter replaced). */
  resets = 0;
  pulses = 0;
  private demandW = 0;
  private lastMs: number;
  private joules = 0;
  private pulseJ = 0;
  private stepTimer = 0;
  private pulseTimer = 0;

  constructor(
    private clock: Clock,
    private opts: MeterModelOptions = {},
  ) {
    this.voltageV = opts.voltageV !== undefined ? opts.voltageV : 230;
    this.frequencyHz = opts.frequencyHz !== undefined ? opts.frequencyHz : 50;
    this.tariffCkwh[0] = opts.importCkwh || 0;
    this.exportCkwh = opts.exportCkwh || 0;
    this.lastMs = clock.now();
    const load = opts.load;
    if (load) {
      const stepS = opts.stepS || 1;
      this.demandW = load.powerW(this.secOfDay(), stepS);
      this.stepTimer = clock.every(stepS * 1000, () => {
        this.update();
        this.demandW = load.powerW(this.secOfDay(), stepS);
        this.armPulse();
      });
    }
    this.armPulse();
  }

  /** Import (forward) total in 0.01 kWh. */
  importCkwh(): number {
    this.update();
    const t = this.tariffCkwh;
    return t[0] + t[1] + t[2] + t[3];
  }

  /** Export (reverse) total in 0.01 kWh. */
  exportTotalCkwh(): number {
    this.update();
    return this.exportCkwh;
  }

  /** Active power now, W (negative = export); zero while the relay is open. */
  powerW(): number {
    return this.relayOpen ? 0 : this.demandW;
  }

  currentA(): number {
    if (this.currentOverrideA !== null) return this.relayOpen ? 0 : this.currentOverrideA;
    return this.voltageV > 0 ? this.powerW() / this.voltageV : 0;
  }

  /** Sets the power drawn (meters without a load); negative exports. */
  setPowerW(w: number): void {
    this.update();
    this.demandW = w;
    this.armPulse();
  }

  setRelayOpen(open: boolean): void {
    this.update();
    this.relayOpen = open;
    this.armPulse();
  }

  /** Sets the import total (all in tariff 1) and export total, in 0.01 kWh. */
  setEnergy(importCkwh: number, exportCkwh: number): void {
    this.update();
    this.tariffCkwh = [importCkwh, 0, 0, 0];
    this.exportCkwh = exportCkwh;
  }

  /** The meter was replaced: every register restarts from zero. */
  resetRegisters(): void {
    this.update();
    this.tariffCkwh = [0, 0, 0, 0];
    this.exportCkwh = 0;
    this.joules = 0;
    this.resets++;
  }

  /** Stops the model's timers. */
  stop(): void {
    if (this.stepTimer) this.clock.cancel(this.stepTimer);
    if (this.pulseTimer) this.clock.cancel(this.pulseTimer);
    this.stepTimer = this.pulseTimer = 0;
  }

  /** Brings the registers up to the clock's now. */
  update(): void {
    const now = this.clock.now();
    const dt = (now - this.lastMs) / 1000;
    this.lastMs = now;
    if (dt <= 0) return;
    const p = this.powerW();
    if (p === 0) return;
    const j = Math.abs(p) * dt;
    if (this.opts.impPerKwh) this.pulseJ += j;
    this.joules += j;
    let n = 0;
    while (this.joules >= J_PER_CKWH - 1e-6) {
      this.joules = Math.max(0, this.joules - J_PER_CKWH);
      n++;
    }
    if (n === 0) return;
    if (p < 0) this.exportCkwh += n;
    else {
      const k = this.opts.tariffAt ? this.opts.tariffAt(now) : 0;
      this.tariffCkwh[k >= 0 && k < 4 ? k : 0] += n;
    }
  }

  private secOfDay(): number {
    const ms = this.clock.now();
    return this.opts.secOfDay ? this.opts.secOfDay(ms) : Math.floor(ms / 1000) % 86400;
  }

  // One timer for the next pulse, re-armed whenever the power changes.
  private armPulse(): void {
    const imp = this.opts.impPerKwh;
    if (!imp || !this.opts.onPulse) return;
    if (this.pulseTimer) this.clock.cancel(this.pulseTimer);
    this.pulseTimer = 0;
    const p = Math.abs(this.powerW());
    if (p === 0) return;
    const per = 3.6e6 / imp;
    const ms = (Math.max(0, per - this.pulseJ) / p) * 1000;
    this.pulseTimer = this.clock.after(ms, () => {
      this.pulseTimer = 0;
      this.update();
      if (this.pulseJ >= per - 1e-6) {
        this.pulseJ = Math.max(0, this.pulseJ - per);
        this.pulses++;
        (this.opts.onPulse as (ms: number) => void)(this.clock.now());
      }
      this.armPulse();
    });
  }
}
