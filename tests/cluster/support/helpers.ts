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

import { decodeRecordBatches, encodeRecordBatch } from '@kafkaesque/protocol';
import { RawClient } from '../../broker/support/raw-client.ts';

export interface ProduceOutcome {
  errorCode: number;
  baseOffset: number;
}

/** One Produce (v9) of `values` as one batch to `address` (no retries: the test sees every error). */
export async function produceTo(address: string, topic: string, partition: number, values: string[], acks: number, timeoutMs = 3000): Promise<ProduceOutcome> {
  let client: RawClient;
  try {
    client = await RawClient.connect(address);
  } catch {
    return { errorCode: -1, baseOffset: -1 };
  }
  try {
    const records = encodeRecordBatch({ records: values.map((value) => ({ value })) });
    const body = await Promise.race([
      client.request(0, 9, { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs + 5000)),
    ]);
    if (body === null) return { errorCode: -1, baseOffset: -1 };
    const answer = body.responses[0].partitionResponses[0];
    return { errorCode: answer.errorCode, baseOffset: Number(answer.baseOffset) };
  } catch {
    return { errorCode: -1, baseOffset: -1 };
  } finally {
    client.close();
  }
}

/** Record values of a log, in offset order, up to `upTo` (default: the high watermark). */
export async function valuesOf(log: PartitionLog, upTo = log.highWatermark): Promise<Array<{ offset: number; value: string }>> {
  const bytes = await readAll(log, upTo);
  const out: Array<{ offset: number; value: string }> = [];
  for (const batch of decodeRecordBatches(bytes).batches) {
    for (const record of batch.records) if (record.offset < upTo) out.push({ offset: record.offset, value: String(record.value) });
  }
  return out;
}
