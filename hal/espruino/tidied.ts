// The built-ins the board lets go between its turns (a file of its own: tools/espruino-check.ts
// reads the list too, and refuses a bundle that keeps one of them in a variable).
/** The built-in objects the board's firmware deletes from the heap's root between its timers'
 *  turns (firmware/main.ts): Espruino adds each there, for good, the first time code names it
 *  (8 variables a typed array's constructor; String's and Array's too, E 9, Math and JSON 2:
 *  measured at rest on espruino-pico). */
export const TIDIED = 'Float64Array Int32Array Uint32Array Int16Array Int8Array Uint8Array ArrayBuffer ArrayBufferView String Array Math JSON E';
