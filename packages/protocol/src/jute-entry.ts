/**
 * The `@kafkaesque/protocol/jute` entry point: the ZooKeeper (jute) codecs with the primitives
 * and checksum they are used with, and none of the Kafka message codecs. Coordinator processes
 * import this instead of the package root so they start without loading (and type-stripping)
 * the ~220 generated Kafka message modules.
 */
export * from './jute/index.ts';
export * from './primitives/index.ts';
export { crc32c } from './checksum/crc32c.ts';
