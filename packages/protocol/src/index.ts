export * from './primitives/index.ts';
export * from './checksum/crc32c.ts';
export * from './records/batch-header.ts';
export * from './jute/index.ts';
