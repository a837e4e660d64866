import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import zlib from 'node:zlib';
import { crc32, crc32Table } from './crc32.ts';
import { crc32c } from './crc32c.ts';
import { xxhash32 } from './xxhash32.ts';

const CHECK_INPUT = Buffer.from('123456789');

describe('checksums', () => {
  it('match the standard check values', () => {
    // the "check" values of the CRC catalogue (CRC-32/ISO-HDLC and CRC-32/ISCSI) for "123456789"
    expect(crc32(CHECK_INPUT)).toBe(0xcbf43926);
    expect(crc32Table(CHECK_INPUT)).toBe(0xcbf43926);
    expect(crc32c(CHECK_INPUT)).toBe(0xe3069283);
  });

  it('table CRC32 agrees with zlib on random data, at any offset, chained', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const bytes = Buffer.from(data);
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        const expected = zlib.crc32(bytes.subarray(start, end)) >>> 0;
        expect(crc32Table(bytes, start, end)).toBe(expected);
        expect(crc32(bytes, start, end)).toBe(expected);
        const middle = Math.floor((start + end) / 2);
        expect(crc32Table(bytes, middle, end, crc32Table(bytes, start, middle))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('xxhash32 matches published values', () => {
    // reference vectors of the xxHash project (seed 0)
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });

  it('xxhash32 of a sub-range equals that of a copy', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat({ max: 0xffffffff }), (data, cut, seed) => {
        const bytes = Buffer.concat([Buffer.from([1, 2, 3]), data]);
        const start = cut % bytes.length;
        expect(xxhash32(bytes, start, bytes.length, seed)).toBe(xxhash32(Buffer.from(bytes.subarray(start)), 0, bytes.length - start, seed));
      }),
    );
  });
});

describe('crc32c word path', () => {
  /** Bit-at-a-time reference, too slow for use but obviously the definition. */
  function crc32cReference(bytes: Uint8Array): number {
    let crc = 0xffffffff;
    for (const byte of bytes) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    }
    return ~crc >>> 0;
  }

  it('agrees with the bit-wise definition at every alignment, length and chaining point', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(7), fc.nat(), (data, shift, split) => {
        // place the data at a chosen misalignment inside a larger allocation
        const backing = new Uint8Array(data.length + 8);
        backing.set(data, shift);
        const view = backing.subarray(shift, shift + data.length);
        const expected = crc32cReference(data);
        expect(crc32c(view)).toBe(expected);
        const middle = data.length === 0 ? 0 : split % data.length;
        expect(crc32c(view, middle, data.length, crc32c(view, 0, middle))).toBe(expected);
        expect(crc32c(backing, shift, shift + data.length)).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });
});
