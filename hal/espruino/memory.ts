// The interpreter's heap, as the unit's HAL reports it (process.memory() collects first).

/** Variables free now. */
export function freeVars(): number {
  return process.memory().free;
}

/** The status line of the board: its name, the heap and the interpreter's error flags. */
export function boardStatus(name: string): string[] {
  const m = process.memory();
  return ['BOARD    ' + name + ' vars free=' + m.free + '/' + m.total + ' flags=' + (E.getErrorFlags() || []).join(',')];
}
