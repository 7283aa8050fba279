import { RelayOutput } from '../relay';

/** A relay coil on a GPIO, optionally with an auxiliary contact read back on another pin. */
export class EspruinoRelayOutput implements RelayOutput {
  constructor(private pin: Pin, private activeHigh: boolean, private feedback?: Pin) {
    pinMode(pin, 'output', false);
    if (feedback) pinMode(feedback, 'input_pullup', false);
  }

  set(closed: boolean): void {
    digitalWrite(this.pin, closed === this.activeHigh ? 1 : 0);
  }

  read(): boolean {
    // With a feedback contact the answer is the contact; without it, the level we drive.
    const level = digitalRead(this.feedback || this.pin) === 1;
    return this.feedback ? level : level === this.activeHigh;
  }
}
