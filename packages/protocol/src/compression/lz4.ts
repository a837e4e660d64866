/**
 * LZ4, pure TypeScript: the block format and the frame format (magic 0x184D2204) as Kafka uses
 * them. Kafka's Java client (KafkaLZ4BlockOutputStream) writes frames with independent 64 KiB
 * blocks, no block checksums, no content size and no content checksum; we write the same. We read
 * any frame a client may send: linked or independent blocks, any block size, optional block and
 * content checksums, optional content size, skippable frames, and several frames in a row.
 *
 * Magic 0 messages were written by old Kafka with a broken header checksum: the xxhash32 was taken
 * over the magic bytes as well as the descriptor. Both forms are accepted when reading, and
 * `brokenHeaderChecksum` writes the old form for magic 0 message sets, as Java does.
 */
import { xxhash32 } from '../checksum/xxhash32.ts';
import { compressionError, outputCapError } from './errors.ts';
import { compressionScratch, copyMatchWild, copyOut, matchLengthFrom } from './bytes.ts';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Kafka's block size: BD code 4 = 64 KiB. */
export const LZ4_BLOCK_BYTES = 64 * 1024;
const BLOCK_SIZE_CODE_64KB = 4;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICTIONARY_ID = 0x01;
const BLOCK_UNCOMPRESSED_BIT = 0x80000000;

const MIN_MATCH = 4;
/** The last 5 bytes of a block are always literals, and a match may not start in the last 12. */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const HASH_LOG = 14;
const HASH_SHIFT = 32 - HASH_LOG;
const HASH_MULTIPLIER = -1640531535; // 2654435761 as int32
const MAX_OFFSET = 65535;
/** Misses before the search starts stepping faster through incompressible input. */
const SKIP_TRIGGER = 6;

const hashTable = new Int32Array(1 << HASH_LOG);

