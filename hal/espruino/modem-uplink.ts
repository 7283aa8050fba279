// The uplink's link on a board whose uplink goes through its GSM modem (firmware/main.ts
// openUplink): a module of the board's HAL (`mtc`, tools/build.ts), loaded when the uplink first
// starts and held while the unit runs (its timers and the UART's listener are the connection's).
// One modem, one TCP driver: an uplink started again (its configuration section changed) goes on
// with the same driver, to the broker and over the bearer the new section names.
import type { Clock } from '../clock';
import type { OpenLink } from '../link';
import { ModemTcpOptions, modemTcp } from '../modem-tcp';
import { modemLine } from './modem-line';

/** The modem on UART `port` (its board `desc` as modem-line.ts reads it) as the uplink's link:
 *  given the configuration's words ("host:port [apn [user password]]"), the connections there. */
export function modemUplink(port: Serial, desc: string, clock: Clock): (to: string) => OpenLink {
  const o: ModemTcpOptions = { line: modemLine(port, desc, {}), clock: clock, apn: '', host: '', port: 0 };
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
