/** Helpers of the cluster tests: polling for a condition, reading a replica's log whole. */
import type { PartitionLog } from '@kafkaesque/broker';

/** Polls `condition` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface HasBroker {
  broker?: { logs: { getLog(tp: { topic: string; partition: number }): PartitionLog | undefined } } | undefined;
}

export function logOf(entry: HasBroker, topic: string, partition: number): PartitionLog | undefined {
  return entry.broker?.logs.getLog({ topic, partition });
}

/** The log's batches from its start up to the high watermark, as stored. */
export async function readAll(log: PartitionLog, upTo = log.highWatermark): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < upTo) {
    const result = await log.read(offset, 1 << 20, { maxOffset: upTo });
    if (result.records.length === 0) break;
    parts.push(result.records);
    let last = offset;
    // next offset: after the last batch returned
    let position = 0;
    while (position + 61 <= result.records.length) {
      const base = Number(result.records.readBigInt64BE(position));
      const length = result.records.readInt32BE(position + 8);
      const lastDelta = result.records.readInt32BE(position + 23);
      last = base + lastDelta + 1;
      position += 12 + length;
    }
    offset = last;
  }
  return Buffer.concat(parts);
}