function load32(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

export function lz4BlockMaxCompressedLength(length: number): number {
  return length + Math.floor(length / 255) + 16;
}

function writeLength(out: Uint8Array, op: number, remaining: number): number {
  while (remaining >= 255) {
    out[op++] = 255;
    remaining -= 255;
  }
  out[op++] = remaining;
  return op;
}

function copyLiterals(out: Uint8Array, outView: DataView, op: number, input: Uint8Array, inView: DataView, from: number, length: number): void {
  if (length <= 32 && op + 32 <= out.length && from + 32 <= input.length) {
    // 4-byte steps may overshoot; the overshoot is overwritten by what follows
    let k = 0;
    while (k < length) {
      outView.setInt32(op + k, inView.getInt32(from + k, true), true);
      k += 4;
    }
  } else {
    out.set(input.subarray(from, from + length), op);
  }
}

function emitSequence(
  out: Uint8Array,
  outView: DataView,
  op: number,
  input: Uint8Array,
  inView: DataView,
  literalStart: number,
  literalLength: number,
  offset: number,
  matchLength: number,
): number {
  const matchCode = matchLength - MIN_MATCH;
  const tokenAt = op++;
  let token: number;
  if (literalLength >= 15) {
    token = 0xf0;
    op = writeLength(out, op, literalLength - 15);
  } else {
    token = literalLength << 4;
  }
  copyLiterals(out, outView, op, input, inView, literalStart, literalLength);
  op += literalLength;
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  if (matchCode >= 15) {
    token |= 0x0f;
    op = writeLength(out, op, matchCode - 15);
  } else {
    token |= matchCode;
  }
  out[tokenAt] = token;
  return op;
}

function emitLastLiterals(out: Uint8Array, op: number, input: Uint8Array, start: number, length: number): number {
  if (length >= 15) {
    out[op++] = 0xf0;
    op = writeLength(out, op, length - 15);
  } else {
    out[op++] = length << 4;
  }
  out.set(input.subarray(start, start + length), op);
  return op + length;
}

/** Compresses input[start, end) as one independent LZ4 block into out at op; returns the new op. */
export function lz4CompressBlockInto(input: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  let anchor = start;
  if (end - start >= MF_LIMIT + 1) {
    const inView = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const table = hashTable;
    table.fill(-1);
    const matchLimit = end - LAST_LITERALS;
    const searchLimit = end - MF_LIMIT;
    let ip = start;
    let misses = 1 << SKIP_TRIGGER;
    while (ip < searchLimit) {
      const sequence = inView.getInt32(ip, true);
      const hash = Math.imul(sequence, HASH_MULTIPLIER) >>> HASH_SHIFT;
      const candidate = table[hash];
      table[hash] = ip;
      if (candidate < start || ip - candidate > MAX_OFFSET || inView.getInt32(candidate, true) !== sequence) {
        ip += misses++ >>> SKIP_TRIGGER;
        continue;
      }
      misses = 1 << SKIP_TRIGGER;
      // extend backwards over literals that also match
      let matchStart = ip;
      let reference = candidate;
      while (matchStart > anchor && reference > start && input[matchStart - 1] === input[reference - 1]) {
        matchStart--;
        reference--;
      }
      const matchEnd = ip + MIN_MATCH + matchLengthFrom(input, inView, candidate + MIN_MATCH, ip + MIN_MATCH, matchLimit);
      op = emitSequence(out, outView, op, input, inView, anchor, matchStart - anchor, matchStart - reference, matchEnd - matchStart);
      anchor = matchEnd;
      ip = matchEnd;
      if (ip < searchLimit) {
        // seed the table with a position inside the match so the next search has a fresh candidate
        table[Math.imul(inView.getInt32(ip - 2, true), HASH_MULTIPLIER) >>> HASH_SHIFT] = ip - 2;
      }
    }
  }
  return emitLastLiterals(out, op, input, anchor, end - anchor);
}

/** Compresses into one raw LZ4 block (no frame). */
export function lz4CompressBlock(input: Uint8Array): Buffer {
  const out = compressionScratch(lz4BlockMaxCompressedLength(input.length));
  return copyOut(out, lz4CompressBlockInto(input, 0, input.length, out, 0));
}

/**
 * Decompresses the LZ4 block input[start, end) into out at op, where out[historyStart, op) is the
 * history a linked block may refer to. Returns the new op; throws rather than write past outLimit.
 * Short literals and matches are copied 4 bytes at a time through DataViews ("wild" copies that
 * may write up to 16 bytes past the sequence, never past outLimit): V8 compiles those accesses to
 * single unaligned loads and stores, several times faster than byte loops.
 */
export function lz4DecompressBlockInto(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  op: number,
  outLimit: number,
  historyStart: number,
): number {
  const inView = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const inputPhysicalEnd = input.length;
  let ip = start;
  for (;;) {
    if (ip >= end) throw compressionError('lz4: truncated block', ip);
    const token = input[ip++];
    let literalLength = token >>> 4;
    if (literalLength === 15) {
      let byte: number;
      do {
        if (ip >= end) throw compressionError('lz4: truncated literal length', ip);
        byte = input[ip++];
        literalLength += byte;
      } while (byte === 255);
    }
    if (ip + literalLength > end) throw compressionError('lz4: literals run past the block', ip);
    if (op + literalLength > outLimit) throw compressionError('lz4: output exceeds its limit', ip);
    if (literalLength <= 16 && ip + 16 <= inputPhysicalEnd && op + 16 <= outLimit) {
      outView.setBigUint64(op, inView.getBigUint64(ip, true), true);
      outView.setBigUint64(op + 8, inView.getBigUint64(ip + 8, true), true);
    } else if (literalLength < 32) {
      for (let i = 0; i < literalLength; i++) out[op + i] = input[ip + i];
    } else {
      out.set(input.subarray(ip, ip + literalLength), op);
    }
    ip += literalLength;
    op += literalLength;
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw compressionError('lz4: truncated match offset', ip);
    const offset = input[ip] | (input[ip + 1] << 8);
    ip += 2;
    let matchLength = (token & 0x0f) + MIN_MATCH;
    if (matchLength === 15 + MIN_MATCH) {
      let byte: number;
      do {
        if (ip >= end) throw compressionError('lz4: truncated match length', ip);
        byte = input[ip++];
        matchLength += byte;
      } while (byte === 255);
    }
    if (offset === 0 || offset > op - historyStart) throw compressionError('lz4: match offset out of range', ip);
    if (op + matchLength > outLimit) throw compressionError('lz4: output exceeds its limit', ip);
    if (offset >= 8 && matchLength <= 64 && op + matchLength + 16 <= outLimit) {
      // 8-byte steps through BigUint64 reads and writes (single 64-bit loads and stores in
      // optimised code, no allocation); with offset >= 8 each step reads only bytes already
      // written, so an overlapping match still repeats its pattern. 16 bytes unconditionally.
      const from = op - offset;
      outView.setBigUint64(op, outView.getBigUint64(from, true), true);
      outView.setBigUint64(op + 8, outView.getBigUint64(from + 8, true), true);
      for (let k = 16; k < matchLength; k += 8) outView.setBigUint64(op + k, outView.getBigUint64(from + k, true), true);
      op += matchLength;
    } else {
      op = copyMatchWild(out, outView, op, offset, matchLength, outLimit);
    }
  }
}

function readU32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function writeU32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = value >>> 24;
}

