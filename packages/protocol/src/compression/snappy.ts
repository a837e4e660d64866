/**
 * Snappy, pure TypeScript: the raw block format (varint uncompressed length, then literal and
 * copy elements) and the xerial stream framing that Kafka's Java client and librdkafka write:
 *
 *   magic "\x82SNAPPY\0" | version int32 (1) | compatible version int32 (1) |
 *   { compressed length int32 | raw snappy block }*
 *
 * The compressor works on 64 KiB fragments like the reference implementation, so every copy
 * offset fits 16 bits, and finds matches with a hash table of 4-byte words.
 */
import { compressionError, outputCapError } from './errors.ts';
import { compressionScratch, copyMatchWild, copyOut, matchLengthFrom } from './bytes.ts';

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00] as const;
const XERIAL_HEADER_BYTES = 16;
/** Uncompressed bytes per xerial block; snappy-java's default block size is 32 KiB. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;
const FRAGMENT_BYTES = 64 * 1024;
/** 8192 two-byte entries (16 KiB) stay in the L1 cache beside the data: ~5% faster than 16384. */
const HASH_LOG = 13;
const HASH_SHIFT = 32 - HASH_LOG;
const HASH_MULTIPLIER = 0x1e35a7bd;
/** Below this many bytes the remainder of a fragment is emitted as a literal. */
const INPUT_MARGIN_BYTES = 15;
/** Skip heuristic: step grows by one every 32 misses, as in the reference compressor. */
const SKIP_SHIFT = 5;

const hashTable = new Uint16Array(1 << HASH_LOG);

/** Worst-case compressed size of `length` input bytes (the reference formula). */
export function snappyMaxCompressedLength(length: number): number {
  return 32 + length + Math.floor(length / 6);
}

function load32(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
}

function writeUvarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at++] = value;
  return at;
}

