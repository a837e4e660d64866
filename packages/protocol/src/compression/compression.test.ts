import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { compress, decompress } from './codecs.ts';
import { lz4Compress, lz4CompressBlock, lz4Decompress, lz4DecompressBlockInto } from './lz4.ts';
import { isXerialFramed, snappyCompress, snappyCompressBlock, snappyDecompress, snappyDecompressBlock } from './snappy.ts';
import { xxhash32 } from '../checksum/xxhash32.ts';
import type { CompressionType } from '../records/batch-header.ts';

const CODECS: CompressionType[] = [0, 1, 2, 3, 4];
const CAP = 16 * 1024 * 1024;

/** Data with repetition at random distances, so every copy and literal form is exercised. */
const compressible = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 80 }).map((a) => ({ literal: a })),
      fc.record({ back: fc.integer({ min: 1, max: 70_000 }), length: fc.integer({ min: 1, max: 300 }) }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => {
    const out: number[] = [];
    for (const part of parts) {
      if ('literal' in part) out.push(...part.literal);
      else if (out.length > 0) {
        const from = Math.max(0, out.length - part.back);
        for (let i = 0; i < part.length; i++) out.push(out[from + i]);
      }
    }
    return Buffer.from(out);
  });

const samples = [
  Buffer.alloc(0),
  Buffer.from([7]),
  randomBytes(200_000),
  Buffer.alloc(300_000, 0x61),
  Buffer.from('kafka record value '.repeat(20_000)),
];

