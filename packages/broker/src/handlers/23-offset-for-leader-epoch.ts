// OffsetForLeaderEpoch (API 23), versions 0–4.
// Behaviour notes: for each partition, the largest epoch ≤ the asked one that this leader
// knows and the offset where the next epoch starts (the log end for the current epoch), from
// the log's leader-epoch cache (KIP-101/279). Clients use it to detect log truncation after a
// leader change; once advertised it must be right (Java and franz-go validate positions).
// current_leader_epoch (v2+) is checked: older → FENCED_LEADER_EPOCH, newer →
// UNKNOWN_LEADER_EPOCH. v0 carries no leader epoch in the answer.
import { ErrorCode, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '@kafkaesque/protocol';
import { defineHandler, type RequestContext } from './types.ts';

function answer(context: RequestContext, topic: string, partition: OffsetForLeaderEpochRequest['topics'][number]['partitions'][number]) {
  const failed = (errorCode: number) => ({ errorCode, partition: partition.partition, leaderEpoch: -1, endOffset: -1n });
  const lookup = context.services.replicas.leaderPartition(topic, partition.partition);
  if (!lookup.ok) return failed(lookup.errorCode);
  const leader = lookup.partition;
  if (partition.currentLeaderEpoch >= 0 && partition.currentLeaderEpoch !== leader.leaderEpoch) {
    return failed(partition.currentLeaderEpoch < leader.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  const found = leader.log.endOffsetForLeaderEpoch(partition.leaderEpoch);
  return {
    errorCode: ErrorCode.NONE,
    partition: partition.partition,
    leaderEpoch: context.apiVersion >= 1 ? found.leaderEpoch : -1,
    endOffset: BigInt(found.endOffset),
  };
}

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
  handle(context, request) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => answer(context, topic.topic, partition)),
      })),
    };
  },
  errorResponse(_context, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => ({ errorCode, partition: partition.partition, leaderEpoch: -1, endOffset: -1n })),
      })),
    };
  },
});
