// Usage and help of the commands that both console modules describe (the cmd module answers
// `help` and reads; the cfg module makes changes): one text, kept in a function so that it
// stays in flash.

/** [usage, help] of a command both modules know (or `time`), or null. A command whose changes
 *  need a higher role than its reading adds [usage, help] of what the lower roles may use and
 *  that higher role (as text), so that `help` shows each role only what it can run. Whole
 *  literals, no concatenation: on the board a literal stays in flash, a joined text is copied
 *  into the heap (the cfg module reads these while it works at the edge of the Pico's heap). */
export function about(name: string): string[] | null {
  switch (name) {
    case 'acct':
      return ['acct [name | open|set|close <name> ...]', 'acct: list; acct R1: details; acct open R1 plan=P [alarms=30,20,10 limit=2 reconnect=5 max=500 friendly=22:00-07:00 mode=auto maxpower=4400]; acct set R1 <same options>; acct close R1 (final record, balance refunded).', 'acct [name]', 'acct: list; acct R1: details.', '2'];
    case 'meter':
      return ['meter [name | read|add|set|rm <name> ...]', 'meter: list; meter M1: details; meter read M1 (now); meter add M1 acct=R1 [proto=dlt645|modbus|pulse addr=.. profile=sdm120|dds238 imp=1000 maxw=13800 plan=P]; meter set M1 <same>; meter rm M1.', 'meter [name | read <name>]', 'meter: list; meter M1: details; meter read M1 (now).', '3'];
    case 'tariff':
      return ['tariff [plan | set <plan> ...]', 'tariff: list plans; tariff P: show; tariff set P price=0.60 | sharp=1.2 peak=0.85 flat=0.55 valley=0.30 workday=00:00/valley,08:00/peak weekend=... ; tiers=200:0,400:0.05,*:0.30 (kWh:adder).', 'tariff [plan]', 'tariff: list plans; tariff P: show.', '3'];
    case 'time':
      return ['time [set YYYY-MM-DD HH:MM[:SS]]', 'Shows the local time, or sets it.', 'time', 'Shows the local time.', '3'];
    case 'config':
      return ['config export | config import', 'export prints the configuration as JSON text; import reads it back (paste, then END CONFIG).'];
    case 'factory-reset':
      return ['factory-reset yes', 'Erases the configuration, accounts, balances and freeze records (the event log is kept). Type yes to confirm.'];
  }
  return null;
}
