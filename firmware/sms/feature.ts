// Whether this firmware has the SMS service. True here (the simulator, the tests, a board with a
// GSM modem); tools/build.ts makes it false in the build of a board without a modem (its JSON has
// no `modem`), so that every branch that reads it is left out of that board's flash.
export const SMS = true;
