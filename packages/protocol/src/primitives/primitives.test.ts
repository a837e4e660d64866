import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Reader, Writer, ProtocolDecodeError, crc32c, randomUuid } from '../index.ts';

describe('primitives', () => {
  it('round-trips varints and varlongs', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (i, l, n) => {
      const w = new Writer();
      w.varint(i).varlong(l).varlongNumber(n).varlong(BigInt(n)).int64Number(n);
      const r = new Reader(w.finish());
      expect(r.varint()).toBe(i);
      expect(r.varlong()).toBe(l);
      expect(r.varlong()).toBe(BigInt(n));
      expect(r.varlongNumber()).toBe(n);
      expect(r.int64Number()).toBe(n);
      expect(r.remaining).toBe(0);
    }));
  });
  it('round-trips strings, bytes, arrays and uuids', () => {
    fc.assert(fc.property(fc.string(), fc.option(fc.string()), fc.uint8Array(), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), (s, ns, b, arr) => {
      const id = randomUuid();
      const w = new Writer(16);
      w.string(s).nullableString(ns).compactString(s).compactNullableString(ns).bytes(b).compactNullableBytes(b)
        .array(arr, (x, v) => x.int32(v)).compactArray(arr, (x, v) => x.varint(v)).uuid(id);
      const r = new Reader(w.finish());
      expect(r.string()).toBe(s);
      expect(r.nullableString()).toBe(ns);
      expect(r.compactString()).toBe(s);
      expect(r.compactNullableString()).toBe(ns);
      expect([...r.bytes()]).toEqual([...b]);
      expect([...r.compactNullableBytes()!]).toEqual([...b]);
      expect(r.array((x) => x.int32())).toEqual(arr);
      expect(r.compactArray((x) => x.varint())).toEqual(arr);
      expect(r.uuid()).toBe(id);
    }));
  });
  it('rejects a huge array length in a tiny input before allocating', () => {
    const w = new Writer();
    w.int32(2 ** 31 - 1).int32(0);
    expect(() => new Reader(w.finish()).array((r) => r.int32())).toThrow(ProtocolDecodeError);
  });
  it('computes CRC32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
