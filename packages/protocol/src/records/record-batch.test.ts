import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { BATCH_OFFSET_CRC, isBatchCrcValid, readBatchHeader, type CompressionType } from './batch-header.ts';
import { decodeRecordBatch, encodeRecordBatch, type RecordBatchSpec } from './record-batch.ts';
import { decodeControlRecordKey, decodeControlRecordValue, encodeControlBatch } from './control.ts';
import { decodeRecordBatches, scanBatchHeaders } from './iterate.ts';

const BASE_TIME = 1_700_000_000_000;

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const recordArbitrary = fc.record({
  key: fc.option(bytes(40), { nil: null }),
  value: fc.option(bytes(200), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(bytes(20), { nil: null }) }), {
    maxLength: 3,
  }),
  timestampDelta: fc.integer({ min: -1_000_000, max: 1_000_000_000 }),
});

const specArbitrary = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  compression: fc.constantFrom<CompressionType>(0, 1, 2, 3, 4),
  transactional: fc.boolean(),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  records: fc.array(recordArbitrary, { minLength: 1, maxLength: 12 }),
  gaps: fc.boolean(),
});

type SpecInput = typeof specArbitrary extends fc.Arbitrary<infer T> ? T : never;

function toSpec(input: SpecInput): RecordBatchSpec {
  let offsetDelta = 0;
  return {
    baseOffset: input.baseOffset,
    partitionLeaderEpoch: input.partitionLeaderEpoch,
    compression: input.compression,
    transactional: input.transactional,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: input.baseSequence,
    baseTimestamp: BASE_TIME,
    records: input.records.map((record) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: BASE_TIME + record.timestampDelta,
      offsetDelta: (offsetDelta += input.gaps ? 3 : 1) - 1,
    })),
  };
}

