// The configuration a freshly flashed unit boots with, until a technician imports its own: one
// flat-price account per relay channel, one meter each, fed from outside (no bus address yet).
// tools/build.ts parses it at build time and bakes it into the board image as the EEPROM keeps
// a configuration, so the board never parses JSON to boot.
export const FACTORY_CONFIG = {
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'A1', plan: 'flat', relay: 0 },
    { name: 'A2', plan: 'flat', relay: 1 },
    { name: 'A3', plan: 'flat', relay: 2 },
    { name: 'A4', plan: 'flat', relay: 3 },
  ],
  meters: [
    { name: 'M1', account: 'A1' },
    { name: 'M2', account: 'A2' },
    { name: 'M3', account: 'A3' },
    { name: 'M4', account: 'A4' },
  ],
};
