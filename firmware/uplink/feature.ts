// Whether this firmware has the uplink (docs/uplink.md). True here (the simulator, the tests);
// tools/build.ts makes it false in the build of a board without an `uplink` section in its JSON
// (none has one yet: the uplink needs room in their flash first), so that every branch that reads
// it is left out of that board's flash.
export const UPLINK = true;
