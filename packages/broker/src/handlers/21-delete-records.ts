// DeleteRecords (API 21), versions 0–2.
// Behaviour notes: moves each partition's log start offset to `offset` (-1 means the high
// watermark) and returns the new low watermark; segments wholly below it go. An offset above
// the high watermark is OFFSET_OUT_OF_RANGE; a partition not led here NOT_LEADER_OR_FOLLOWER.
import { DeleteRecordsRequest, DeleteRecordsResponse, ErrorCode } from '@kafkaesque/protocol';
import { defineHandler, type RequestContext } from './types.ts';

const HIGH_WATERMARK = -1n;

async function deletePartition(context: RequestContext, topic: string, partitionIndex: number, offset: bigint) {
  const lookup = context.services.replicas.leaderPartition(topic, partitionIndex);
  if (!lookup.ok) return { partitionIndex, lowWatermark: -1n, errorCode: lookup.errorCode };
  const log = lookup.partition.log;
  const target = offset === HIGH_WATERMARK ? log.highWatermark : Number(offset);
  if (target < 0 || target > log.highWatermark) return { partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  try {
    const lowWatermark = await log.deleteRecordsBefore(Math.max(target, log.logStartOffset));
    return { partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: ErrorCode.NONE };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return { partitionIndex, lowWatermark: -1n, errorCode: code };
    throw error;
  }
}

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  request: DeleteRecordsRequest,
  response: DeleteRecordsResponse,
  async handle(context, request) {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(topic.partitions.map((partition) => deletePartition(context, topic.name, partition.partitionIndex, partition.offset))),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode })),
      })),
    };
  },
});