describe('record batch (magic 2)', () => {
  it('round-trips random batches with every codec', () => {
    fc.assert(
      fc.property(specArbitrary, (input) => {
        const spec = toSpec(input);
        const encoded = encodeRecordBatch(spec);
        const header = readBatchHeader(encoded);
        expect(isBatchCrcValid(encoded, header)).toBe(true);
        const batch = decodeRecordBatch(encoded);
        expect(batch.baseOffset).toBe(input.baseOffset);
        expect(batch.partitionLeaderEpoch).toBe(input.partitionLeaderEpoch);
        expect(batch.compression).toBe(input.compression);
        expect(batch.isTransactional).toBe(input.transactional);
        expect(batch.isControl).toBe(false);
        expect(batch.producerId).toBe(input.producerId);
        expect(batch.producerEpoch).toBe(input.producerEpoch);
        expect(batch.baseSequence).toBe(input.baseSequence);
        expect(batch.baseTimestamp).toBe(BASE_TIME);
        expect(batch.maxTimestamp).toBe(Math.max(...spec.records.map((r) => r.timestamp!)));
        expect(batch.lastOffsetDelta).toBe(spec.records.at(-1)!.offsetDelta);
        expect(batch.recordCount).toBe(spec.records.length);
        expect(batch.records.length).toBe(spec.records.length);
        batch.records.forEach((record, i) => {
          const expected = spec.records[i];
          expect(record.offset).toBe(input.baseOffset + expected.offsetDelta!);
          expect(record.timestamp).toBe(expected.timestamp);
          expect(record.key).toEqual(expected.key);
          expect(record.value).toEqual(expected.value);
          expect(record.headers).toEqual(expected.headers);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('writes an empty batch and log-append-time batches', () => {
    const empty = decodeRecordBatch(encodeRecordBatch({ records: [], baseTimestamp: BASE_TIME }));
    expect(empty.records).toEqual([]);
    for (const compression of [1, 2, 3, 4] as const) {
      // what compaction leaves: a header-only batch that keeps its codec bits and last offset delta
      const encoded = encodeRecordBatch({ records: [], compression, lastOffsetDelta: 9, producerId: 5n, baseTimestamp: BASE_TIME });
      expect(encoded.length).toBe(61);
      const decoded = decodeRecordBatch(encoded);
      expect([decoded.compression, decoded.lastOffsetDelta, decoded.records]).toEqual([compression, 9, []]);
    }
    const logAppend = decodeRecordBatch(
      encodeRecordBatch({
        timestampType: 'log-append',
        maxTimestamp: BASE_TIME + 5,
        deleteHorizon: true,
        records: [{ value: 'a', timestamp: BASE_TIME }, { value: 'b', timestamp: BASE_TIME + 1 }],
      }),
    );
    expect(logAppend.timestampType).toBe('log-append');
    expect(logAppend.hasDeleteHorizon).toBe(true);
    expect(logAppend.records.map((r) => r.timestamp)).toEqual([BASE_TIME + 5, BASE_TIME + 5]);
  });

  it('round-trips control batches', () => {
    for (const type of ['commit', 'abort'] as const) {
      const encoded = encodeControlBatch({ type, producerId: 42n, producerEpoch: 3, coordinatorEpoch: 7, timestamp: BASE_TIME, baseOffset: 99 });
      const batch = decodeRecordBatch(encoded);
      expect(batch.isControl).toBe(true);
      expect(batch.isTransactional).toBe(true);
      expect(batch.producerId).toBe(42n);
      expect(batch.records).toHaveLength(1);
      expect(batch.records[0].offset).toBe(99);
      expect(decodeControlRecordKey(batch.records[0].key)).toEqual({ version: 0, type: type === 'commit' ? 1 : 0 });
      expect(decodeControlRecordValue(batch.records[0].value)).toEqual({ version: 0, coordinatorEpoch: 7 });
    }
    expect(() => decodeControlRecordKey(Buffer.alloc(2))).toThrow(ProtocolDecodeError);
  });

  it('detects a CRC mismatch', () => {
    const encoded = encodeRecordBatch({ records: [{ value: 'hello' }] });
    encoded[encoded.length - 1] ^= 1;
    expect(() => decodeRecordBatch(encoded)).toThrow(expect.objectContaining({ kind: 'crc' }));
    encoded[encoded.length - 1] ^= 1;
    encoded.writeUInt32BE(0, BATCH_OFFSET_CRC);
    expect(() => decodeRecordBatch(encoded)).toThrow(expect.objectContaining({ kind: 'crc' }));
    expect(() => decodeRecordBatch(encoded, 0, { verifyCrc: false })).not.toThrow();
  });

  it('fails cleanly on truncated or corrupted input', () => {
    fc.assert(
      fc.property(specArbitrary, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (input, cut, where, flip) => {
        const encoded = encodeRecordBatch(toSpec(input));
        const truncated = encoded.subarray(0, cut % encoded.length);
        expect(() => decodeRecordBatch(truncated)).toThrow(ProtocolDecodeError);
        const corrupted = Buffer.from(encoded);
        corrupted[where % corrupted.length] ^= flip;
        for (const verifyCrc of [true, false]) {
          try {
            decodeRecordBatch(corrupted, 0, { verifyCrc });
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolDecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a decompression bomb', () => {
    const big = encodeRecordBatch({ compression: 1, records: [{ value: Buffer.alloc(4 * 1024 * 1024) }] });
    expect(big.length).toBeLessThan(10_000);
    expect(() => decodeRecordBatch(big, 0, { decompressedBytesMax: 1024 * 1024 })).toThrow(
      expect.objectContaining({ kind: 'compression' }),
    );
    for (const compression of [2, 3, 4] as const) {
      const batch = encodeRecordBatch({ compression, records: [{ value: Buffer.alloc(2 * 1024 * 1024) }] });
      expect(() => decodeRecordBatch(batch, 0, { decompressedBytesMax: 1024 * 1024 })).toThrow(
        expect.objectContaining({ kind: 'compression' }),
      );
    }
  });

  it('iterates concatenated batches and reports a trailing partial batch', () => {
    const batches = [0, 3, 10].map((baseOffset) =>
      encodeRecordBatch({ baseOffset, records: [{ value: 'a' }, { value: 'bb' }, { value: 'ccc' }] }),
    );
    const joined = Buffer.concat(batches);
    const full = scanBatchHeaders(joined);
    expect(full.headers.map((h) => h.baseOffset)).toEqual([0, 3, 10]);
    expect(full.partialBytes).toBe(0);
    for (const cut of [1, 11, 12, 30, batches[2].length - 1]) {
      const partial = joined.subarray(0, joined.length - cut);
      const scan = scanBatchHeaders(partial);
      expect(scan.headers).toHaveLength(2);
      expect(scan.endPosition).toBe(batches[0].length + batches[1].length);
      expect(scan.partialBytes).toBe(batches[2].length - cut);
      expect(decodeRecordBatches(partial).batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4, 5]);
    }
    const badMagic = Buffer.from(joined);
    badMagic[batches[0].length + 16] = 1;
    expect(() => scanBatchHeaders(badMagic)).toThrow(ProtocolDecodeError);
  });
});
