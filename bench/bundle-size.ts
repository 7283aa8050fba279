// Firmware size per board against the 35 KB budget (minified, run from flash), with the
// variables it costs from flash and if uploaded to RAM (ESPRUINO.md's per-byte figures), and
// the board image (pretokenised, split between the free code area and Storage) against the
// board's flash. Builds in memory: dist/ is left as it is.
import { BUDGET_BYTES, boardNames, buildBoard, loadBoard, STORAGE_RESERVE_BYTES } from '../tools/build';

async function main(): Promise<void> {
  console.log('bundle size (budget ' + BUDGET_BYTES + ' bytes, from flash)');
  for (const name of boardNames()) {
    const r = await buildBoard(name, { write: false, boot: false });
    const b = loadBoard(name);
    const pct = (v: number) => ((100 * v) / r.variables).toFixed(0) + '%';
    console.log(
      '  ' + name + ': ' + r.bytes + ' bytes, ' + ((100 * r.bytes) / BUDGET_BYTES).toFixed(0) + '% of budget' +
        (r.bytes > BUDGET_BYTES ? ' (OVER by ' + (r.bytes - BUDGET_BYTES) + ')' : '') +
        '; from flash ~' + r.varsFlash + ' vars (' + pct(r.varsFlash) + ' of ' + r.variables + ')' +
        ', uploaded to RAM ~' + r.varsRam + ' vars (' + pct(r.varsRam) + ')' +
        (r.findings.length ? '; ' + r.findings.length + ' Espruino check finding(s)' : '')
    );
    const f = r.fit;
    const of = (n: number, cap: number) => n + ' of ' + cap + ' (' + ((100 * n) / cap).toFixed(0) + '%)';
    console.log(
      '    board image ' + (f.areaBytes + f.storageBytes) + ' bytes pretokenised (' +
        ((100 * (f.areaBytes + f.storageBytes)) / r.bytes).toFixed(0) + '% of the bundle): code area ' + (f.areaCapacity ? of(f.areaBytes, f.areaCapacity) : 'none') +
        ', Storage ' + of(f.storageBytes, f.storageCapacity) + ' beside ' + STORAGE_RESERVE_BYTES + ' kept for files: ' + (f.fits ? 'fits' : 'does NOT fit')
    );
    console.log('    as one Storage file (no code area) it would need ' + (f.areaBytes + f.storageBytes) + ' of ' + b.storageBytes + ': ' + (f.areaBytes + f.storageBytes <= b.storageBytes - STORAGE_RESERVE_BYTES ? 'fits' : 'does not fit'));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
