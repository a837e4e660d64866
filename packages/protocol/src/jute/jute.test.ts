import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import type { JuteCodec } from './codec.ts';
import { ZkOpCode } from './constants.ts';
import { encodeZkFrame, encodeZkReply, encodeZkRequest, ZkFrameDecoder } from './frame.ts';
import { ZkMultiRequest, ZkMultiResponse, type ZkMultiOp, type ZkMultiResult } from './multi.ts';
import * as records from './records.ts';

/** A value generator derived from a codec's schema, so every record is covered by construction. */
function arbitraryFor(codec: JuteCodec<unknown>): fc.Arbitrary<unknown> {
  switch (codec.kind) {
    case 'int':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'long':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'bool':
      return fc.boolean();
    case 'ustring':
      return fc.string({ unit: 'grapheme', maxLength: 20 });
    case 'buffer':
      return fc.option(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), { nil: null });
    case 'vector':
      return fc.array(arbitraryFor(codec.element!), { maxLength: 4 });
    case 'record': {
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, field] of codec.fields!) shape[key] = arbitraryFor(field);
      return fc.record(shape);
    }
  }
}

function encode<T>(codec: JuteCodec<T>, value: T): Buffer {
  const writer = new Writer(16);
  codec.encode(writer, value);
  return Buffer.from(writer.finish());
}

function decodeAll<T>(codec: JuteCodec<T>, bytes: Buffer): T {
  const reader = new Reader(bytes);
  const value = codec.decode(reader);
  expect(reader.remaining).toBe(0);
  return value;
}

/** Buffers decode as zero-copy views; compare them by content. */
function normalize(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') };
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, normalize(field)]));
  }
  return value;
}

const recordCodecs = (Object.entries(records) as Array<[string, unknown]>).filter(
  (entry): entry is [string, JuteCodec<unknown>] =>
    typeof entry[1] === 'object' && entry[1] !== null && 'kind' in entry[1] && 'decode' in entry[1],
);

