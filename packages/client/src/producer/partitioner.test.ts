import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StickyPartitioner, defaultKeyPartition } from './partitioner.ts';

// Signed murmur2 values from the Java client's own unit test (UtilsTest.testMurmur2); the
// partition for n partitions is (hash & 0x7fffffff) % n, as Java's BuiltInPartitioner computes.
const JAVA_MURMUR2: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('defaultKeyPartition', () => {
  it('puts keys on the partitions the Java client picks', () => {
    for (const [key, hash] of JAVA_MURMUR2) {
      for (const partitionCount of [1, 2, 3, 7, 12, 100]) {
        expect(defaultKeyPartition(Buffer.from(key), partitionCount)).toBe((hash & 0x7fffffff) % partitionCount);
      }
    }
  });

  it('always returns a partition in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 10_000 }), (key, count) => {
        const partition = defaultKeyPartition(Buffer.from(key), count);
        return Number.isInteger(partition) && partition >= 0 && partition < count;
      }),
      { numRuns: 200 },
    );
  });
});

describe('StickyPartitioner', () => {
  const context = (key: Buffer | null = null) => ({ topic: 't', key, partitionCount: 4, availablePartitions: [0, 1, 2, 3] });

  it('keeps keyless records on one partition until a batch completes, then moves on', () => {
    const partitioner = new StickyPartitioner();
    const first = partitioner.partition(context());
    for (let i = 0; i < 50; i++) expect(partitioner.partition(context())).toBe(first);
    const next = partitioner.onNewBatch(context(), first);
    expect(next).not.toBe(first);
    expect(partitioner.partition(context())).toBe(next);
  });

  it('prefers partitions with a leader', () => {
    const partitioner = new StickyPartitioner();
    for (let i = 0; i < 20; i++) {
      const partition = partitioner.onNewBatch({ topic: 'u', key: null, partitionCount: 4, availablePartitions: [2, 3] }, -1);
      expect([2, 3]).toContain(partition);
    }
  });

  it('uses murmur2 for keyed records', () => {
    const partitioner = new StickyPartitioner();
    expect(partitioner.partition(context(Buffer.from('foobar')))).toBe((-790332482 & 0x7fffffff) % 4);
  });
});
