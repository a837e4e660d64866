import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { decodeLegacyMessageSet, encodeLegacyMessageSet, NO_TIMESTAMP, type LegacyMagic } from './legacy.ts';
import { batchesToLegacyMessageSet, legacyMessageSetToBatches } from './convert.ts';
import { decodeRecordBatches } from './iterate.ts';
import { encodeRecordBatch } from './record-batch.ts';
import { encodeControlBatch } from './control.ts';
import type { CompressionType } from './batch-header.ts';

const BASE_TIME = 1_600_000_000_000;
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const setArbitrary = fc.record({
  magic: fc.constantFrom<LegacyMagic>(0, 1),
  compression: fc.constantFrom<CompressionType>(0, 1, 2, 3),
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  logAppend: fc.boolean(),
  messages: fc.array(
    fc.record({
      key: fc.option(bytes(30), { nil: null }),
      value: fc.option(bytes(120), { nil: null }),
      timestamp: fc.integer({ min: BASE_TIME, max: BASE_TIME + 1e9 }),
    }),
    { minLength: 1, maxLength: 10 },
  ),
});

describe('legacy message sets (magic 0 and 1)', () => {
  it('round-trips random sets, compressed or not', () => {
    fc.assert(
      fc.property(setArbitrary, (input) => {
        const timestampType = input.logAppend ? ('log-append' as const) : ('create' as const);
        const encoded = encodeLegacyMessageSet({ ...input, timestampType, logAppendTime: BASE_TIME + 2e9 });
        const decoded = decodeLegacyMessageSet(encoded);
        expect(decoded.partialBytes).toBe(0);
        expect(decoded.messages).toHaveLength(input.messages.length);
        decoded.messages.forEach((message, i) => {
          const expected = input.messages[i];
          expect(message.offset).toBe(input.baseOffset + i);
          expect(message.magic).toBe(input.magic);
          expect(message.compression).toBe(input.compression);
          expect(message.key).toEqual(expected.key);
          expect(message.value).toEqual(expected.value);
          if (input.magic === 0) expect(message.timestamp).toBe(NO_TIMESTAMP);
          else if (input.logAppend && input.compression !== 0) expect(message.timestamp).toBe(BASE_TIME + 2e9);
          else expect(message.timestamp).toBe(expected.timestamp);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('fails cleanly on corrupted input and reports a trailing partial entry', () => {
    fc.assert(
      fc.property(setArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), (input, where, flip) => {
        const encoded = encodeLegacyMessageSet(input);
        const corrupted = Buffer.from(encoded);
        corrupted[where % corrupted.length] ^= flip;
        try {
          decodeLegacyMessageSet(corrupted);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolDecodeError);
        }
        const firstEntryBytes = encoded.readInt32BE(8) + 12;
        const cut = encoded.subarray(0, firstEntryBytes - 1 - (where % (firstEntryBytes - 1)));
        const partial = decodeLegacyMessageSet(Buffer.concat([encoded, cut]));
        expect(partial.partialBytes).toBe(cut.length);
        expect(partial.endPosition).toBe(encoded.length);
      }),
      { numRuns: 200 },
    );
  });

  it('detects a CRC32 mismatch', () => {
    const encoded = encodeLegacyMessageSet({ magic: 1, messages: [{ value: 'x', timestamp: BASE_TIME }] });
    encoded[encoded.length - 1] ^= 1;
    expect(() => decodeLegacyMessageSet(encoded)).toThrow(expect.objectContaining({ kind: 'crc' }));
  });

  it('up-converts to magic 2 and down-converts back', () => {
    fc.assert(
      fc.property(setArbitrary, (input) => {
        const legacy = encodeLegacyMessageSet(input);
        const batches = legacyMessageSetToBatches(legacy);
        const decoded = decodeRecordBatches(batches).batches;
        const records = decoded.flatMap((batch) => batch.records);
        expect(records.map((r) => r.offset)).toEqual(input.messages.map((_, i) => input.baseOffset + i));
        expect(records.map((r) => r.value)).toEqual(input.messages.map((m) => m.value));
        expect(decoded[0].compression).toBe(input.compression);
        if (input.magic === 1) expect(records.map((r) => r.timestamp)).toEqual(input.messages.map((m) => m.timestamp));
        const back = decodeLegacyMessageSet(batchesToLegacyMessageSet(batches, input.magic)).messages;
        expect(back.map((m) => [m.offset, m.key, m.value])).toEqual(
          input.messages.map((m, i) => [input.baseOffset + i, m.key, m.value]),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('renumbers on up-conversion and drops control batches on down-conversion', () => {
    const legacy = encodeLegacyMessageSet({ magic: 0, messages: [{ offset: -1, value: 'a' }, { offset: -1, value: 'b' }] });
    const records = decodeRecordBatches(legacyMessageSetToBatches(legacy, { baseOffset: 10 })).batches[0].records;
    expect(records.map((r) => r.offset)).toEqual([10, 11]);
    const joined = Buffer.concat([
      encodeRecordBatch({ baseOffset: 0, records: [{ value: 'x', headers: [{ key: 'h', value: null }] }] }),
      encodeControlBatch({ type: 'commit', producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 1 }),
      encodeRecordBatch({ baseOffset: 2, compression: 4, records: [{ value: 'y' }] }),
    ]);
    expect(() => batchesToLegacyMessageSet(joined, 1)).toThrow(/zstd/);
    const down = decodeLegacyMessageSet(batchesToLegacyMessageSet(joined, 1, { compression: 1 })).messages;
    expect(down.map((m) => [m.offset, m.value?.toString()])).toEqual([
      [0, 'x'],
      [2, 'y'],
    ]);
  });
});
