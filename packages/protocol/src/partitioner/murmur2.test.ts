import { describe, expect, it } from 'vitest';
import { javaDefaultPartition, murmur2, toPositive } from './murmur2.ts';

// Values from Apache Kafka's UtilsTest.testMurmur2 (the Java client's own test table). They are
// also checked against kafkajs's independent implementation in tests/crosscheck/records-murmur2.
const JAVA_MURMUR2: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('murmur2 (Java-compatible)', () => {
  it('matches the Java client test table', () => {
    for (const [key, hash] of JAVA_MURMUR2) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('maps keys to partitions like the Java default partitioner', () => {
    for (const [key, hash] of JAVA_MURMUR2) {
      for (const partitions of [1, 3, 7, 100]) {
        expect(javaDefaultPartition(key, partitions)).toBe((hash & 0x7fffffff) % partitions);
      }
    }
    // Utils.toPositive clears the sign bit; it is not Math.abs
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(javaDefaultPartition('21', 3)).toBe(1173551340 % 3);
    expect(() => javaDefaultPartition('x', 0)).toThrow(RangeError);
  });
});
