/** Options of the technician console port. */
export interface ConsolePortOptions {
  /** The UART or USB the technician plugs into. */
  port: Serial;
  /** UART pins; absent for USB. */
  tx?: Pin;
  rx?: Pin;
  baud: number;
  /** Production: the JS REPL goes to LoopbackA, so nobody on a field port can run code. */
  production: boolean;
  /** Characters typed by the technician. */
  onText: (text: string) => void;
}

/** A technician console that owns its port; returns the function printing one line to it. */
export function openConsolePort(o: ConsolePortOptions): (line: string) => void {
  const port = o.port;
  if (o.production) LoopbackA.setConsole(true);
  // In a development build the REPL stays on USB, forced so that unplugging USB does not move
  // it onto Serial1 (a meter bus or console UART); a USB console then leaves input to the REPL.
  else USB.setConsole(true);
  if (o.tx) port.setup(o.baud, { tx: o.tx, rx: o.rx });
  if (o.production || port !== USB) port.on('data', o.onText);
  return function (line: string) {
    port.write(line + '\r\n');
  };
}
