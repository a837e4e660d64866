/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of record batches
 * (magic 2). Slicing-by-8: eight lookup tables let the loop consume 8 bytes per step.
 */
const POLYNOMIAL_REFLECTED = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    tables[0][n] = crc >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let crc = tables[0][n];
    for (let t = 1; t < 8; t++) {
      crc = tables[0][crc & 0xff] ^ (crc >>> 8);
      tables[t][n] = crc >>> 0;
    }
  }
  return tables;
})();

/** Continues a CRC32C over `bytes[start, end)`; pass the previous result to chain (start with 0). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~previous >>> 0;
  let i = start;
  const fastEnd = end - 8;
  while (i <= fastEnd) {
    const low = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ crc;
    crc =
      t7[low & 0xff] ^
      t6[(low >>> 8) & 0xff] ^
      t5[(low >>> 16) & 0xff] ^
      t4[low >>> 24] ^
      t3[bytes[i + 4]] ^
      t2[bytes[i + 5]] ^
      t1[bytes[i + 6]] ^
      t0[bytes[i + 7]];
    i += 8;
  }
  while (i < end) crc = t0[(crc ^ bytes[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
