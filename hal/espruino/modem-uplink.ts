// The uplink's link on a board whose uplink goes through its GSM modem (firmware/main.ts
// openUplink): a module of the board's HAL (`mtc`, tools/build.ts), loaded when a session opens
// its connection and let go when the module has closed it (its timers and the UART's listener
// are the connection's): between sessions the heap holds nothing of it but whether the modem's
// supply is on. One modem, one TCP driver: a session that starts while the last one's connection
// is being closed goes on with the same driver, to the broker and over the bearer its section
// names.
import type { Clock } from '../clock';
import type { OpenLink } from '../link';
import { ModemTcpOptions, modemTcp } from '../modem-tcp';
import { modemLine } from './modem-line';

/** What the board keeps of the link between its loads: whether the modem's supply is on, the
 *  clock, and what to call when the driver can go (ModemTcpOptions.gone). */
export interface UplinkKept {
  on?: boolean;
  clock: Clock;
  gone: () => void;
}

/** The modem on UART `port` (its board `desc` as modem-line.ts reads it) as the uplink's link:
 *  given the configuration's words ("host:port [apn [user password]]"), the connections there. */
export function modemUplink(port: Serial, desc: string, kept: UplinkKept): (to: string) => OpenLink {
  const o: ModemTcpOptions = { line: modemLine(port, desc, kept), clock: kept.clock, apn: '', host: '', port: 0, gone: kept.gone };
  const open = modemTcp(o);
  return function (to: string) {
    const w = to.split(' ');
    const at = w[0].indexOf(':');
    // (the configuration checked them; an empty host is never tried: modemTcp)
    o.host = at > 0 ? w[0].substr(0, at) : '';
    o.port = +w[0].substr(at + 1);
    o.apn = w[1] || '';
    o.user = w[2];
    o.password = w[3];
    return open;
  };
}
