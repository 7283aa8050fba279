// The uplink's link on a board whose uplink goes over its WiFi (firmware/main.ts openUplink; the
// Espruino WiFi's ESP8266): Espruino's own network, its firmware's `Wifi` module joining the
// network the configuration names and its `net` sockets carrying the connection to the broker. A
// module of the board's HAL (`wtc`, tools/build.ts), loaded when a session opens its connection
// and let go once that connection has ended, when the WiFi is left again: between sessions the
// heap holds nothing of it.
import type { Clock } from '../clock';
import type { OpenLink } from '../link';

/** How long joining the network and reaching the broker may take: the Wifi module itself retries
 *  any failure but a wrong password without end. */
const REACH_MS = 60000;

/** A TCP socket of Espruino's network (require("net").connect). */
interface NetSocket {
  write(data: string): void;
  end(): void;
  on(event: 'data', fn: (data: string) => void): void;
  on(event: 'close' | 'error', fn: () => void): void;
}

/** What the board keeps of the link between its loads: the clock, and what to call when the
 *  module can go. */
export interface WifiKept {
  clock: Clock;
  gone: () => void;
}

/** A word of the configuration's uplink section with its spaces back (firmware/config.ts keeps
 *  a space of the network's name or password as \x7f: the section's words are space-separated). */
function spaced(s: string | undefined): string {
  return (s || '').split('\x7f').join(' ');
}

/** The WiFi as the uplink's link: given the configuration's words ("host:port ssid [password]"),
 *  connections there. */
export function wifiUplink(kept: WifiKept): (to: string) => OpenLink {
  return function (to: string) {
    const w = to.split(' ');
    const at = w[0].indexOf(':');
    return function (data, closed) {
      const wifi = require('Wifi');
      let sock: NetSocket | undefined;
      // what the client writes before the broker is reached (its CONNECT)
      let out: string | undefined = '';
      let done = false;
      const end = function () {
        if (done) return;
        done = true;
        kept.clock.cancel(limit);
        if (sock) sock.end();
        wifi.disconnect();
        kept.gone();
        closed();
      };
      const limit = kept.clock.after(REACH_MS, end);
      wifi.connect(spaced(w[1]), { password: spaced(w[2]) }, function (err: string | null) {
        // (joined after the time was up: left at once)
        if (done) return wifi.disconnect();
        if (err) return end();
        const s: NetSocket = (sock = require('net').connect({ host: w[0].substr(0, at), port: +w[0].substr(at + 1) }, function () {
          kept.clock.cancel(limit);
          if (out) s.write(out);
          out = undefined;
        }));
        s.on('data', data);
        s.on('close', end);
        s.on('error', end);
      });
      return {
        write: function (s: string) {
          if (out === undefined) (sock as NetSocket).write(s);
          else out += s;
        },
        close: end,
      };
    };
  };
}
