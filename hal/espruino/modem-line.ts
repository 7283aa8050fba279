// The GSM modem's line on a board (firmware/main.ts openModem): a module of the board's HAL
// (`mdl`, tools/build.ts), loaded for each SMS session, so that between sessions the heap holds
// nothing of it. The board's modem `desc` comes as tools/build.ts bakes it in: its fields in one
// string (a few variables of heap where an object takes twenty), "uart tx rx baud supply powerKey
// keyMs model", "-" for a pin it lacks.
import type { ModemLine } from '../modem';

/** The modem's line on UART `port`; `kept` holds whether its supply is on (kept by the SMS
 *  service between sessions). The supply is switched on once and left on (the module stays registered and keeps
 *  messages between sessions), off only to recover the module. */
export function modemLine(port: Serial, desc: string, kept: { on?: boolean }): ModemLine {
  const m = desc.split(' ');
  port.setup(+m[3], { tx: new Pin(m[1]), rx: new Pin(m[2]) });
  return {
    write: function (s: string) {
      port.write(s);
    },
    listen: function (fn: ((s: string) => void) | null) {
      port.removeAllListeners('data');
      if (fn) port.on('data', fn);
      // (nobody: the line's last use; the UART let go, and with it the options Espruino keeps on
      // the port once set up, about 7 variables; the next line made sets it up again)
      else port.unsetup();
    },
    power: function (v: boolean) {
      if (v === !!kept.on) return;
      kept.on = v;
      digitalWrite(new Pin(m[4]), v ? 1 : 0);
      // a high key pin pulls the module's PWRKEY low (an open-collector stage)
      if (v && m[5] !== '-') {
        digitalWrite(new Pin(m[5]), 1);
        setTimeout(function () {
          digitalWrite(new Pin(m[5]), 0);
        }, +m[6]);
      }
    },
    lte: m[7] === 'sim7600',
  };
}
