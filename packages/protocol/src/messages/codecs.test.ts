/**
 * Property tests for every generated codec at every version: arbitrary messages round-trip, the
 * encoding is canonical (re-encoding the decoded message gives the same bytes), and truncated,
 * corrupted or random input fails with ProtocolDecodeError and nothing else.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import type { MessageCodec } from './codec.ts';
import * as generated from './generated/index.ts';
import { messageSchemas, type MessageSchema } from './generated/schemas.ts';
import { messageArbitrary } from './test-arbitraries.ts';

const codecs = generated as unknown as Record<string, MessageCodec<Record<string, unknown>>>;

/** Runs per message version: ~1000 versions in all keep the suite within seconds. */
const ROUND_TRIP_RUNS = 12;
const CORRUPTION_RUNS = 8;
const TRUNCATION_SAMPLES = 2;
/** Prefix cuts tried per encoded sample (all of them for short encodings). */
const TRUNCATION_CUTS_MAX = 64;

function encode(codec: MessageCodec<Record<string, unknown>>, message: Record<string, unknown>, version: number): Buffer {
  const writer = new Writer(64);
  codec.encode(writer, message, version);
  return Buffer.from(writer.finish());
}

function versionsOf(schema: MessageSchema): number[] {
  const out: number[] = [];
  for (let v = schema.validVersions[0]; v <= schema.validVersions[1]; v++) out.push(v);
  return out;
}

/** Decoding must succeed or throw ProtocolDecodeError; anything else is a bug. */
function decodeOrDecodeError(codec: MessageCodec<unknown>, bytes: Buffer, version: number): 'ok' | 'error' {
  try {
    codec.decode(new Reader(bytes), version);
    return 'ok';
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return 'error';
    throw new Error(`${codec.name} v${version}: non-protocol error on bad input: ${String(error)}`, { cause: error });
  }
}

function cutsFor(length: number): number[] {
  if (length <= TRUNCATION_CUTS_MAX) return Array.from({ length }, (_, i) => i);
  const cuts = new Set<number>([0, 1, 2, 3, length - 1, length - 2]);
  for (let i = 0; cuts.size < TRUNCATION_CUTS_MAX; i++) cuts.add(Math.floor((i * 7919) % length));
  return [...cuts];
}

it('has a codec for every message in the schema table, 88 APIs each way', () => {
  expect(messageSchemas.filter((s) => s.messageType === 'request')).toHaveLength(88);
  expect(messageSchemas.filter((s) => s.messageType === 'response')).toHaveLength(88);
  for (const schema of messageSchemas) {
    const codec = codecs[schema.name];
    expect(codec?.name).toBe(schema.name);
    expect(codec.validVersions).toEqual({ min: schema.validVersions[0], max: schema.validVersions[1] });
  }
});

describe.each(messageSchemas.map((schema) => [schema.name, schema] as const))('%s', (name, schema) => {
  const codec = codecs[name];
  const versions = versionsOf(schema);

  it('round-trips arbitrary messages at every version', () => {
    for (const version of versions) {
      fc.assert(
        fc.property(messageArbitrary(schema, version), (message) => {
          const bytes = encode(codec, message, version);
          const reader = new Reader(bytes);
          const decoded = codec.decode(reader, version);
          expect(reader.offset).toBe(bytes.length);
          expect(decoded).toEqual(message);
          expect(encode(codec, decoded, version).equals(bytes)).toBe(true);
        }),
        { numRuns: ROUND_TRIP_RUNS },
      );
    }
  });

  it('fails cleanly on every truncation, on corruption and on random bytes', () => {
    for (const version of versions) {
      const samples = fc.sample(messageArbitrary(schema, version), TRUNCATION_SAMPLES);
      samples.push(codec.defaults());
      for (const sample of samples) {
        const bytes = encode(codec, sample, version);
        for (const cut of cutsFor(bytes.length)) {
          expect(decodeOrDecodeError(codec, bytes.subarray(0, cut), version), `cut at ${cut} of ${bytes.length}`).toBe('error');
        }
      }
      fc.assert(
        fc.property(
          messageArbitrary(schema, version),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (message, flips) => {
            const bytes = encode(codec, message, version);
            if (bytes.length === 0) return;
            for (const [position, value] of flips) bytes[position % bytes.length] = value;
            decodeOrDecodeError(codec, bytes, version);
          },
        ),
        { numRuns: CORRUPTION_RUNS },
      );
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 40 }), (random) => {
          decodeOrDecodeError(codec, Buffer.from(random), version);
        }),
        { numRuns: CORRUPTION_RUNS },
      );
    }
  });

  it('rejects versions outside its valid range', () => {
    const bad = [schema.validVersions[0] - 1, schema.validVersions[1] + 1, 32767];
    for (const version of bad) {
      let error: unknown;
      try {
        codec.decode(new Reader(Buffer.alloc(64)), version);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProtocolDecodeError);
      expect((error as ProtocolDecodeError).kind).toBe('version');
      expect(() => encode(codec, codec.defaults(), version)).toThrow(ProtocolEncodeError);
    }
  });
});

