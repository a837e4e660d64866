import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { javaStringHashCode, kafkaAbs, partitionForKey } from './partitioning.ts';

/** Java's String.hashCode computed with BigInt arithmetic, as the reference. */
function referenceHash(text: string): number {
  let hash = 0n;
  for (let index = 0; index < text.length; index++) hash = BigInt.asIntN(32, hash * 31n + BigInt(text.charCodeAt(index)));
  return Number(hash);
}

describe('group partitioning', () => {
  it('matches Java String.hashCode on known values', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Aa')).toBe(javaStringHashCode('BB'));
    // The classic string whose hashCode is Integer.MIN_VALUE: Kafka's Utils.abs maps it to 0.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionForKey('polygenelubricants', 50)).toBe(0);
  });

  it('agrees with the reference for any string (UTF-16 code units, surrogates included)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (text, partitions) => {
      const reference = referenceHash(text);
      const partition = partitionForKey(text, partitions);
      return javaStringHashCode(text) === reference &&
        partition === (reference === -2147483648 ? 0 : Math.abs(reference)) % partitions &&
        partition >= 0 && partition < partitions;
    }), { numRuns: 300 });
  });

  it('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionForKey('g', 0)).toThrow(RangeError);
    expect(() => partitionForKey('g', 1.5)).toThrow(RangeError);
  });
});
