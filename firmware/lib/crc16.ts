// CRC-16/MODBUS (init 0xFFFF, reflected polynomial 0xA001), bitwise: no 512-byte table in RAM.
// Shared by the Modbus codec and the EEPROM record store.

/** CRC-16/MODBUS over bytes[start, end). */
export function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) {
      crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
  }
  return crc;
}
