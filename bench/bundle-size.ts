// Firmware size per board against the 35 KB budget (minified, run from flash), with the
// variables it costs from flash and if uploaded to RAM (ESPRUINO.md's per-byte figures).
// Builds in memory: dist/ is left as it is.
import { BUDGET_BYTES, boardNames, buildBoard, loadBoard } from '../tools/build';

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
    console.log(
      '    meter reading ' + (b.metering ? 'built in' : 'left out') + '; flash Storage ' + b.storageBytes + ' bytes: ' +
        (r.bytes <= b.storageBytes ? 'fits' : 'does NOT fit (' + ((100 * r.bytes) / b.storageBytes).toFixed(0) + '%)')
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