export interface Lz4FrameOptions {
  /** Write the pre-0.10 header checksum (over magic + descriptor), as Kafka does for magic 0. */
  brokenHeaderChecksum?: boolean;
}

/** Compresses into one LZ4 frame the way Kafka's Java client does. */
export function lz4Compress(input: Uint8Array, options: Lz4FrameOptions = {}): Buffer {
  const blockCount = Math.ceil(input.length / LZ4_BLOCK_BYTES);
  const out = compressionScratch(7 + blockCount * (4 + lz4BlockMaxCompressedLength(LZ4_BLOCK_BYTES)) + 4);
  writeU32LE(out, 0, FRAME_MAGIC);
  out[4] = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENT;
  out[5] = BLOCK_SIZE_CODE_64KB << 4;
  out[6] = (xxhash32(out, options.brokenHeaderChecksum ? 0 : 4, 6) >>> 8) & 0xff;
  let op = 7;
  for (let block = 0; block < input.length; block += LZ4_BLOCK_BYTES) {
    const blockEnd = Math.min(input.length, block + LZ4_BLOCK_BYTES);
    const sizeAt = op;
    const compressedEnd = lz4CompressBlockInto(input, block, blockEnd, out, op + 4);
    const compressedBytes = compressedEnd - sizeAt - 4;
    if (compressedBytes >= blockEnd - block) {
      // incompressible: store the block as is, flagged by the high bit of its size
      writeU32LE(out, sizeAt, (blockEnd - block) | BLOCK_UNCOMPRESSED_BIT);
      out.set(input.subarray(block, blockEnd), sizeAt + 4);
      op = sizeAt + 4 + blockEnd - block;
    } else {
      writeU32LE(out, sizeAt, compressedBytes);
      op = compressedEnd;
    }
  }
  writeU32LE(out, op, 0); // end mark
  return copyOut(out, op + 4);
}

const BLOCK_MAX_BYTES_BY_CODE = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** A scratch output kept between calls up to this size, so decoding allocates only its result. */
const SCRATCH_RETAINED_BYTES_MAX = 8 * 1024 * 1024;