describe('compression codecs', () => {
  it('round-trip fixed samples (empty, tiny, incompressible, runs, text)', () => {
    for (const codec of CODECS) {
      for (const sample of samples) {
        expect(decompress(codec, compress(codec, sample), CAP).equals(sample)).toBe(true);
      }
    }
  });

  it('round-trip random data with every codec', () => {
    fc.assert(
      fc.property(compressible, fc.constantFrom(...CODECS), (data, codec) => {
        expect(decompress(codec, compress(codec, data), CAP)).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });

  it('snappy: raw blocks and xerial framing both decode', () => {
    fc.assert(
      fc.property(compressible, (data) => {
        const block = snappyCompressBlock(data);
        expect(isXerialFramed(block)).toBe(false);
        expect(snappyDecompressBlock(block, CAP)).toEqual(data);
        expect(snappyDecompress(block, CAP)).toEqual(data);
        const framed = snappyCompress(data);
        expect(isXerialFramed(framed)).toBe(true);
        expect(framed.readInt32BE(8)).toBe(1);
        expect(snappyDecompress(framed, CAP)).toEqual(data);
      }),
      { numRuns: 100 },
    );
  });

  it('lz4: frames carry Kafka flags and a valid header checksum; the broken checksum also reads', () => {
    const data = Buffer.from('abcabcabcabc'.repeat(10_000));
    const frame = lz4Compress(data);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]).toBe(0x60); // version 01, independent blocks, no checksums, no content size
    expect(frame[5]).toBe(0x40); // 64 KiB blocks
    expect(frame[6]).toBe((xxhash32(frame, 4, 6) >>> 8) & 0xff);
    const broken = lz4Compress(data, { brokenHeaderChecksum: true });
    expect(broken[6]).toBe((xxhash32(broken, 0, 6) >>> 8) & 0xff);
    expect(lz4Decompress(broken, CAP).equals(data)).toBe(true);
    const bad = Buffer.from(frame);
    bad[6] ^= 0xff;
    expect(() => lz4Decompress(bad, CAP)).toThrow(ProtocolDecodeError);
  });

  it('lz4: reads frames with content size, block and content checksums, linked blocks', () => {
    const data = Buffer.from('linked blocks refer back '.repeat(4000));
    const block = lz4CompressBlock(data.subarray(0, 65536));
    const second = lz4CompressBlock(data.subarray(65536));
    // hand-built frame: FLG = version 01 | block checksum | content size | content checksum, BD = 64 KiB
    const header = Buffer.alloc(15);
    header.writeUInt32LE(0x184d2204, 0);
    header[4] = 0x40 | 0x10 | 0x08 | 0x04;
    header[5] = 0x40;
    header.writeBigUInt64LE(BigInt(data.length), 6);
    header[14] = (xxhash32(header, 4, 14) >>> 8) & 0xff;
    const blockEntry = (bytes: Buffer) => {
      const entry = Buffer.alloc(8 + bytes.length);
      entry.writeUInt32LE(bytes.length, 0);
      bytes.copy(entry, 4);
      entry.writeUInt32LE(xxhash32(bytes), 4 + bytes.length);
      return entry;
    };
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(xxhash32(data), 4);
    const frame = Buffer.concat([header, blockEntry(block), blockEntry(second), trailer]);
    expect(lz4Decompress(frame, CAP).equals(data)).toBe(true);
    // two frames in a row decode to the concatenation
    expect(lz4Decompress(Buffer.concat([frame, frame]), CAP).equals(Buffer.concat([data, data]))).toBe(true);
    const corrupt = Buffer.from(frame);
    corrupt[header.length + 10] ^= 1;
    expect(() => lz4Decompress(corrupt, CAP)).toThrow(ProtocolDecodeError);
    // a linked block may refer into the block before it
    const out = Buffer.alloc(20);
    out.write('0123456789');
    const linked = Buffer.from([0x06, 10, 0, 0x00]); // match offset 10 length 10, then an empty last literal run
    expect(lz4DecompressBlockInto(linked, 0, linked.length, out, 10, 20, 0)).toBe(20);
    expect(out.toString()).toBe('01234567890123456789');
  });

  it('refuse output above the cap (decompression bombs)', () => {
    const bomb = Buffer.alloc(8 * 1024 * 1024);
    for (const codec of [1, 2, 3, 4] as const) {
      const compressed = compress(codec, bomb);
      expect(compressed.length).toBeLessThan(bomb.length / 20);
      expect(() => decompress(codec, compressed, 1024 * 1024)).toThrow(expect.objectContaining({ kind: 'compression' }));
      expect(decompress(codec, compressed, bomb.length)).toHaveLength(bomb.length);
    }
    // a raw snappy block that declares 4 GiB is refused before anything is allocated
    const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(() => snappyDecompress(liar, CAP)).toThrow(expect.objectContaining({ kind: 'compression' }));
  });

  it('snappy: lengths and offsets of 2 GiB or more are refused, not misread', () => {
    // preamble 8, then a literal with a 4-byte length 0xffffffff (tag 63 << 2)
    const hugeLiteral = Buffer.from([0x08, 63 << 2, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => snappyDecompressBlock(hugeLiteral, CAP)).toThrow(expect.objectContaining({ kind: 'compression' }));
    // preamble 8, literal "abcd", then a 4-byte-offset copy (kind 3) of 4 bytes at offset 0x80000001
    const hugeOffset = Buffer.from([0x08, 3 << 2, 0x61, 0x62, 0x63, 0x64, 3 | (3 << 2), 0x01, 0x00, 0x00, 0x80]);
    expect(() => snappyDecompressBlock(hugeOffset, CAP)).toThrow(expect.objectContaining({ kind: 'compression' }));
    // the same copy at offset 4 decodes
    const fine = Buffer.from([0x08, 3 << 2, 0x61, 0x62, 0x63, 0x64, 3 | (3 << 2), 0x04, 0x00, 0x00, 0x00]);
    expect(snappyDecompressBlock(fine, CAP).toString()).toBe('abcdabcd');
  });

  it('corrupted or truncated input fails with ProtocolDecodeError, never a crash', () => {
    fc.assert(
      fc.property(compressible, fc.constantFrom<CompressionType>(1, 2, 3, 4), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, codec, where, flip) => {
        const compressed = compress(codec, data);
        const truncated = compressed.subarray(0, where % Math.max(1, compressed.length));
        const corrupted = Buffer.from(compressed);
        corrupted[where % corrupted.length] ^= flip;
        for (const input of [truncated, corrupted]) {
          try {
            const out = decompress(codec, input, CAP);
            expect(out.length).toBeLessThanOrEqual(CAP);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolDecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('random garbage fails cleanly for snappy and lz4', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        for (const codec of [2, 3] as const) {
          try {
            decompress(codec, Buffer.from(garbage), 1 << 20);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolDecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