function emitLiteral(out: Uint8Array, outView: DataView, op: number, input: Uint8Array, inView: DataView, from: number, length: number): number {
  const n = length - 1;
  if (n < 60) {
    out[op++] = n << 2;
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  if (length <= 32 && op + 32 <= out.length && from + 32 <= input.length) {
    // 4-byte steps may overshoot; the overshoot is overwritten by what follows
    let k = 0;
    do {
      outView.setInt32(op + k, inView.getInt32(from + k, true), true);
      k += 4;
    } while (k < length);
  } else {
    out.set(input.subarray(from, from + length), op);
  }
  return op + length;
}

function emitCopyUpTo64(out: Uint8Array, op: number, offset: number, length: number): number {
  if (length < 12 && offset < 2048) {
    out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((length - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function emitCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  // keep every piece at least 4 bytes long: a 1-byte-offset copy cannot encode less
  while (length >= 68) {
    op = emitCopyUpTo64(out, op, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    op = emitCopyUpTo64(out, op, offset, 60);
    length -= 60;
  }
  return emitCopyUpTo64(out, op, offset, length);
}

/** Compresses input[start, end) (at most 64 KiB) into out at op; returns the new op. */
function compressFragment(
  input: Uint8Array,
  inView: DataView,
  start: number,
  end: number,
  out: Uint8Array,
  outView: DataView,
  op: number,
): number {
  let nextEmit = start;
  const length = end - start;
  if (length >= INPUT_MARGIN_BYTES) {
    const table = hashTable;
    table.fill(0);
    const inputLimit = end - INPUT_MARGIN_BYTES;
    let ip = start + 1;
    let nextWord = inView.getInt32(ip, true);
    outer: for (;;) {
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      // find a 4-byte match; each probe's word is read once, for its hash and its comparison
      for (;;) {
        ip = nextIp;
        const word = nextWord;
        const hash = Math.imul(word, HASH_MULTIPLIER) >>> HASH_SHIFT;
        nextIp = ip + (skip++ >>> SKIP_SHIFT);
        if (nextIp > inputLimit) break outer;
        nextWord = inView.getInt32(nextIp, true);
        candidate = start + table[hash];
        table[hash] = ip - start;
        if (word === inView.getInt32(candidate, true)) break;
      }
      const literalLength = ip - nextEmit;
      if (literalLength <= 16 && op + 20 <= out.length) {
        // the common short literal, inline: tag byte, then 4-byte steps (overshoot is overwritten)
        out[op++] = (literalLength - 1) << 2;
        let k = 0;
        do {
          outView.setInt32(op + k, inView.getInt32(nextEmit + k, true), true);
          k += 4;
        } while (k < literalLength);
        op += literalLength;
      } else {
        op = emitLiteral(out, outView, op, input, inView, nextEmit, literalLength);
      }
      // emit copies as long as the bytes right after a match match again
      for (;;) {
        const base = ip;
        const matched = 4 + matchLengthFrom(input, inView, candidate + 4, ip + 4, end);
        ip += matched;
        op = emitCopy(out, op, base - candidate, matched);
        nextEmit = ip;
        if (ip >= inputLimit) break outer;
        const word = inView.getInt32(ip - 1, true);
        table[Math.imul(word, HASH_MULTIPLIER) >>> HASH_SHIFT] = ip - 1 - start;
        const current = inView.getInt32(ip, true);
        const currentHash = Math.imul(current, HASH_MULTIPLIER) >>> HASH_SHIFT;
        candidate = start + table[currentHash];
        table[currentHash] = ip - start;
        if (current !== inView.getInt32(candidate, true)) {
          ip++;
          nextWord = inView.getInt32(ip, true);
          break;
        }
      }
    }
  }
  if (nextEmit < end) op = emitLiteral(out, outView, op, input, inView, nextEmit, end - nextEmit);
  return op;
}

/** Compresses into the raw snappy block format (no framing). */
export function snappyCompressBlock(input: Uint8Array): Buffer {
  const out = compressionScratch(snappyMaxCompressedLength(input.length));
  return copyOut(out, compressBlockInto(input, 0, input.length, out, 0));
}

function compressBlockInto(input: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  op = writeUvarint(out, op, end - start);
  const inView = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let fragment = start; fragment < end; fragment += FRAGMENT_BYTES) {
    op = compressFragment(input, inView, fragment, Math.min(end, fragment + FRAGMENT_BYTES), out, outView, op);
  }
  return op;
}

/** Reads the uncompressed length preamble of a raw block: [length, bytes used]. */
function readPreamble(input: Uint8Array, start: number, end: number): [number, number] {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    if (start + i >= end) throw compressionError('snappy: truncated length preamble', start);
    const byte = input[start + i];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return [value, i + 1];
    }
  }
  throw compressionError('snappy: invalid length preamble', start);
}

/** Uncompressed length a raw snappy block declares. */
export function snappyUncompressedLength(input: Uint8Array, start = 0, end = input.length): number {
  return readPreamble(input, start, end)[0];
}

const INT32_MAX = 0x7fffffff;

/** Slack after the output so short copies can be done 4 bytes at a time without a tail check. */
const WILD_COPY_SLACK_BYTES = 64;

/**
 * Decompresses one raw block input[start, end) into out at op; the block must produce exactly its
 * declared length, which the caller has already checked against the space in `out`. Short
 * literals and copies go 4 bytes at a time through DataViews and may overshoot by up to 16 bytes
 * (within out's length, into bytes written later or never returned), like the C implementation.
 */
function decompressBlockInto(input: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  const [declared, preambleBytes] = readPreamble(input, start, end);
  if (op + declared > out.length || out.length > INT32_MAX || input.length > INT32_MAX) {
    throw compressionError('snappy: block larger than its output', start);
  }
  // positions as int32 (`| 0`) so the optimiser keeps them in integer registers, never as floats
  const outEnd = (op + declared) | 0;
  const outStart = op | 0;
  op |= 0;
  end |= 0;
  const inView = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const inputPhysicalEnd = input.length | 0;
  const outPhysicalEnd = out.length | 0;
  let ip = (start + preambleBytes) | 0;
  while (ip < end) {
    const tag = input[ip++];
    const kind = tag & 3;
    if (kind === 0) {
      let length = tag >>> 2;
      if (length >= 60) {
        const extraBytes = length - 59;
        if (ip + extraBytes > end) throw compressionError('snappy: truncated literal length', ip);
        length = input[ip];
        if (extraBytes > 1) length |= input[ip + 1] << 8;
        if (extraBytes > 2) length |= input[ip + 2] << 16;
        if (extraBytes > 3) length |= input[ip + 3] << 24;
        // every value here stays an int32 (a uint32 would turn the loop's positions into floats);
        // a literal of 2 GiB or more cannot fit any output we allow anyway
        if (length < 0) throw compressionError('snappy: literal longer than 2 GiB', ip);
        ip += extraBytes;
      }
      length += 1;
      if (ip + length > end) throw compressionError('snappy: literal runs past the input', ip);
      if (op + length > outEnd) throw compressionError('snappy: literal runs past the declared length', ip);
      if (length <= 64 && ip + 64 <= inputPhysicalEnd && op + 64 <= outPhysicalEnd) {
        let k = 0;
        do {
          outView.setInt32(op + k, inView.getInt32(ip + k, true), true);
          k += 4;
        } while (k < length);
      } else {
        out.set(input.subarray(ip, ip + length), op);
      }
      ip += length;
      op += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      if (ip >= end) throw compressionError('snappy: truncated copy', ip);
      length = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[ip++];
    } else if (kind === 2) {
      if (ip + 2 > end) throw compressionError('snappy: truncated copy', ip);
      length = (tag >>> 2) + 1;
      offset = input[ip] | (input[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > end) throw compressionError('snappy: truncated copy', ip);
      length = (tag >>> 2) + 1;
      // int32: an offset of 2 GiB or more is negative here and fails the range check below
      offset = input[ip] | (input[ip + 1] << 8) | (input[ip + 2] << 16) | (input[ip + 3] << 24);
      ip += 4;
    }
    if (offset <= 0 || offset > op - outStart) throw compressionError('snappy: copy offset out of range', ip);
    if (op + length > outEnd) throw compressionError('snappy: copy runs past the declared length', ip);
    if (offset >= 8 && op + 72 <= outPhysicalEnd) {
      // 8-byte steps through BigUint64 reads and writes, which V8 compiles to single 64-bit
      // loads and stores without allocating (copies are at most 64 bytes): with offset >= 8
      // each step reads only bytes already written, so overlapping copies still repeat their
      // pattern. The first 16 bytes unconditionally: most copies are no longer.
      const from = op - offset;
      outView.setBigUint64(op, outView.getBigUint64(from, true), true);
      outView.setBigUint64(op + 8, outView.getBigUint64(from + 8, true), true);
      for (let k = 16; k < length; k += 8) outView.setBigUint64(op + k, outView.getBigUint64(from + k, true), true);
      op += length;
    } else {
      op = copyMatchWild(out, outView, op, offset, length, outPhysicalEnd);
    }
  }
  if (op !== outEnd) throw compressionError(`snappy: block produced ${op - outStart} of ${declared} bytes`, ip);
  return op;
}

/** Decompresses a raw snappy block, refusing to produce more than maxOutputBytes. */
export function snappyDecompressBlock(input: Uint8Array, maxOutputBytes: number): Buffer {
  const declared = snappyUncompressedLength(input);
  if (declared > maxOutputBytes) throw outputCapError('snappy', maxOutputBytes);
  const out = Buffer.allocUnsafe(declared + WILD_COPY_SLACK_BYTES);
  decompressBlockInto(input, 0, input.length, out, 0);
  return out.subarray(0, declared);
}

export function isXerialFramed(input: Uint8Array): boolean {
  if (input.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (input[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function readInt32BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function writeInt32BE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Compresses with xerial framing, as Kafka's Java client writes snappy record data. */
export function snappyCompress(input: Uint8Array): Buffer {
  const blockCount = Math.max(1, Math.ceil(input.length / XERIAL_BLOCK_BYTES));
  const out = compressionScratch(
    XERIAL_HEADER_BYTES + blockCount * 4 + blockCount * snappyMaxCompressedLength(XERIAL_BLOCK_BYTES),
  );
  for (let i = 0; i < XERIAL_MAGIC.length; i++) out[i] = XERIAL_MAGIC[i];
  writeInt32BE(out, 8, 1);
  writeInt32BE(out, 12, 1);
  let op = XERIAL_HEADER_BYTES;
  for (let block = 0; block < input.length; block += XERIAL_BLOCK_BYTES) {
    const blockEnd = Math.min(input.length, block + XERIAL_BLOCK_BYTES);
    const lengthAt = op;
    op = compressBlockInto(input, block, blockEnd, out, op + 4);
    writeInt32BE(out, lengthAt, op - lengthAt - 4);
  }
  return copyOut(out, op);
}

/**
 * Decompresses xerial-framed or raw snappy data (Kafka clients have written both), refusing to
 * produce more than maxOutputBytes.
 */
export function snappyDecompress(input: Uint8Array, maxOutputBytes: number): Buffer {
  if (!isXerialFramed(input)) return snappyDecompressBlock(input, maxOutputBytes);
  // first pass: validate the framing and add up the declared sizes before allocating
  let total = 0;
  let ip = XERIAL_HEADER_BYTES;
  while (ip < input.length) {
    if (ip + 4 > input.length) throw compressionError('snappy: truncated xerial block length', ip);
    const blockBytes = readInt32BE(input, ip);
    ip += 4;
    if (blockBytes > input.length - ip) throw compressionError('snappy: xerial block runs past the input', ip);
    total += snappyUncompressedLength(input, ip, ip + blockBytes);
    if (total > maxOutputBytes) throw outputCapError('snappy', maxOutputBytes);
    ip += blockBytes;
  }
  const out = Buffer.allocUnsafe(total + WILD_COPY_SLACK_BYTES);
  let op = 0;
  ip = XERIAL_HEADER_BYTES;
  while (ip < input.length) {
    const blockBytes = readInt32BE(input, ip);
    ip += 4;
    op = decompressBlockInto(input, ip, ip + blockBytes, out, op);
    ip += blockBytes;
  }
  return out.subarray(0, total);
}
