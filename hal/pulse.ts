/** Options for a pulse (S0) input from an energy meter. */
export interface PulseInputOptions {
  /** Edges closer than this to the previous accepted one are contact bounce. */
  debounceMs: number;
  /** One call per accepted pulse, with the edge time in Clock milliseconds. */
  onPulse: (timeMs: number) => void;
}

/** A pulse input; counting and energy conversion live in firmware/metering/pulse.ts. */
export interface PulseInput {
  /** Stops watching the pin. */
  close(): void;
}
