/**
 * The compression codecs of Kafka record data, behind one synchronous API keyed by the codec id
 * stored in a batch's attributes (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). gzip and zstd use
 * node:zlib (native); snappy and lz4 are our own pure TypeScript implementations. Every
 * decompression takes an output cap, so a small "bomb" cannot allocate gigabytes
 * (CVE-2023-34455 was exactly that in snappy-java).
 */
import zlib from 'node:zlib';
import { ProtocolDecodeError } from '../primitives/errors.ts';
import { Compression, type CompressionType } from '../records/batch-header.ts';
import { compressionError, DECOMPRESSED_BYTES_MAX_DEFAULT, outputCapError } from './errors.ts';
import { lz4Compress, lz4Decompress } from './lz4.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';

export { DECOMPRESSED_BYTES_MAX_DEFAULT } from './errors.ts';

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

export function compressionName(codec: CompressionType): CompressionName {
  return COMPRESSION_NAMES[codec];
}

export function compressionFromName(name: string): CompressionType {
  const index = (COMPRESSION_NAMES as readonly string[]).indexOf(name);
  if (index === -1) throw new RangeError(`unknown compression codec '${name}'`);
  return index as CompressionType;
}

function checkCodec(codec: number): asserts codec is CompressionType {
  if (!Number.isInteger(codec) || codec < 0 || codec > 4) {
    throw new ProtocolDecodeError('compression', `unknown compression codec ${codec}`);
  }
}

/** Compresses `input` with `codec` in the format Kafka's clients write. */
export function compress(codec: CompressionType, input: Uint8Array): Buffer {
  checkCodec(codec);
  switch (codec) {
    case Compression.none:
      return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    case Compression.gzip:
      return zlib.gzipSync(input);
    case Compression.snappy:
      return snappyCompress(input);
    case Compression.lz4:
      return lz4Compress(input);
    case Compression.zstd:
      return zlib.zstdCompressSync(input);
  }
}

function zlibDecompress(codec: string, run: () => Buffer, maxOutputBytes: number): Buffer {
  try {
    return run();
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw outputCapError(codec, maxOutputBytes);
    }
    throw compressionError(`${codec}: ${(error as Error).message}`);
  }
}

/**
 * Decompresses `input` written with `codec`; throws ProtocolDecodeError (kind 'compression') for
 * corrupt input or when the output would exceed `maxOutputBytes`.
 */
export function decompress(
  codec: CompressionType,
  input: Uint8Array,
  maxOutputBytes: number = DECOMPRESSED_BYTES_MAX_DEFAULT,
): Buffer {
  checkCodec(codec);
  switch (codec) {
    case Compression.none:
      if (input.length > maxOutputBytes) throw outputCapError('none', maxOutputBytes);
      return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    case Compression.gzip:
      return zlibDecompress('gzip', () => zlib.gunzipSync(input, { maxOutputLength: Math.max(1, maxOutputBytes) }), maxOutputBytes);
    case Compression.snappy:
      return snappyDecompress(input, maxOutputBytes);
    case Compression.lz4:
      return lz4Decompress(input, maxOutputBytes);
    case Compression.zstd:
      return zlibDecompress('zstd', () => zlib.zstdDecompressSync(input, { maxOutputLength: Math.max(1, maxOutputBytes) }), maxOutputBytes);
  }
}