class GrowingOutput {
  bytes: Buffer;
  length = 0;
  maxBytes = 0;
  constructor(initialBytes: number) {
    this.bytes = Buffer.allocUnsafe(initialBytes);
  }
  /** Makes room for `byteCount` more bytes, or for as many as the cap allows. */
  ensure(byteCount: number): void {
    const wanted = Math.min(this.length + byteCount, this.maxBytes);
    if (wanted <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < wanted) capacity *= 2;
    const grown = Buffer.allocUnsafe(Math.min(capacity, Math.max(this.maxBytes, this.bytes.length)));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

const scratch = new GrowingOutput(256 * 1024);

/** Decompresses one or more LZ4 frames, refusing to produce more than maxOutputBytes. */
export function lz4Decompress(input: Uint8Array, maxOutputBytes: number): Buffer {
  // decode into the shared scratch (history for linked blocks included), then copy out exactly
  scratch.length = 0;
  scratch.maxBytes = maxOutputBytes;
  try {
    let ip = 0;
    do {
      ip = decompressFrame(input, ip, scratch);
    } while (ip < input.length);
    return Buffer.from(scratch.bytes.subarray(0, scratch.length));
  } finally {
    if (scratch.bytes.length > SCRATCH_RETAINED_BYTES_MAX) scratch.bytes = Buffer.allocUnsafe(256 * 1024);
  }
}

function decompressFrame(input: Uint8Array, start: number, output: GrowingOutput): number {
  const end = input.length;
  if (start + 4 > end) throw compressionError('lz4: truncated frame magic', start);
  const magic = readU32LE(input, start);
  if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
    if (start + 8 > end) throw compressionError('lz4: truncated skippable frame', start);
    const skipBytes = readU32LE(input, start + 4);
    if (skipBytes > end - start - 8) throw compressionError('lz4: skippable frame runs past the input', start);
    return start + 8 + skipBytes;
  }
  if (magic !== FRAME_MAGIC) throw compressionError(`lz4: bad frame magic 0x${magic.toString(16)}`, start);
  let ip = start + 4;
  if (ip + 3 > end) throw compressionError('lz4: truncated frame descriptor', ip);
  const flags = input[ip];
  const blockDescriptor = input[ip + 1];
  if ((flags & 0xc0) !== FLG_VERSION_01) throw compressionError('lz4: unsupported frame version', ip);
  if (flags & FLG_DICTIONARY_ID) throw compressionError('lz4: dictionaries are not supported', ip);
  const descriptorBytes = 2 + (flags & FLG_CONTENT_SIZE ? 8 : 0);
  if (ip + descriptorBytes + 1 > end) throw compressionError('lz4: truncated frame descriptor', ip);
  const blockMaxBytes = BLOCK_MAX_BYTES_BY_CODE[(blockDescriptor >>> 4) & 7];
  if (blockMaxBytes === 0) throw compressionError('lz4: invalid block size code', ip);
  const headerChecksum = input[ip + descriptorBytes];
  const expected = (xxhash32(input, ip, ip + descriptorBytes) >>> 8) & 0xff;
  if (headerChecksum !== expected) {
    const broken = (xxhash32(input, start, ip + descriptorBytes) >>> 8) & 0xff;
    if (headerChecksum !== broken) throw compressionError('lz4: frame header checksum mismatch', ip);
  }
  ip += descriptorBytes + 1;
  const independent = (flags & FLG_BLOCK_INDEPENDENT) !== 0;
  const blockChecksums = (flags & FLG_BLOCK_CHECKSUM) !== 0;
  const frameOutputStart = output.length;
  for (;;) {
    if (ip + 4 > end) throw compressionError('lz4: truncated block size', ip);
    const sizeField = readU32LE(input, ip);
    ip += 4;
    if (sizeField === 0) break;
    const blockBytes = sizeField & ~BLOCK_UNCOMPRESSED_BIT;
    if (blockBytes > blockMaxBytes) throw compressionError('lz4: block larger than the frame allows', ip);
    if (blockBytes + (blockChecksums ? 4 : 0) > end - ip) throw compressionError('lz4: block runs past the input', ip);
    if (blockChecksums && readU32LE(input, ip + blockBytes) !== xxhash32(input, ip, ip + blockBytes)) {
      throw compressionError('lz4: block checksum mismatch', ip);
    }
    output.ensure(blockMaxBytes);
    const limit = Math.min(output.bytes.length, output.length + blockMaxBytes, output.maxBytes);
    if (sizeField & BLOCK_UNCOMPRESSED_BIT) {
      if (output.length + blockBytes > limit) throw outputCapError('lz4', output.maxBytes);
      output.bytes.set(input.subarray(ip, ip + blockBytes), output.length);
      output.length += blockBytes;
    } else {
      const historyStart = independent ? output.length : frameOutputStart;
      try {
        output.length = lz4DecompressBlockInto(input, ip, ip + blockBytes, output.bytes, output.length, limit, historyStart);
      } catch (error) {
        if (limit === output.maxBytes && (error as Error).message === 'lz4: output exceeds its limit') {
          throw outputCapError('lz4', output.maxBytes);
        }
        throw error;
      }
    }
    ip += blockBytes + (blockChecksums ? 4 : 0);
  }
  if (flags & FLG_CONTENT_CHECKSUM) {
    if (ip + 4 > end) throw compressionError('lz4: truncated content checksum', ip);
    if (readU32LE(input, ip) !== xxhash32(output.bytes, frameOutputStart, output.length)) {
      throw compressionError('lz4: content checksum mismatch', ip);
    }
    ip += 4;
  }
  return ip;
}
