/**
 * CRC32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of legacy messages
 * (magic 0 and 1). Node's zlib exposes a native crc32 since v22.2; the slicing-by-8 table version
 * below is the fallback and the independent reference the tests compare it with.
 */
import zlib from 'node:zlib';

const POLYNOMIAL_REFLECTED = 0xedb88320;

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

/** Table-driven CRC32 over `bytes[start, end)`, chained through `previous` (start with 0). */
export function crc32Table(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
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

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** CRC32 over `bytes[start, end)` (unsigned), chained through `previous` (start with 0). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  if (nativeCrc32 === undefined) return crc32Table(bytes, start, end, previous);
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return nativeCrc32(view, previous) >>> 0;
}
