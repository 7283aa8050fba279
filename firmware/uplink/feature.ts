// Whether this firmware has the uplink (docs/uplink.md). True here (the simulator, the tests);
// tools/build.ts makes it false in the build of a board without an `uplink` section in its JSON,
// so that every branch that reads it is left out of that board's flash.
export const UPLINK = true;

// Whether the unit's uplink goes through its own modem, to the broker its configuration names
// (`uplink.broker`, then required). False here (the simulator gives the unit a link of its own);
// tools/build.ts makes it true for a board whose `uplink` section says `"link": "modem"`.
export const UPLINK_BROKER = false;
