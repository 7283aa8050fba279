// What a console command answers: text lines for people and the same facts as data for
// scripts (`json on`). Shared by the shell, the commands and the parts that answer later.

/** One answer. */
export interface Answer {
  ok: boolean;
  lines: string[];
  data?: { [k: string]: unknown };
  /** Set when the command changed the unit's state: it goes to the event log with the role. */
  changed?: boolean;
}

/** A failed answer from one line. */
export function fail(msg: string): Answer {
  return { ok: false, lines: ['error: ' + msg], data: { error: msg } };
}

/** A successful answer. */
export function done(lines: string[], data?: { [k: string]: unknown }): Answer {
  return { ok: true, lines: lines, data: data };
}

/** A successful answer to a command that changed state. */
export function changed(lines: string[], data?: { [k: string]: unknown }): Answer {
  return { ok: true, lines: lines, data: data, changed: true };
}
