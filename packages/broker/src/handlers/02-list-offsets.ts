// ListOffsets (API 2), versions 0–10.
// Behaviour notes:
// - timestamp -2 EARLIEST (log start offset), -1 LATEST (high watermark, or the last stable
//   offset for READ_COMMITTED, v2+), -3 MAX_TIMESTAMP (v7+: the offset of the record with the
//   largest timestamp), -4 EARLIEST_LOCAL (v8+: same as earliest, no tiered storage),
//   -5 LATEST_TIERED (v9+: nothing is tiered, so offset -1). Any other value: the first offset
//   whose timestamp is ≥ it, or offset -1 when none.
// - v0 answers in old_style_offsets (at most max_num_offsets of them).
// - Replica requests (replica_id ≥ 0) are not bounded by the high watermark.
// - current_leader_epoch (v4+) is checked like Fetch; leader_epoch in the answer is the epoch
//   of the batch holding the offset.
import {
  ErrorCode,
  ListOffsetsRequest,
  ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '@kafkaesque/protocol';
import type { PartitionLog } from '../log/api.ts';
import { defineHandler, type RequestContext } from './types.ts';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
const READ_COMMITTED = 1;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponse;

function answer(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): PartitionResponse {
  return {
    partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp: BigInt(timestamp),
    offset: BigInt(offset),
    leaderEpoch,
  };
}

async function lookup(log: PartitionLog, timestamp: bigint, upperBound: number, readCommitted: boolean) {
  switch (timestamp) {
    case EARLIEST:
    case EARLIEST_LOCAL: {
      const earliest = log.earliestOffset();
      return { offset: earliest.offset, timestamp: -1, leaderEpoch: earliest.leaderEpoch };
    }
    case LATEST: {
      const offset = readCommitted ? Math.min(log.lastStableOffset, upperBound) : upperBound;
      return { offset, timestamp: -1, leaderEpoch: log.latestEpoch };
    }
    case LATEST_TIERED:
      return { offset: -1, timestamp: -1, leaderEpoch: -1 };
    case MAX_TIMESTAMP: {
      const found = await log.maxTimestampOffset();
      return found ?? { offset: -1, timestamp: -1, leaderEpoch: -1 };
    }
    default: {
      const found = await log.offsetForTimestamp(Number(timestamp));
      if (found === undefined || found.offset >= upperBound) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
      return found;
    }
  }
}

async function listPartition(
  context: RequestContext,
  request: ListOffsetsRequest,
  topic: string,
  partition: ListOffsetsRequest['topics'][number]['partitions'][number],
): Promise<PartitionResponse> {
  const { services, apiVersion } = context;
  const found = services.replicas.leaderPartition(topic, partition.partitionIndex);
  if (!found.ok) return answer(partition.partitionIndex, found.errorCode);
  const leader = found.partition;
  if (partition.currentLeaderEpoch >= 0 && partition.currentLeaderEpoch !== leader.leaderEpoch) {
    const code = partition.currentLeaderEpoch < leader.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
    return answer(partition.partitionIndex, code);
  }
  const log = leader.log;
  const upperBound = request.replicaId >= 0 ? log.logEndOffset : log.highWatermark;
  const readCommitted = apiVersion >= 2 && request.isolationLevel === READ_COMMITTED;
  try {
    const result = await lookup(log, partition.timestamp, upperBound, readCommitted);
    const response = answer(partition.partitionIndex, ErrorCode.NONE, result.offset, result.timestamp, result.leaderEpoch);
    if (apiVersion < 4) response.leaderEpoch = -1;
    if (apiVersion === 0) {
      // v0 carries only old_style_offsets (at most max_num_offsets of them).
      response.oldStyleOffsets = result.offset >= 0 && partition.maxNumOffsets > 0 ? [BigInt(result.offset)] : [];
      response.timestamp = -1n;
      response.offset = -1n;
    }
    return response;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return answer(partition.partitionIndex, code);
    throw error;
  }
}

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 10,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  async handle(context, request) {
    const topics = await Promise.all(
      request.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(topic.partitions.map((partition) => listPartition(context, request, topic.name, partition))),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => answer(partition.partitionIndex, errorCode)),
      })),
    };
  },
});
