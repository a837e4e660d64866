/**
 * Checks a partition directory the way Kafka's DumpLogSegments --verify does: every batch of
 * every .log is CRC-valid with increasing offsets, every .index entry points at a batch whose
 * last offset is the entry's offset, every .timeindex entry names a batch's last offset and
 * that batch's max timestamp. Returns the batches' offset ranges for further checks.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isBatchCrcValid, readBatchHeader } from '@kafkaesque/protocol';

export interface SegmentCheck {
  baseOffset: number;
  batches: { baseOffset: number; lastOffset: number; position: number; maxTimestamp: number }[];
}

export async function verifyPartitionDir(dir: string): Promise<SegmentCheck[]> {
  const names = (await readdir(dir)).sort();
  const checks: SegmentCheck[] = [];
  let previousLast = -1;
  for (const name of names.filter((n) => n.endsWith('.log'))) {
    const baseOffset = Number(name.slice(0, 20));
    const bytes = await readFile(path.join(dir, name));
    const batches: SegmentCheck['batches'] = [];
    let at = 0;
    while (at < bytes.length) {
      const batch = readBatchHeader(bytes, at); // throws on bad framing
      if (!isBatchCrcValid(bytes, batch)) throw new Error(`${name}: CRC mismatch at position ${at}`);
      const lastOffset = batch.baseOffset + batch.lastOffsetDelta;
      if (batch.baseOffset <= previousLast) throw new Error(`${name}: offset ${batch.baseOffset} after ${previousLast}`);
      if (batch.baseOffset < baseOffset) throw new Error(`${name}: offset ${batch.baseOffset} below the segment base`);
      batches.push({ baseOffset: batch.baseOffset, lastOffset, position: at, maxTimestamp: batch.maxTimestamp });
      previousLast = lastOffset;
      at += batch.batchLength + 12;
    }
    const byPosition = new Map(batches.map((b) => [b.position, b]));
    const index = await readFile(path.join(dir, name.replace('.log', '.index'))).catch(() => Buffer.alloc(0));
    if (index.length % 8 !== 0) throw new Error(`${name}: .index size ${index.length} is not a multiple of 8`);
    for (let entry = 0; entry < index.length; entry += 8) {
      const offset = baseOffset + index.readInt32BE(entry);
      const position = index.readInt32BE(entry + 4);
      const batch = byPosition.get(position);
      if (!batch || batch.lastOffset !== offset) throw new Error(`${name}: index entry (${offset}, ${position}) does not match a batch`);
    }
    const timeIndex = await readFile(path.join(dir, name.replace('.log', '.timeindex'))).catch(() => Buffer.alloc(0));
    if (timeIndex.length % 12 !== 0) throw new Error(`${name}: .timeindex size ${timeIndex.length} is not a multiple of 12`);
    let lastTimestamp = -Infinity;
    for (let entry = 0; entry < timeIndex.length; entry += 12) {
      const timestamp = Number(timeIndex.readBigInt64BE(entry));
      const offset = baseOffset + timeIndex.readInt32BE(entry + 8);
      const batch = batches.find((b) => b.lastOffset === offset);
      if (!batch) throw new Error(`${name}: time index entry (${timestamp}, ${offset}) names no batch`);
      if (batch.maxTimestamp !== timestamp) throw new Error(`${name}: time index entry (${timestamp}, ${offset}) but batch max timestamp ${batch.maxTimestamp}`);
      if (timestamp <= lastTimestamp) throw new Error(`${name}: time index timestamps do not increase`);
      lastTimestamp = timestamp;
    }
    checks.push({ baseOffset, batches });
  }
  return checks;
}

/** Sanity: the first batch header of a buffer (used by tests that inspect raw reads). */
export function firstBaseOffset(records: Buffer): number {
  return readBatchHeader(records, 0).baseOffset;
}
