/**
 * murmur2 against two independent JavaScript ports of Kafka's Java Utils.murmur2: kafkajs's
 * (Java-compatible by design, used by its default partitioner) and @platformatic/kafka's (BigInt).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as platformatic from '@platformatic/kafka';
import { javaDefaultPartition, murmur2 } from '@kafkaesque/protocol';

const require = createRequire(import.meta.url);
const kafkajsMurmur2: (key: Buffer | string) => number = require('kafkajs/src/producer/partitioners/default/murmur2.js');

describe('murmur2 vs kafkajs and platformatic', () => {
  it('agrees on random keys of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (data, partitions) => {
        const key = Buffer.from(data);
        const expected = kafkajsMurmur2(key);
        expect(murmur2(key)).toBe(expected);
        expect(murmur2(key)).toBe(platformatic.murmur2(key));
        expect(javaDefaultPartition(key, partitions)).toBe((expected & 0x7fffffff) % partitions);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on UTF-8 string keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (key) => {
        expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(key));
      }),
      { numRuns: 500 },
    );
  });
});
