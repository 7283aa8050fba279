// Money and energy as people read them: milli-units as a decimal with three places.

/** Milli-units as a decimal string with three places, exact for integers ("-1.005"). */
export function milli(v: number): string {
  const neg = v < 0;
  const a = Math.abs(v);
  const s = Math.floor(a / 1000) + '.' + String(a % 1000).padStart(3, '0');
  return neg ? '-' + s : s;
}
