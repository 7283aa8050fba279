// Whether this firmware has the uplink (docs/uplink.md). True here (the simulator, the tests);
// tools/build.ts makes it false in the build of a board without an `uplink` section in its JSON,
// so that every branch that reads it is left out of that board's flash.
export const UPLINK = true;

// Whether the unit's uplink goes through a link of the board's own (its modem, its WiFi), to the
// broker its configuration names (`uplink.broker`, then required). False here (the simulator
// gives the unit a link of its own); tools/build.ts makes it true for a board with an `uplink`
// section.
export const UPLINK_BROKER = false;

// Whether that link is the board's WiFi (its ESP8266, through Espruino's own network: the
// configuration's `uplink.ssid` and `uplink.wifiPassword` name the network), rather than a GSM
// modem's TCP (`uplink.apn` and the rest name the bearer). tools/build.ts makes it true for a
// board whose `uplink` section says `"link": "wifi"`.
export const UPLINK_WIFI = false;
