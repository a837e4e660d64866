export * from './codecs.ts';
export { snappyCompress, snappyDecompress, snappyCompressBlock, snappyDecompressBlock, isXerialFramed } from './snappy.ts';
export { lz4Compress, lz4Decompress, lz4CompressBlock, type Lz4FrameOptions } from './lz4.ts';
