// Usage, help and role of every console command: one table for the console modules (each runs
// some commands; the dispatcher reads the roles here, and `help` lists them all), kept in a
// function so that it stays in flash.
import { SMS } from '../sms/feature';
import { UPLINK } from '../uplink/feature';

/** [usage, help, least role] of a command, or null. A command whose changes need a higher role
 *  than its reading adds [usage, help] of what the lower roles may use and that higher role, so
 *  that `help` shows each role only what it can run. Roles as digits (firmware/console/shell.ts:
 *  0 none, 1 read, 2 operator, 3 technician). Whole literals, no concatenation: on the board a
 *  literal stays in flash, a joined text is copied into the heap (the cfg module reads these
 *  while it works at the edge of the Pico's heap). */
export function about(name: string): string[] | null {
  switch (name) {
    case 'help':
      return ['help [command]', 'Lists the commands your role may use, or explains one.', '0'];
    case 'login':
      return ['login <pin>', 'Signs in; the PIN gives the role (read, operator, technician).', '0'];
    case 'logout':
      return ['logout', 'Signs out.', '0'];
    case 'json':
      return ['json on|off', 'Answers as JSON lines for scripts, each with its command (cmd): one per answer; log, config export and the acct and meter lists one per entry, then the answer. Or as text.', '0'];
    case 'status':
      return ['status', 'Time, accounts, alarms, storage, the meter bus (requests, answers, errors, meters lost) and, on the board, memory.', '1'];
    case 'time':
      return ['time [set YYYY-MM-DD HH:MM[:SS]]', 'Shows the local time, or sets it.', '1', 'time', 'Shows the local time.', '3'];
    case 'acct':
      return ['acct [name | open|set|close <name> ...]', 'acct: list; acct R1: details; acct open R1 plan=P [alarms=30,20,10 limit=2 reconnect=5 max=500 friendly=22:00-07:00 mode=auto maxpower=4400]; acct set R1 <same options>; acct close R1 (final record, balance refunded).', '1', 'acct [name]', 'acct: list; acct R1: details.', '2'];
    case 'meter':
      return ['meter [name | read|add|set|rm <name> ...]', 'meter: list; meter M1: details; meter read M1 (now); meter add M1 acct=R1 [proto=dlt645|modbus|pulse addr=.. profile=sdm120|dds238 imp=1000 maxw=13800 plan=P]; meter set M1 <same>; meter rm M1.', '1', 'meter [name | read <name>]', 'meter: list; meter M1: details; meter read M1 (now).', '3'];
    case 'topup':
      return ['topup <account> <amount>', 'Adds credit and prints a receipt.', '2'];
    case 'refund':
      return ['refund <account> <amount>', 'Returns electricity money (not more than the balance), with a receipt.', '2'];
    case 'correct':
      return ['correct <receipt-number>', 'Reverses a wrong top-up or refund (one of the last 16), once.', '2'];
    case 'relay':
      return ['relay <account> on|off|auto|reset', 'on = guaranteed power, off = forced off, auto = prepay rules, reset = clear an overload lock-out.', '2'];
    case 'tariff':
      return ['tariff [plan | set <plan> ...]', 'tariff: list plans; tariff P: show; tariff set P price=0.60 | sharp=1.2 peak=0.85 flat=0.55 valley=0.30 workday=00:00/valley,08:00/peak weekend=... ; tiers=200:0,400:0.05,*:0.30 (kWh:adder).', '1', 'tariff [plan]', 'tariff: list plans; tariff P: show.', '3'];
    case 'log':
      return ['log [acct=R1] [kind=topup] [from=DATE] [to=DATE] [n=20]', 'Event log, newest first, with filters; kinds: topup refund correction transfer token alarm clear relay relay-alarm event refused meter command time config freeze boot uplink.', '1'];
    case 'freeze':
      return ['freeze day|month [acct=R1] [from=DATE] [to=DATE]', 'Daily or monthly freeze records (energy by period, money).', '1'];
    case 'config':
      return ['config export | config import', 'export prints the configuration as JSON text; import reads it back (paste, then END CONFIG).', '3'];
    case 'token':
      return ['token <account> <digits>', 'Enters a top-up token (9, 12, 15 or 20 digits; spaces allowed).', '1'];
    case 'sms':
      return !SMS ? null : ['sms [status | add <number> admin|<acct>[,<acct>] | rm <number> | test <number> [text] | now | key <hex>|none | every <s>]', 'SMS: the modem\'s last session, the phone list (administrators; users of accounts), a test message or a session now; the key for administrators\' codes and the session interval (technician). See docs/sms.md.', '2'];
    case UPLINK ? 'uplink' : '':
      return !UPLINK ? null : ['uplink [now]', 'The uplink: its last session, what waits; now: a session at once.', '2'];
    case 'reboot':
      return ['reboot', 'Restarts the unit (state is kept).', '3'];
    case 'factory-reset':
      return ['factory-reset yes', 'Erases the configuration, accounts, balances and freeze records (the event log is kept). Type yes to confirm.', '3'];
  }
  return null;
}
