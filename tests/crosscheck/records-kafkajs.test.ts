/**
 * Record batches and legacy message sets against kafkajs 2.2.4, an independent implementation:
 * batches it encodes (uncompressed and gzip) must decode with ours, and ours with its decoder.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeLegacyMessageSet,
  decodeRecordBatch,
  encodeLegacyMessageSet,
  encodeRecordBatch,
  type CompressionType,
} from '@kafkaesque/protocol';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const MessageSet = require('kafkajs/src/protocol/messageSet/index.js');
const decodeKafkajsMessageSet = require('kafkajs/src/protocol/messageSet/decoder.js');
const Message = require('kafkajs/src/protocol/message/index.js');
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');
const gzipCodec = require('kafkajs/src/protocol/message/compression/gzip.js');

const BASE_TIME = 1_700_000_000_000;

// kafkajs headers are an object (unique keys) whose values are non-null buffers
const recordArbitrary = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null }),
  headers: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in {})), // kafkajs's header reducer trips on Object.prototype names
    fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a)),
    { maxKeys: 3 },
  ),
  timestampDelta: fc.integer({ min: 0, max: 1_000_000 }),
});

const batchArbitrary = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  compression: fc.constantFrom<CompressionType>(0, 1),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  producerEpoch: fc.integer({ min: 0, max: 1000 }),
  baseSequence: fc.integer({ min: 0, max: 2 ** 30 }),
  transactional: fc.boolean(),
  records: fc.array(recordArbitrary, { minLength: 1, maxLength: 10 }),
});

describe('record batches vs kafkajs', () => {
  it('decodes batches kafkajs encodes (none, gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(batchArbitrary, async (input) => {
        const records = input.records.map((record, i) =>
          Record({ offsetDelta: i, timestampDelta: record.timestampDelta, key: record.key, value: record.value, headers: record.headers }),
        );
        const maxTimestamp = BASE_TIME + Math.max(...input.records.map((r) => r.timestampDelta));
        const encoder = await RecordBatch({
          compression: input.compression,
          firstOffset: Long.fromNumber(input.baseOffset),
          firstTimestamp: BASE_TIME,
          maxTimestamp,
          lastOffsetDelta: input.records.length - 1,
          transactional: input.transactional,
          producerId: Long.fromNumber(input.producerId),
          producerEpoch: input.producerEpoch,
          firstSequence: input.baseSequence,
          records,
        });
        const batch = decodeRecordBatch(encoder.buffer);
        expect(batch.compression).toBe(input.compression);
        expect(batch.isTransactional).toBe(input.transactional);
        expect(batch.producerId).toBe(BigInt(input.producerId));
        expect(batch.baseSequence).toBe(input.baseSequence);
        expect(batch.maxTimestamp).toBe(maxTimestamp);
        expect(batch.records.map((r) => [r.offset, r.timestamp, r.key, r.value])).toEqual(
          input.records.map((r, i) => [input.baseOffset + i, BASE_TIME + r.timestampDelta, r.key, r.value]),
        );
        batch.records.forEach((record, i) => {
          expect(Object.fromEntries(record.headers.map((h) => [h.key, h.value]))).toEqual(input.records[i].headers);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('kafkajs decodes batches we encode (none, gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(batchArbitrary, async (input) => {
        const encoded = encodeRecordBatch({
          baseOffset: input.baseOffset,
          compression: input.compression,
          transactional: input.transactional,
          producerId: input.producerId,
          producerEpoch: input.producerEpoch,
          baseSequence: input.baseSequence,
          baseTimestamp: BASE_TIME,
          records: input.records.map((r) => ({
            key: r.key,
            value: r.value,
            timestamp: BASE_TIME + r.timestampDelta,
            headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
          })),
        });
        const decoded = await decodeKafkajsBatch(new Decoder(encoded));
        expect(decoded.firstOffset).toBe(String(input.baseOffset));
        expect(decoded.producerId).toBe(String(input.producerId));
        expect(decoded.inTransaction).toBe(input.transactional);
        expect(decoded.records).toHaveLength(input.records.length);
        decoded.records.forEach((record: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: object }, i: number) => {
          const expected = input.records[i];
          expect(record.offset).toBe(String(input.baseOffset + i));
          expect(record.timestamp).toBe(String(BASE_TIME + expected.timestampDelta));
          expect(record.key).toEqual(expected.key);
          expect(record.value).toEqual(expected.value);
          expect(record.headers).toEqual(expected.headers);
        });
      }),
      { numRuns: 100 },
    );
  });
});

const messagesArbitrary = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), { nil: null }),
    value: fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
    timestamp: fc.integer({ min: BASE_TIME, max: BASE_TIME + 1e6 }),
  }),
  { minLength: 1, maxLength: 8 },
);

/** A gzip wrapper the way kafkajs's producer builds one: inner set with offsets 0..n-1. */
async function kafkajsCompressedSet(magic: 0 | 1, messages: { key: Buffer | null; value: Buffer; timestamp: number }[], wrapperOffset: number) {
  const inner = MessageSet({ messageVersion: magic, compression: 1, entries: messages });
  const compressed = await gzipCodec.compress(inner);
  const wrapper = Message({ version: magic })({
    compression: 1,
    timestamp: Math.max(...messages.map((m) => m.timestamp)),
    key: null,
    value: compressed,
  });
  return new Encoder().writeInt64(Long.fromNumber(wrapperOffset)).writeInt32(wrapper.size()).writeEncoder(wrapper).buffer as Buffer;
}

describe('legacy message sets vs kafkajs', () => {
  it('decodes message sets kafkajs encodes (magic 0/1, plain and gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(messagesArbitrary, fc.constantFrom<0 | 1>(0, 1), async (messages, magic) => {
        const plain: Buffer = MessageSet({ messageVersion: magic, compression: 0, entries: messages }).buffer;
        const decoded = decodeLegacyMessageSet(plain).messages;
        expect(decoded.map((m) => [m.offset, m.key, m.value])).toEqual(messages.map((m) => [-1, m.key, m.value]));
        if (magic === 1) expect(decoded.map((m) => m.timestamp)).toEqual(messages.map((m) => m.timestamp));
        const wrapped = await kafkajsCompressedSet(magic, messages, 500 + messages.length - 1);
        const inner = decodeLegacyMessageSet(wrapped).messages;
        // magic 1: inner offsets are relative to the wrapper's; magic 0: stored as written (0..n-1)
        const base = magic === 1 ? 500 : 0;
        expect(inner.map((m) => [m.offset, m.key, m.value, m.compression])).toEqual(
          messages.map((m, i) => [base + i, m.key, m.value, 1]),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('kafkajs decodes message sets we encode (magic 0/1, plain and gzip)', async () => {
    await fc.assert(
      fc.asyncProperty(messagesArbitrary, fc.constantFrom<0 | 1>(0, 1), fc.constantFrom<CompressionType>(0, 1), async (messages, magic, compression) => {
        const encoded = encodeLegacyMessageSet({ magic, compression, baseOffset: 1000, messages });
        const decoded = await decodeKafkajsMessageSet(new Decoder(encoded), encoded.length);
        expect(decoded.map((m: { offset: string; key: Buffer | null; value: Buffer }) => [String(m.offset), m.key, m.value])).toEqual(
          messages.map((m, i) => [String(1000 + i), m.key, m.value]),
        );
        if (magic === 1) {
          expect(decoded.map((m: { timestamp: string }) => String(m.timestamp))).toEqual(messages.map((m) => String(m.timestamp)));
        }
      }),
      { numRuns: 60 },
    );
  });
});