describe('hostile lengths', () => {
  it('rejects an array count of 2^31-1 in a 20-byte input at once', () => {
    const bytes = Buffer.alloc(20);
    bytes.writeInt32BE(0x7fffffff, 0);
    let error: unknown;
    try {
      generated.MetadataRequest.decode(new Reader(bytes), 1);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect((error as ProtocolDecodeError).kind).toBe('length');
  });

  it('rejects a compact array count of 2^31 in a flexible version', () => {
    // ProduceRequest v9: compact nullable transactional id (null), acks, timeout, then topics
    const bytes = Buffer.from([0x00, 0xff, 0xff, 0x00, 0x00, 0x03, 0xe8, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => generated.ProduceRequest.decode(new Reader(bytes), 9)).toThrow(ProtocolDecodeError);
  });

  it('rejects a string longer than the input and a huge tagged-field count', () => {
    const bytes = Buffer.from([0x7f, 0xff, 0x61, 0x62]);
    expect(() => generated.FindCoordinatorRequest.decode(new Reader(bytes), 0)).toThrow(ProtocolDecodeError);
    // ApiVersionsRequest v3: two compact strings then a tagged-field count of 2^28
    const tagged = Buffer.from([0x01, 0x01, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(() => generated.ApiVersionsRequest.decode(new Reader(tagged), 3)).toThrow(ProtocolDecodeError);
  });
});

describe('encoding rules', () => {
  it('refuses to drop a non-ignorable field the version cannot carry', () => {
    const message = generated.ProduceRequest.defaults();
    message.transactionalId = 'tx';
    expect(() => encode(generated.ProduceRequest as never, message as never, 2)).toThrow(ProtocolEncodeError);
    expect(encode(generated.ProduceRequest as never, message as never, 3).length).toBeGreaterThan(0);
  });

  it('silently drops an ignorable field the version cannot carry', () => {
    const message = generated.MetadataResponse.defaults();
    message.clusterId = 'cluster'; // ignorable, versions 2+
    const bytes = encode(generated.MetadataResponse as never, message as never, 1);
    expect(generated.MetadataResponse.decode(new Reader(bytes), 1).clusterId).toBe(null);
  });

  it('refuses null where the version does not allow it', () => {
    const message = generated.FindCoordinatorRequest.defaults();
    (message as { key: string | null }).key = null;
    expect(() => encode(generated.FindCoordinatorRequest as never, message as never, 0)).toThrow();
  });

  it('writes tagged fields only when they differ from their defaults, and reads them back', () => {
    const response = generated.FetchResponse.defaults();
    const partition = {
      partitionIndex: 0,
      errorCode: 0,
      highWatermark: 10n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      divergingEpoch: { epoch: 3, endOffset: 42n },
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1n, epoch: -1 },
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: null,
    };
    response.responses.push({ topic: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [partition] });
    const withTag = encode(generated.FetchResponse as never, response as never, 12);
    const decoded = generated.FetchResponse.decode(new Reader(withTag), 12);
    expect(decoded.responses[0].partitions[0].divergingEpoch).toEqual({ epoch: 3, endOffset: 42n, unknownTaggedFields: undefined });
    partition.divergingEpoch = { epoch: -1, endOffset: -1n };
    const withoutTag = encode(generated.FetchResponse as never, response as never, 12);
    // tag 0, size, int32 epoch, int64 end offset, and the struct's own empty tagged section
    expect(withTag.length - withoutTag.length).toBe(1 + 1 + 4 + 8 + 1);
  });

  it('keeps unknown tagged fields through a decode/encode cycle', () => {
    const message = generated.ApiVersionsRequest.defaults();
    message.clientSoftwareName = 'x';
    message.unknownTaggedFields = [{ tag: 7, data: Buffer.from([1, 2, 3]) }];
    const bytes = encode(generated.ApiVersionsRequest as never, message as never, 3);
    const decoded = generated.ApiVersionsRequest.decode(new Reader(bytes), 3);
    expect(decoded.unknownTaggedFields).toEqual([{ tag: 7, data: Buffer.from([1, 2, 3]) }]);
    expect(encode(generated.ApiVersionsRequest as never, decoded as never, 3).equals(bytes)).toBe(true);
  });

  it('refuses an unknown tagged field that reuses a known tag', () => {
    const message = generated.ApiVersionsResponse.defaults();
    message.finalizedFeaturesEpoch = 5n; // tag 1
    message.unknownTaggedFields = [{ tag: 1, data: Buffer.from([0]) }];
    expect(() => encode(generated.ApiVersionsResponse as never, message as never, 3)).toThrow(ProtocolEncodeError);
  });

  it('writes unknown tagged fields in tag order among the known ones', () => {
    const message = generated.ApiVersionsResponse.defaults();
    message.finalizedFeaturesEpoch = 5n; // tag 1
    message.unknownTaggedFields = [
      { tag: 9, data: Buffer.from([9]) },
      { tag: 0x7f, data: Buffer.from([]) },
    ];
    const bytes = encode(generated.ApiVersionsResponse as never, message as never, 3);
    const decoded = generated.ApiVersionsResponse.decode(new Reader(bytes), 3);
    expect(decoded.finalizedFeaturesEpoch).toBe(5n);
    expect(decoded.unknownTaggedFields?.map((field) => field.tag)).toEqual([9, 0x7f]);
  });

  it('rejects tagged fields out of order, oversized, or with trailing bytes', () => {
    // ApiVersionsRequest v3: two empty compact strings, then the tagged-field section
    const section = (bytes: number[]) => Buffer.from([0x01, 0x01, ...bytes]);
    const decode = (bytes: Buffer) => generated.ApiVersionsRequest.decode(new Reader(bytes), 3);
    expect(decode(section([2, 3, 0, 5, 0])).unknownTaggedFields).toHaveLength(2);
    expect(() => decode(section([2, 5, 0, 3, 0]))).toThrow(ProtocolDecodeError);
    expect(() => decode(section([2, 5, 0, 5, 0]))).toThrow(ProtocolDecodeError); // same tag twice
    expect(() => decode(section([1, 5, 9, 0]))).toThrow(ProtocolDecodeError); // size past the end
    // FetchResponse v12 partition: a known tag (diverging epoch, 12 bytes + section) with a byte too many
    const response = generated.FetchResponse.defaults();
    response.responses.push({
      topic: 't',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: [
        {
          partitionIndex: 0,
          errorCode: 0,
          highWatermark: 0n,
          lastStableOffset: 0n,
          logStartOffset: 0n,
          divergingEpoch: { epoch: 1, endOffset: 2n },
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: null,
        },
      ],
    });
    const good = encode(generated.FetchResponse as never, response as never, 12);
    expect(generated.FetchResponse.decode(new Reader(good), 12).responses[0].partitions[0].divergingEpoch?.epoch).toBe(1);
    const sizeAt = good.indexOf(Buffer.from([0x00, 13, 0, 0, 0, 1])); // tag 0, size 13, epoch 1
    expect(sizeAt).toBeGreaterThan(0);
    const padded = Buffer.concat([good.subarray(0, sizeAt + 1), Buffer.from([14]), good.subarray(sizeAt + 2, sizeAt + 15), Buffer.from([0]), good.subarray(sizeAt + 15)]);
    expect(() => generated.FetchResponse.decode(new Reader(padded), 12)).toThrow(ProtocolDecodeError);
  });
});