describe('jute records', () => {
  it('covers every record of the module', () => {
    expect(recordCodecs.length).toBeGreaterThanOrEqual(25);
  });

  for (const [name, codec] of recordCodecs) {
    it(`${name} round-trips`, () => {
      fc.assert(
        fc.property(arbitraryFor(codec), (value) => {
          const bytes = encode(codec, value);
          expect(normalize(decodeAll(codec, bytes))).toEqual(normalize(value));
        }),
        { numRuns: 60 },
      );
    });

    it(`${name} rejects every truncation with a ProtocolDecodeError`, () => {
      fc.assert(
        fc.property(arbitraryFor(codec), fc.nat(), (value, cut) => {
          const bytes = encode(codec, value);
          // ConnectRequest/Response tolerate a missing trailing readOnly byte by design
          const optionalTail = name === 'ZkConnectRequest' || name === 'ZkConnectResponse' ? 1 : 0;
          if (bytes.length - optionalTail <= 0) return;
          const length = cut % (bytes.length - optionalTail);
          expect(() => codec.decode(new Reader(bytes.subarray(0, length)))).toThrow(ProtocolDecodeError);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('decodes a ConnectRequest without the readOnly byte (pre-3.4 clients)', () => {
    const full = encode(records.ZkConnectRequest, {
      protocolVersion: 0,
      lastZxidSeen: 5n,
      timeOut: 10_000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: true,
    });
    const old = records.ZkConnectRequest.decode(new Reader(full.subarray(0, full.length - 1)));
    expect(old.readOnly).toBe(false);
    expect(old.timeOut).toBe(10_000);
  });

  it('keeps null and empty buffers apart', () => {
    const withNull = encode(records.ZkGetDataResponse, { data: null, stat: zeroStat() });
    const withEmpty = encode(records.ZkGetDataResponse, { data: Buffer.alloc(0), stat: zeroStat() });
    expect(withNull.readInt32BE(0)).toBe(-1);
    expect(withEmpty.readInt32BE(0)).toBe(0);
    expect(decodeAll(records.ZkGetDataResponse, withNull).data).toBeNull();
  });

  it('reads a null ustring (kazoo writes empty strings as -1) as empty', () => {
    const bytes = Buffer.from('00000001' + '00000004' + '61757468' + 'ffffffff', 'hex');
    expect(records.ZkAcl.decode(new Reader(bytes))).toEqual({ perms: 1, id: { scheme: 'auth', id: '' } });
  });

  it('rejects a vector count larger than the bytes left before allocating', () => {
    const bytes = Buffer.alloc(8);
    bytes.writeInt32BE(0x7fffffff, 0);
    expect(() => records.ZkGetChildrenResponse.decode(new Reader(bytes))).toThrow(/exceeds/);
  });

  it('Stat is 68 bytes', () => {
    expect(encode(records.ZkStat, zeroStat()).length).toBe(68);
  });
});

function zeroStat(): records.ZkStat {
  return {
    czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0,
    ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 0n,
  };
}

const statArbitrary = arbitraryFor(records.ZkStat) as fc.Arbitrary<records.ZkStat>;
const createArbitrary = arbitraryFor(records.ZkCreateRequest) as fc.Arbitrary<records.ZkCreateRequest>;
const pathVersionArbitrary = arbitraryFor(records.ZkPathVersionRequest) as fc.Arbitrary<records.ZkPathVersionRequest>;
const setDataArbitrary = arbitraryFor(records.ZkSetDataRequest) as fc.Arbitrary<records.ZkSetDataRequest>;

const multiOpArbitrary: fc.Arbitrary<ZkMultiOp> = fc.oneof(
  fc.record({ type: fc.constantFrom(ZkOpCode.create, ZkOpCode.create2), request: createArbitrary }),
  fc.record({ type: fc.constantFrom(ZkOpCode.delete, ZkOpCode.check), request: pathVersionArbitrary }),
  fc.record({ type: fc.constant(ZkOpCode.setData), request: setDataArbitrary }),
) as fc.Arbitrary<ZkMultiOp>;

const multiResultArbitrary: fc.Arbitrary<ZkMultiResult> = fc.oneof(
  fc.record({ type: fc.constant(ZkOpCode.create), path: fc.string() }),
  fc.record({ type: fc.constant(ZkOpCode.create2), path: fc.string(), stat: statArbitrary }),
  fc.record({ type: fc.constantFrom(ZkOpCode.delete, ZkOpCode.check) }),
  fc.record({ type: fc.constant(ZkOpCode.setData), stat: statArbitrary }),
  fc.record({ type: fc.constant(ZkOpCode.error), err: fc.integer({ min: -200, max: 0 }) }),
) as fc.Arbitrary<ZkMultiResult>;

describe('multi', () => {
  for (const [name, codec, arbitrary] of [
    ['request', ZkMultiRequest, fc.array(multiOpArbitrary, { maxLength: 6 })],
    ['response', ZkMultiResponse, fc.array(multiResultArbitrary, { maxLength: 6 })],
  ] as Array<[string, JuteCodec<unknown>, fc.Arbitrary<unknown>]>) {
    it(`${name} round-trips and rejects truncation`, () => {
      fc.assert(
        fc.property(arbitrary, fc.nat(), (value, cut) => {
          const bytes = encode(codec, value);
          expect(normalize(decodeAll(codec, bytes))).toEqual(normalize(value));
          expect(() => codec.decode(new Reader(bytes.subarray(0, cut % bytes.length)))).toThrow(ProtocolDecodeError);
        }),
        { numRuns: 80 },
      );
    });
  }

  it('rejects an op type that a multi cannot hold', () => {
    const writer = new Writer();
    records.ZkMultiHeader.encode(writer, { type: ZkOpCode.getData, done: false, err: -1 });
    expect(() => ZkMultiRequest.decode(new Reader(writer.finish()))).toThrow(ProtocolDecodeError);
  });
});

describe('framing', () => {
  it('splits frames across arbitrary chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((body) => Buffer.concat([lengthPrefix(body.length), Buffer.from(body)])));
          const decoder = new ZkFrameDecoder();
          const frames: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length];
            frames.push(...decoder.push(stream.subarray(at, at + size)));
            at += size;
          }
          expect(frames.map((frame) => frame.toString('hex'))).toEqual(bodies.map((body) => Buffer.from(body).toString('hex')));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('frames a connect record with its length', () => {
    const frame = encodeZkFrame(records.ZkErrorResponse, { err: -101 });
    expect(frame.toString('hex')).toBe('00000004ffffff9b');
  });

  it('rejects a negative or oversized frame length', () => {
    expect(() => new ZkFrameDecoder().push(lengthPrefix(-5))).toThrow(ProtocolDecodeError);
    expect(() => new ZkFrameDecoder(100).push(lengthPrefix(101))).toThrow(ProtocolDecodeError);
  });

  it('writes request and reply headers ahead of the body', () => {
    const request = encodeZkRequest(7, ZkOpCode.getData, records.ZkPathWatchRequest, { path: '/a', watch: true });
    expect(request.toString('hex')).toBe('0000000f' + '00000007' + '00000004' + '00000002' + '2f61' + '01');
    const reply = encodeZkReply(-2, 0x10n, 0, null, undefined);
    expect(reply.toString('hex')).toBe('00000010' + 'fffffffe' + '0000000000000010' + '00000000');
  });
});

function lengthPrefix(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(length, 0);
  return bytes;
}
